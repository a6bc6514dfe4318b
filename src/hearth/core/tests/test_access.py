"""The scoped look-up every `access_*` helper is built on, and the permission check of actions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from hearth.core.access import access_scoped, check_actor, require_perm
from hearth.core.actors import Actor
from hearth.core.models import Membership, User
from hearth.core.permissions import Perm


@pytest.fixture
def acme(workspace, make_member):
    """Acme's owner, viewer and a teammate to look up, and Globex's owner."""
    owner = make_member(workspace, "owner", email="owner@acme.test")
    viewer = make_member(workspace, "viewer", email="viewer@acme.test")
    teammate = make_member(workspace, "moderator", email="mod@acme.test")
    return {
        "owner": Membership.objects.get(user=owner, workspace=workspace),
        "viewer": Membership.objects.get(user=viewer, workspace=workspace),
        "teammate": Membership.objects.get(user=teammate, workspace=workspace),
    }


@pytest.fixture
def globex_membership(other_workspace, make_member):
    user = make_member(other_workspace, "owner", email="owner@globex.test")
    return Membership.objects.get(user=user, workspace=other_workspace)


def test_access_scoped_returns_an_object_of_the_members_workspace(acme):
    teammate = acme["teammate"]
    found = access_scoped(
        Membership.objects.select_related("user"),
        acme["owner"],
        str(teammate.pk),
        Perm.MANAGE_MEMBERS,
        what="teammate",
    )
    assert found == teammate
    assert found.user.email == "mod@acme.test"


def test_access_scoped_hides_another_workspaces_object_behind_a_404(acme, globex_membership):
    with pytest.raises(Http404, match=r"^No such teammate\.$"):
        access_scoped(
            Membership, acme["owner"], globex_membership.pk, Perm.MANAGE_MEMBERS, what="teammate"
        )


def test_a_foreign_id_is_404_even_for_a_role_that_would_be_refused(acme, globex_membership):
    # 404 is decided before the role: a viewer must not tell "exists elsewhere" from "forbidden".
    with pytest.raises(Http404):
        access_scoped(
            Membership, acme["viewer"], globex_membership.pk, Perm.MANAGE_MEMBERS, what="teammate"
        )


@pytest.mark.parametrize("garbage", ["abc", "", "1.5", "1; DROP TABLE", None, "9" * 30, -1])
def test_access_scoped_answers_404_to_an_id_that_is_no_id(acme, garbage):
    with pytest.raises(Http404, match="No such teammate"):
        access_scoped(Membership, acme["owner"], garbage, Perm.VIEW, what="teammate")


def test_access_scoped_without_a_membership_is_404(acme):
    with pytest.raises(Http404, match="No such teammate"):
        access_scoped(Membership, None, acme["teammate"].pk, Perm.VIEW, what="teammate")


def test_access_scoped_refuses_a_role_without_the_permission(acme):
    with pytest.raises(PermissionDenied):
        access_scoped(
            Membership, acme["viewer"], acme["teammate"].pk, Perm.MANAGE_MEMBERS, what="teammate"
        )
    # The same look-up with a permission the viewer holds succeeds.
    assert access_scoped(
        Membership, acme["viewer"], acme["teammate"].pk, Perm.VIEW, what="teammate"
    )


def test_access_scoped_follows_a_workspace_path_for_indirectly_scoped_models(
    acme, globex_membership
):
    path = "memberships__workspace"
    own = access_scoped(
        User, acme["owner"], acme["teammate"].user_id, Perm.VIEW, what="user", workspace_field=path
    )
    assert own.email == "mod@acme.test"
    with pytest.raises(Http404):
        access_scoped(
            User,
            acme["owner"],
            globex_membership.user_id,
            Perm.VIEW,
            what="user",
            workspace_field=path,
        )


def test_require_perm(acme):
    require_perm(acme["owner"], Perm.MANAGE_WORKSPACE)
    with pytest.raises(PermissionDenied):
        require_perm(acme["viewer"], Perm.REPLY)


@pytest.mark.parametrize("actor", [Actor.cli(), Actor.system()], ids=["operator", "system"])
def test_check_actor_lets_the_operator_and_hearth_itself_act(workspace, actor):
    check_actor(actor, workspace, Perm.MANAGE_WORKSPACE)
    check_actor(actor, workspace.pk, Perm.MODERATE)


def test_check_actor_lets_a_member_use_the_permissions_of_their_role(workspace, make_member):
    moderator = Actor(user=make_member(workspace, "moderator"), via="web")
    check_actor(moderator, workspace, Perm.MODERATE)
    check_actor(moderator, workspace.pk, Perm.REPLY)


def test_check_actor_refuses_a_member_whose_role_lacks_the_permission(workspace, make_member):
    analyst = Actor(user=make_member(workspace, "analyst"), via="api")
    with pytest.raises(PermissionDenied):
        check_actor(analyst, workspace, Perm.MODERATE)
    # A CLI session that names a user acts as that user, with their role.
    with pytest.raises(PermissionDenied):
        check_actor(Actor.cli(analyst.user), workspace, Perm.MODERATE)


def test_check_actor_refuses_a_user_of_another_workspace(workspace, other_workspace, make_member):
    stranger = Actor(user=make_member(other_workspace, "owner"), via="web")
    with pytest.raises(PermissionDenied):
        check_actor(stranger, workspace, Perm.VIEW)


@pytest.mark.parametrize("via", ["web", "api", "webhook"])
def test_check_actor_refuses_anyone_else_without_a_user(workspace, via):
    with pytest.raises(PermissionDenied):
        check_actor(Actor(user=None, via=via), workspace, Perm.VIEW)
