import pytest

from hearth.core.actions import (
    ActionError,
    add_member,
    authenticate_token,
    create_api_token,
    create_workspace,
)
from hearth.core.models import AuditEvent, Membership


def test_create_workspace_is_audited(db, actor):
    workspace = create_workspace("acme-fr", name="Acme France", by=actor)
    event = AuditEvent.objects.get(action="workspace.create")
    assert event.workspace == workspace
    assert event.via == "system"
    assert event.target_id == str(workspace.pk)


@pytest.mark.parametrize("slug", ["Acme", "-acme", "acme_fr", "", "a" * 51, "acmé"])
def test_bad_slug_names_the_field(db, actor, slug):
    with pytest.raises(ActionError, match="slug"):
        create_workspace(slug, name="x", by=actor)


def test_duplicate_workspace_is_refused(workspace, actor):
    with pytest.raises(ActionError, match="already exists"):
        create_workspace("acme", name="Again", by=actor)


def test_one_person_in_several_workspaces_with_different_roles(workspace, other_workspace, actor):
    add_member(workspace, "freelance@example.org", role="owner", by=actor)
    add_member(other_workspace, "Freelance@Example.org", role="moderator", by=actor)
    roles = dict(
        Membership.objects.filter(user__email="freelance@example.org").values_list(
            "workspace__slug", "role"
        )
    )
    assert roles == {"acme": "owner", "globex": "moderator"}


def test_changing_a_role_is_audited(workspace, actor):
    add_member(workspace, "sam@example.org", role="viewer", by=actor)
    add_member(workspace, "sam@example.org", role="moderator", by=actor)
    assert Membership.objects.get(user__email="sam@example.org").role == "moderator"
    assert AuditEvent.objects.filter(action="member.role", data__role="moderator").exists()


def test_unknown_role_lists_the_valid_ones(workspace, actor):
    with pytest.raises(ActionError, match="owner, manager, moderator, analyst, viewer"):
        add_member(workspace, "x@example.org", role="admin", by=actor)


def test_api_token_is_stored_hashed_and_authenticates(workspace, make_member, actor):
    user = make_member(workspace)
    token, raw = create_api_token(user, name="ci", by=actor)
    assert raw not in token.key_hash
    assert authenticate_token(raw) == user
    assert authenticate_token(raw + "x") is None
    token.user.is_active = False
    token.user.save()
    assert authenticate_token(raw) is None
