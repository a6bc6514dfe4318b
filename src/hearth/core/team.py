"""Write paths of a workspace's team: invite, accept, change a role, remove a teammate.

Who may do what (MANAGE_MEMBERS, held by owners and managers): only an owner grants, changes or
removes the owner role, and a workspace always keeps at least one owner.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.accounts import end_sessions
from hearth.core.actions import ActionError, check_password_strength, check_role
from hearth.core.actors import Actor
from hearth.core.models import Invitation, Membership, User, Workspace, hash_token
from hearth.core.permissions import Perm, Role
from hearth.core.tokens import revoke_tokens_of

INVITATION_DAYS = 7


def _is_owner(by: Actor, workspace: Workspace) -> bool:
    if by.user is None:
        return by.via in ("cli", "system")
    return Membership.objects.filter(
        user=by.user, workspace=workspace, role=Role.OWNER.value
    ).exists()


def _check_owner_rule(by: Actor, workspace: Workspace, *roles: str) -> None:
    if Role.OWNER.value in roles and not _is_owner(by, workspace):
        raise ActionError(_("Only an owner can grant, change or remove the owner role."))


def _check_keeps_an_owner(membership: Membership) -> None:
    if (
        membership.role == Role.OWNER.value
        and not Membership.objects.filter(workspace=membership.workspace, role=Role.OWNER.value)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ActionError(_("A workspace needs at least one owner: make someone else owner first."))


def team_of(workspace: Workspace) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__email")
    )


def pending_invitations(workspace: Workspace) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        workspace=workspace, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def access_member(membership: Membership | None, member_id: int | str) -> Membership:
    """A membership of the caller's workspace by id, for someone allowed to manage members."""
    from hearth.core.access import access_scoped

    return access_scoped(
        Membership.objects.select_related("user", "workspace"),
        membership,
        member_id,
        Perm.MANAGE_MEMBERS,
        what="teammate",
    )


def access_invitation(membership: Membership | None, invitation_id: int | str) -> Invitation:
    from hearth.core.access import access_scoped

    return access_scoped(
        Invitation.objects.select_related("workspace"),
        membership,
        invitation_id,
        Perm.MANAGE_MEMBERS,
        what="invitation",
    )


def invitation_url(raw_key: str) -> str:
    return settings.HEARTH_PUBLIC_URL + reverse("team:accept", args=[raw_key])


@transaction.atomic
def invite_member(
    workspace: Workspace, email: str, *, role: str, by: Actor
) -> tuple[Invitation, str]:
    """Invite `email` into `workspace` with `role`; returns the invitation and its raw key.

    The link (good once, for INVITATION_DAYS days) is e-mailed after commit, in the inviter's
    language; the raw key is never stored. A pending invitation of the same address is replaced.
    Side effects: an audit entry and the e-mail.
    """
    check_actor(by, workspace, Perm.MANAGE_MEMBERS)
    checked = check_role(role)
    _check_owner_rule(by, workspace, checked.value)
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ActionError(_("“%(email)s” is not an e-mail address.") % {"email": email})
    if Membership.objects.filter(workspace=workspace, user__email=email).exists():
        raise ActionError(
            _("%(email)s is already a teammate: change their role instead.") % {"email": email}
        )
    now = timezone.now()
    Invitation.objects.filter(
        workspace=workspace, email=email, accepted_at=None, revoked_at=None
    ).update(revoked_at=now)
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=checked.value,
        key_hash=hash_token(raw),
        invited_by=by.user,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    audit.record(
        "member.invite",
        by=by,
        workspace=workspace,
        target=invitation,
        data={"email": email, "role": checked.value},
    )
    subject = _("You are invited to %(workspace)s on Hearth") % {"workspace": workspace.name}
    body = _(
        "%(inviter)s invites you to join %(workspace)s on Hearth as %(role)s.\n\n"
        "Open this link to accept (it works once, for %(days)s days):\n%(url)s\n"
    ) % {
        "inviter": by.label,
        "workspace": workspace.name,
        "role": checked.value,
        "days": INVITATION_DAYS,
        "url": invitation_url(raw),
    }
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=True)
    )
    return invitation, raw


def invitation_for_key(raw_key: str) -> Invitation:
    """The pending invitation whose link key is `raw_key`, or 404 (unknown, used or expired)."""
    invitation = (
        Invitation.objects.select_related("workspace").filter(key_hash=hash_token(raw_key)).first()
    )
    if invitation is None or not invitation.is_pending:
        raise Http404("No such invitation.")
    return invitation


@transaction.atomic
def accept_invitation(
    invitation: Invitation,
    *,
    by: Actor,
    password: str = "",
    name: str = "",
) -> Membership:
    """Join the invitation's workspace. `by.user` (signed in) must hold the invited address;
    without a signed-in user an account is created with `password` (checked by the validators).

    Side effects: the invitation is used up, an audit entry.
    """
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_pending:
        raise ActionError(_("This invitation was already used, revoked or has expired."))
    user = by.user
    if user is not None:
        if user.email != locked.email:
            raise PermissionDenied
    else:
        if User.objects.filter(email=locked.email).exists():
            raise ActionError(
                _("An account with this address exists: sign in first, then open the link again.")
            )
        check_password_strength(password, User(email=locked.email))
        first, _sep, last = name.strip().partition(" ")
        user = User.objects.create_user(locked.email, password, first_name=first, last_name=last)
    membership, _created = Membership.objects.update_or_create(
        user=user, workspace=locked.workspace, defaults={"role": locked.role}
    )
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    audit.record(
        "member.join",
        by=Actor(user=user, via=by.via, ip=by.ip, user_agent=by.user_agent),
        workspace=locked.workspace,
        target=membership,
        data={"email": user.email, "role": locked.role},
    )
    return membership


@transaction.atomic
def revoke_invitation(invitation: Invitation, *, by: Actor) -> None:
    check_actor(by, invitation.workspace, Perm.MANAGE_MEMBERS)
    _check_owner_rule(by, invitation.workspace, invitation.role)
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record(
            "member.invite_revoke",
            by=by,
            workspace=invitation.workspace,
            target=invitation,
            data={"email": invitation.email},
        )


@transaction.atomic
def change_role(membership: Membership, role: str, *, by: Actor) -> Membership:
    """Give the teammate another role. Only an owner touches the owner role; the last owner
    stays owner. Side effect: an audit entry."""
    check_actor(by, membership.workspace, Perm.MANAGE_MEMBERS)
    checked = check_role(role)
    _check_owner_rule(by, membership.workspace, checked.value, membership.role)
    if checked.value == membership.role:
        return membership
    if checked.value != Role.OWNER.value:
        _check_keeps_an_owner(membership)
    before = membership.role
    membership.role = checked.value
    membership.save(update_fields=["role"])
    audit.record(
        "member.role",
        by=by,
        workspace=membership.workspace,
        target=membership,
        data={"email": membership.user.email, "role": checked.value, "before": before},
    )
    return membership


@transaction.atomic
def remove_member(membership: Membership, *, by: Actor) -> None:
    """Take the teammate out of the workspace at once.

    Their tokens acting in this workspace (and their unscoped ones) are revoked and their
    sessions end; the user stays, so everything they did keeps their name. Only an owner removes
    an owner; the last owner cannot be removed. Side effect: an audit entry.
    """
    workspace = membership.workspace
    check_actor(by, workspace, Perm.MANAGE_MEMBERS)
    _check_owner_rule(by, workspace, membership.role)
    _check_keeps_an_owner(membership)
    user = membership.user
    membership.delete()
    revoked = revoke_tokens_of(user, by=by, reason="removed", workspace=workspace)
    sessions = end_sessions(user)
    audit.record(
        "member.remove",
        by=by,
        workspace=workspace,
        target=user,
        data={"email": user.email, "tokens_revoked": revoked, "sessions_ended": sessions},
    )
