"""Write paths of a teammate's account: password, sessions, second factor."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import check_password_strength
from hearth.core.actors import Actor
from hearth.core.models import User, Workspace
from hearth.core.permissions import Perm
from hearth.core.tokens import revoke_tokens_of


@transaction.atomic
def set_password(user: User, password: str, *, by: Actor) -> int:
    """Give `user` a new password, checked by Django's validators.

    Side effects: every API token of the user is revoked (a leaked password may have leaked a
    token with it), their other sessions end (Django's session hash follows the password), and an
    audit entry. Returns the number of tokens revoked.
    """
    check_password_strength(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    revoked = revoke_tokens_of(user, by=by, reason="password")
    audit.record(
        "auth.password_change", by=by, workspace=None, target=user, data={"tokens_revoked": revoked}
    )
    return revoked


@transaction.atomic
def remove_password(user: User, *, by: Actor) -> int:
    """The user can no longer sign in with a password; their tokens and sessions end."""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    revoked = revoke_tokens_of(user, by=by, reason="password")
    end_sessions(user)
    audit.record(
        "auth.password_remove", by=by, workspace=None, target=user, data={"tokens_revoked": revoked}
    )
    return revoked


def end_sessions(user: User) -> int:
    """Delete every live session of `user` (database sessions, Hearth's only engine).

    A session stores its user id inside its encoded data, so each live session is decoded: a
    scan of the sessions table, fine for a team's installation and only run on offboarding.
    """
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            ended.append(session.pk)
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@transaction.atomic
def set_workspace_2fa(workspace: Workspace, required: bool, *, by: Actor) -> Workspace:
    """Require (or stop requiring) a second factor of every teammate working in `workspace`.

    Teammates without one are sent to set it up before they see anything of the workspace.
    Precondition: `by` may manage the workspace (owners). Side effect: an audit entry.
    """
    check_actor(by, workspace, Perm.MANAGE_WORKSPACE)
    if workspace.require_2fa != required:
        workspace.require_2fa = required
        workspace.save(update_fields=["require_2fa"])
        audit.record(
            "workspace.require_2fa", by=by, workspace=workspace, data={"required": required}
        )
    return workspace
