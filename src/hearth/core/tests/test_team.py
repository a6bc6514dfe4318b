"""Inviting, changing roles and removing teammates: actions, API and CLI, with their denials."""

from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client

from hearth.core import team
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import AuditEvent, Membership
from hearth.core.tokens import authenticate_api_token, create_api_token


def member(personas, name):
    return Membership.objects.get(user=getattr(personas, name), workspace=personas.workspace)


def test_an_invitation_is_mailed_and_accepted_once(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, raw = team.invite_member(
            personas.workspace, "New@Acme.test", role="moderator", by=personas.actor("manager")
        )
    assert invitation.email == "new@acme.test"
    assert len(mail.outbox) == 1 and raw in mail.outbox[0].body
    found = team.invitation_for_key(raw)
    membership = team.accept_invitation(
        found, by=Actor(user=None, via="web"), password="a-long-enough-secret", name="Nina New"
    )
    assert membership.role == "moderator" and membership.user.first_name == "Nina"
    assert membership.user.check_password("a-long-enough-secret")
    with pytest.raises(Exception):  # noqa: B017 - used up: 404 for the link
        team.invitation_for_key(raw)
    assert AuditEvent.objects.filter(action="member.join", workspace=personas.workspace).exists()


def test_accepting_checks_the_password_and_the_address(personas):
    invitation, _ = team.invite_member(
        personas.workspace, "x@acme.test", role="viewer", by=personas.actor("owner")
    )
    with pytest.raises(ActionError):
        team.accept_invitation(invitation, by=Actor(user=None, via="web"), password="12345678")
    with pytest.raises(PermissionDenied):  # signed in as somebody else
        team.accept_invitation(invitation, by=personas.actor("viewer"))
    assert not Membership.objects.filter(user__email="x@acme.test").exists()


def test_only_owners_and_managers_manage_members(personas):
    for name in ("moderator", "analyst", "viewer", "outsider"):
        with pytest.raises(PermissionDenied):
            team.invite_member(
                personas.workspace, "z@acme.test", role="viewer", by=personas.actor(name)
            )
        with pytest.raises(PermissionDenied):
            team.change_role(member(personas, "viewer"), "analyst", by=personas.actor(name))
        with pytest.raises(PermissionDenied):
            team.remove_member(member(personas, "viewer"), by=personas.actor(name))
    assert member(personas, "viewer").role == "viewer"


def test_a_manager_cannot_touch_the_owner_role(personas):
    with pytest.raises(ActionError):
        team.invite_member(
            personas.workspace, "o@acme.test", role="owner", by=personas.actor("manager")
        )
    with pytest.raises(ActionError):
        team.change_role(member(personas, "viewer"), "owner", by=personas.actor("manager"))
    with pytest.raises(ActionError):
        team.remove_member(member(personas, "owner"), by=personas.actor("manager"))
    with pytest.raises(ActionError):  # the last owner stays
        team.change_role(member(personas, "owner"), "viewer", by=personas.actor("owner"))
    team.change_role(member(personas, "viewer"), "analyst", by=personas.actor("manager"))
    assert member(personas, "viewer").role == "analyst"


def test_removing_a_teammate_ends_sessions_and_tokens_but_keeps_their_work(personas):
    moderator = personas.moderator
    browser = Client()
    assert (
        browser.post(
            "/login/", {"username": moderator.email, "password": "correct-horse-battery"}
        ).status_code
        == 302
    )
    assert browser.get("/inbox/").status_code == 200
    _, raw = create_api_token(
        moderator, name="m", workspace=personas.workspace, by=personas.actor("moderator")
    )
    AuditEvent.objects.create(
        workspace=personas.workspace,
        actor=moderator,
        actor_label=moderator.email,
        via="web",
        action="thread.reply",
    )
    team.remove_member(member(personas, "moderator"), by=personas.actor("manager"))
    assert authenticate_api_token(raw) is None
    assert browser.get("/inbox/").status_code == 302  # signed out at once
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(moderator.pk) for s in Session.objects.all()
    )
    moderator.refresh_from_db()  # the user stays: their work keeps their name
    assert AuditEvent.objects.filter(actor=moderator, action="thread.reply").exists()
    assert AuditEvent.objects.filter(action="member.remove", workspace=personas.workspace).exists()


def test_api_team_endpoints_and_their_tenancy(client, personas):
    auth = personas.auth("manager")
    listed = client.get("/api/v1/workspaces/acme/members", **auth).json()
    assert {m["email"] for m in listed} >= {personas.owner.email, personas.viewer.email}
    viewer = member(personas, "viewer")
    response = client.patch(
        f"/api/v1/workspaces/acme/members/{viewer.pk}",
        {"role": "analyst"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200 and response.json()["role"] == "analyst"
    invited = client.post(
        "/api/v1/workspaces/acme/invitations",
        {"email": "api@acme.test", "role": "viewer"},
        content_type="application/json",
        **auth,
    )
    assert invited.status_code == 201 and "/team/join/" in invited.json()["url"]
    # A viewer may not; the outsider cannot see nor change Acme's team, even by id.
    assert (
        client.get("/api/v1/workspaces/acme/members", **personas.auth("viewer")).status_code == 403
    )
    outsider = personas.auth("outsider")
    assert client.get("/api/v1/workspaces/acme/members", **outsider).status_code == 404
    assert (
        client.delete(f"/api/v1/workspaces/globex/members/{viewer.pk}", **outsider).status_code
        == 404
    )
    assert Membership.objects.filter(pk=viewer.pk).exists()
    assert client.delete(f"/api/v1/workspaces/acme/members/{viewer.pk}", **auth).status_code == 204
    assert not Membership.objects.filter(pk=viewer.pk).exists()


def test_cli_changes_roles_and_removes_teammates_within_the_named_workspace(personas):
    call_command(
        "user",
        "role",
        personas.viewer.email,
        "--workspace",
        "acme",
        "--role",
        "analyst",
        stdout=StringIO(),
    )
    assert member(personas, "viewer").role == "analyst"
    with pytest.raises(CommandError):  # the outsider is no member of Acme
        call_command("user", "remove", personas.outsider.email, "--workspace", "acme")
    assert Membership.objects.filter(user=personas.outsider).exists()
    call_command("user", "remove", personas.viewer.email, "--workspace", "acme", stdout=StringIO())
    assert not Membership.objects.filter(user=personas.viewer).exists()
