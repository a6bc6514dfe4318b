import pytest

from hearth.core.permissions import ROLE_PERMISSIONS, Perm, Role, role_has

# The matrix as a community team expects it; a change to permissions.py must change this too.
EXPECTED = {
    Role.OWNER: set(Perm),
    Role.MANAGER: set(Perm) - {Perm.MANAGE_WORKSPACE},
    Role.MODERATOR: {Perm.VIEW, Perm.VIEW_ANALYTICS, Perm.REPLY, Perm.MODERATE},
    Role.ANALYST: {Perm.VIEW, Perm.VIEW_ANALYTICS},
    Role.VIEWER: {Perm.VIEW},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("perm", list(Perm))
def test_permission_matrix(role: Role, perm: Perm) -> None:
    assert role_has(role, perm) is (perm in EXPECTED[role])


def test_every_role_is_in_the_matrix() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_viewer_cannot_reply_and_analyst_cannot_moderate() -> None:
    assert not role_has("viewer", Perm.REPLY)
    assert not role_has("analyst", Perm.MODERATE)
    assert role_has("moderator", Perm.MODERATE)
