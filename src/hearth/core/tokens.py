"""API tokens: issue, authenticate, list, revoke.

A token belongs to one user and acts in one workspace, read-only or read-write, until it
expires or is revoked. It is revoked when its user changes or loses their password, or leaves
the workspace. Tokens issued before scoping existed (no workspace, no expiry) keep working in
all of their user's workspaces until revoked.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import ApiToken, Membership, TokenScope, User, Workspace, hash_token
from hearth.core.permissions import Perm

DEFAULT_DAYS = 90
MAX_DAYS = 366
EXPIRY_CHOICES = (7, 30, 90, 180, 365)


def check_scope(scope: str) -> TokenScope:
    try:
        return TokenScope(scope)
    except ValueError:
        raise ActionError(
            f"scope '{scope}' does not exist: choose 'read' (read only) or 'write' (read and write)."
        ) from None


def check_days(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise ActionError(
            f"A token lasts between 1 and {MAX_DAYS} days; {days} is not allowed. "
            "Issue a new token when it expires."
        )
    return days


@transaction.atomic
def create_api_token(
    user: User,
    *,
    name: str,
    by: Actor,
    workspace: Workspace | None = None,
    scope: str = TokenScope.WRITE,
    days: int | None = DEFAULT_DAYS,
) -> tuple[ApiToken, str]:
    """A new token for `user` in `workspace`; returns it with the raw key, which is never stored.

    Preconditions: `user` is a member of `workspace`; only the user themselves (or the operator
    through the CLI) issues their tokens. `workspace=None` makes an unscoped token that acts in
    all the user's workspaces, as tokens did before scoping: only the test fixtures and the
    operator use it. Side effect: an audit entry.
    """
    checked_scope = check_scope(scope)
    if by.user is not None and by.user != user:
        raise PermissionDenied
    if (
        workspace is not None
        and not Membership.objects.filter(user=user, workspace=workspace).exists()
    ):
        raise ActionError(
            f"{user.email} is not a member of {workspace.slug}: a token acts only in a workspace "
            "its user belongs to."
        )
    expires_at = timezone.now() + timedelta(days=check_days(days)) if days is not None else None
    raw = ApiToken.new_raw_key()
    token = ApiToken.objects.create(
        user=user,
        workspace=workspace,
        name=(name or "token")[:80],
        scope=checked_scope.value,
        prefix=raw[4:10],
        key_hash=hash_token(raw),
        expires_at=expires_at,
    )
    audit.record(
        "token.create",
        by=by,
        workspace=workspace,
        target=token,
        data={
            "user": user.email,
            "name": token.name,
            "scope": token.scope,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, raw


def authenticate_api_token(raw: str) -> ApiToken | None:
    """The active token whose key is `raw` (with its user and workspace), or None."""
    if not raw.startswith("hth_"):
        return None
    token = (
        ApiToken.objects.select_related("user", "workspace")
        .filter(key_hash=hash_token(raw), revoked_at=None)
        .first()
    )
    if token is None or token.is_expired or not token.user.is_active:
        return None
    if (
        token.workspace_id is not None
        and not Membership.objects.filter(user=token.user, workspace_id=token.workspace_id).exists()
    ):
        return None
    now = timezone.now()
    # Written at most once a minute: a busy API client must not turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).select_related("workspace")


def access_token(user: User, token_id: int | str) -> ApiToken:
    """One of the user's own tokens, or 404 (another user's token does not exist for them)."""
    try:
        key = int(token_id)
    except (TypeError, ValueError):
        raise Http404("No such token.") from None
    token = tokens_of(user).filter(pk=key).first()
    if token is None:
        raise Http404("No such token.")
    return token


@transaction.atomic
def revoke_api_token(token: ApiToken, *, by: Actor, reason: str = "revoked") -> ApiToken:
    """Revoke `token` at once. Its user, the operator, or a member manager of its workspace may.

    Revoking a revoked token changes nothing. Side effect: an audit entry.
    """
    if by.user is not None and by.user != token.user:
        if token.workspace is None:
            raise PermissionDenied
        check_actor(by, token.workspace, Perm.MANAGE_MEMBERS)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.revoked_reason = reason[:32]
    token.save(update_fields=["revoked_at", "revoked_reason"])
    audit.record(
        "token.revoke",
        by=by,
        workspace=token.workspace,
        target=token,
        data={"user": token.user.email, "name": token.name, "reason": token.revoked_reason},
    )
    return token


def revoke_tokens_of(
    user: User, *, by: Actor, reason: str, workspace: Workspace | None = None
) -> int:
    """Revoke the user's active tokens (only those acting in `workspace`, if given: its own and
    the unscoped ones). Called inside the caller's transaction; one audit entry per token."""
    tokens = ApiToken.objects.filter(user=user, revoked_at=None)
    if workspace is not None:
        tokens = tokens.filter(Q(workspace=workspace) | Q(workspace__isnull=True))
    now = timezone.now()
    count = 0
    for token in tokens.select_related("workspace"):
        token.revoked_at = now
        token.revoked_reason = reason[:32]
        token.save(update_fields=["revoked_at", "revoked_reason"])
        audit.record(
            "token.revoke",
            by=by,
            workspace=token.workspace,
            target=token,
            data={"user": user.email, "name": token.name, "reason": reason},
        )
        count += 1
    return count
