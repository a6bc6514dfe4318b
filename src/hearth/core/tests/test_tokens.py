"""Scoped, expiring, revocable API tokens: actions, the API's enforcement, the CLI."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from hearth.core.accounts import remove_password, set_password
from hearth.core.models import ApiToken, AuditEvent
from hearth.core.tokens import authenticate_api_token, create_api_token, revoke_api_token


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def owner_token(personas):
    return create_api_token(
        personas.owner,
        name="ci",
        workspace=personas.workspace,
        scope="write",
        by=personas.actor("owner"),
    )


def test_a_token_acts_only_in_its_workspace(client, personas, make_member):
    # Olivia is also a member of Globex, but her Acme token must not reach it.
    make_member(personas.other_workspace, "owner", email=personas.owner.email)
    _, raw = create_api_token(
        personas.owner, name="acme", workspace=personas.workspace, by=personas.actor("owner")
    )
    assert client.get("/api/v1/workspaces/acme/threads", **bearer(raw)).status_code == 200
    denied = client.get("/api/v1/workspaces/globex/threads", **bearer(raw))
    assert denied.status_code == 403
    assert "acme" in denied.json()["detail"]
    # The same answer for a workspace that does not exist: nothing is learnt.
    assert client.get("/api/v1/workspaces/nowhere/threads", **bearer(raw)).status_code == 403
    listed = client.get("/api/v1/workspaces", **bearer(raw)).json()
    assert [w["slug"] for w in listed] == ["acme"]


def test_a_read_token_cannot_write(client, personas):
    token, raw = create_api_token(
        personas.owner,
        name="ro",
        workspace=personas.workspace,
        scope="read",
        by=personas.actor("owner"),
    )
    assert client.get("/api/v1/workspaces/acme/members", **bearer(raw)).status_code == 200
    response = client.post(
        "/api/v1/workspaces/acme/invitations",
        {"email": "new@acme.test", "role": "viewer"},
        content_type="application/json",
        **bearer(raw),
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert not personas.workspace.invitations.exists()


def test_expired_and_revoked_tokens_are_refused(client, personas, owner_token):
    token, raw = owner_token
    assert authenticate_api_token(raw) == token
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/workspaces", **bearer(raw)).status_code == 401
    token2, raw2 = create_api_token(
        personas.owner, name="b", workspace=personas.workspace, by=personas.actor("owner")
    )
    revoke_api_token(token2, by=personas.actor("owner"))
    token2.refresh_from_db()
    assert token2.revoked_at is not None
    assert client.get("/api/v1/workspaces", **bearer(raw2)).status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke", target_id=str(token2.pk)).exists()


def test_tokens_are_listed_with_last_use_and_revoked_through_the_api(client, personas, owner_token):
    token, raw = owner_token
    client.get("/api/v1/workspaces", **bearer(raw))
    listed = client.get("/api/v1/tokens", **bearer(raw)).json()
    assert [t["id"] for t in listed] == [token.pk]
    assert listed[0]["last_used_at"] is not None
    assert listed[0]["workspace"] == "acme" and listed[0]["scope"] == "write"
    assert client.delete(f"/api/v1/tokens/{token.pk}", **bearer(raw)).status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/tokens", **bearer(raw)).status_code == 401


def test_a_user_cannot_revoke_anothers_token_through_the_api(client, personas, owner_token):
    token, _ = owner_token
    _, outsider = create_api_token(
        personas.outsider,
        name="x",
        workspace=personas.other_workspace,
        by=personas.actor("outsider"),
    )
    assert client.delete(f"/api/v1/tokens/{token.pk}", **bearer(outsider)).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_password_change_or_removal_revokes_the_tokens(personas, owner_token):
    token, raw = owner_token
    set_password(personas.owner, "a-much-longer-passphrase", by=personas.actor("owner"))
    assert authenticate_api_token(raw) is None
    token.refresh_from_db()
    assert token.revoked_reason == "password"
    _, raw2 = create_api_token(
        personas.viewer, name="v", workspace=personas.workspace, by=personas.actor("viewer")
    )
    remove_password(personas.viewer, by=personas.actor("owner"))
    assert authenticate_api_token(raw2) is None


def test_a_token_is_issued_only_in_a_workspace_of_its_user(personas):
    from hearth.core.actions import ActionError

    with pytest.raises(ActionError):
        create_api_token(
            personas.owner,
            name="x",
            workspace=personas.other_workspace,
            by=personas.actor("owner"),
        )
    with pytest.raises(ActionError):
        create_api_token(
            personas.owner,
            name="x",
            workspace=personas.workspace,
            days=0,
            by=personas.actor("owner"),
        )


def test_legacy_tokens_keep_working_after_the_migration(client, personas):
    # A token made before scoping: no workspace, no expiry, read-write (the migration's default).
    from hearth.core.actions import create_api_token as legacy

    token, raw = legacy(personas.owner, name="old", by=personas.actor("owner"))
    assert token.workspace is None and token.expires_at is None and token.can_write
    assert client.get("/api/v1/workspaces/acme/threads", **bearer(raw)).status_code == 200


def test_cli_issues_lists_and_revokes_tokens(personas):
    out, err = StringIO(), StringIO()
    call_command(
        "token", "create", personas.analyst.email, "--workspace", "acme", stdout=out, stderr=err
    )
    raw = out.getvalue().strip()
    token = authenticate_api_token(raw)
    assert token is not None and token.scope == "read" and token.workspace == personas.workspace
    listing = StringIO()
    call_command("token", "list", "--workspace", "acme", "--json", stdout=listing)
    assert token.pk in [row["id"] for row in __import__("json").loads(listing.getvalue())]
    # Tenancy: a token of Acme is not found when the operator names Globex.
    with pytest.raises(CommandError):
        call_command("token", "revoke", str(token.pk), "--workspace", "globex")
    assert authenticate_api_token(raw) is not None
    call_command("token", "revoke", str(token.pk), "--workspace", "acme", stdout=StringIO())
    assert authenticate_api_token(raw) is None


def test_cli_checks_password_strength(personas):
    with pytest.raises(CommandError, match="too short|too common|entirely numeric"):
        call_command(
            "user",
            "create",
            "weak@acme.test",
            "--workspace",
            "acme",
            "--role",
            "viewer",
            "--password",
            "123",
        )
    with pytest.raises(CommandError):
        call_command("user", "password", personas.viewer.email, "--password", "password")
