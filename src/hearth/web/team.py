"""The Team page (owners and managers) and the invitation link: thin views over core.team."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hearth.core import team, twofactor
from hearth.core.accounts import set_workspace_2fa
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest, HearthRequest
from hearth.core.middleware import SESSION_KEY
from hearth.core.models import Membership, User
from hearth.core.permissions import Perm, Role


def _manager(request: AuthenticatedRequest) -> Membership:
    if request.membership is None or not request.membership.can(Perm.MANAGE_MEMBERS):
        raise PermissionDenied
    return request.membership


ROLE_LABELS = {
    Role.OWNER.value: gettext_lazy("Owner"),
    Role.MANAGER.value: gettext_lazy("Manager"),
    Role.MODERATOR.value: gettext_lazy("Moderator"),
    Role.ANALYST.value: gettext_lazy("Analyst"),
    Role.VIEWER.value: gettext_lazy("Viewer"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def _grantable(membership: Membership) -> list[tuple[str, str]]:
    return [
        (r.value, role_label(r.value))
        for r in Role
        if r != Role.OWNER or membership.role == Role.OWNER.value
    ]


@login_required
def team_page(request: AuthenticatedRequest) -> HttpResponse:
    membership = _manager(request)
    workspace = membership.workspace
    members = list(team.team_of(workspace))
    context = {
        "members": [(m, role_label(m.role)) for m in members],
        "with_2fa": twofactor.users_with_2fa([m.user_id for m in members]),
        "invitations": [(i, role_label(i.role)) for i in team.pending_invitations(workspace)],
        "roles": _grantable(membership),
        "is_owner": membership.role == Role.OWNER.value,
        "can_set_2fa": membership.can(Perm.MANAGE_WORKSPACE),
        "invited_link": request.session.pop("hearth_invited_link", None),
    }
    return render(request, "web/team/page.html", context)


@login_required
@require_POST
def invite(request: AuthenticatedRequest) -> HttpResponse:
    membership = _manager(request)
    email = request.POST.get("email", "")
    try:
        invitation, raw = team.invite_member(
            membership.workspace,
            email,
            role=request.POST.get("role", ""),
            by=Actor.from_request(request),
        )
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Invitation sent to %(email)s. The link works once, for %(days)s days.")
            % {"email": invitation.email, "days": team.INVITATION_DAYS},
        )
        request.session["hearth_invited_link"] = team.invitation_url(raw)
    return redirect("team:page")


@login_required
@require_POST
def change_role(request: AuthenticatedRequest, member_id: int) -> HttpResponse:
    target = team.access_member(request.membership, member_id)
    try:
        team.change_role(target, request.POST.get("role", ""), by=Actor.from_request(request))
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(who)s is now %(role)s.") % {"who": target.user, "role": role_label(target.role)},
        )
    return redirect("team:page")


@login_required
@require_POST
def remove(request: AuthenticatedRequest, member_id: int) -> HttpResponse:
    target = team.access_member(request.membership, member_id)
    try:
        team.remove_member(target, by=Actor.from_request(request))
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "%(who)s no longer has access to this workspace: their sessions and tokens have "
                "ended; what they did keeps their name."
            )
            % {"who": target.user},
        )
    if target.user == request.user:
        return redirect("dashboard")
    return redirect("team:page")


@login_required
@require_POST
def revoke_invitation(request: AuthenticatedRequest, invitation_id: int) -> HttpResponse:
    invitation = team.access_invitation(request.membership, invitation_id)
    try:
        team.revoke_invitation(invitation, by=Actor.from_request(request))
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The invitation of %(email)s is revoked.") % {"email": invitation.email}
        )
    return redirect("team:page")


@login_required
@require_POST
def require_2fa(request: AuthenticatedRequest) -> HttpResponse:
    if request.membership is None:
        raise PermissionDenied
    on = request.POST.get("require_2fa") == "on"
    set_workspace_2fa(request.membership.workspace, on, by=Actor.from_request(request))
    messages.success(
        request,
        _("Two-factor authentication is now required in this workspace.")
        if on
        else _("Two-factor authentication is no longer required in this workspace."),
    )
    return redirect("team:page")


def join(request: HearthRequest, key: str) -> HttpResponse:
    """The invitation link: accept as the signed-in invitee, or create the account here."""
    invitation = team.invitation_for_key(key)
    user = request.user if request.user.is_authenticated else None
    if user is None and User.objects.filter(email=invitation.email).exists():
        return redirect_to_login(request.get_full_path())
    wrong_user = user is not None and user.email != invitation.email
    error = ""
    if request.method == "POST" and not wrong_user:
        password = request.POST.get("password", "")
        if user is None and password != request.POST.get("password2", ""):
            error = _("The two passwords differ: type the same password twice.")
        else:
            try:
                membership = team.accept_invitation(
                    invitation,
                    by=Actor.from_request(request),
                    password=password,
                    name=request.POST.get("name", ""),
                )
            except ActionError as exc:
                error = str(exc)
            else:
                if user is None:
                    login(
                        request,
                        membership.user,
                        backend="django.contrib.auth.backends.ModelBackend",
                    )
                request.session[SESSION_KEY] = membership.workspace.slug
                messages.success(
                    request,
                    _("Welcome to %(workspace)s.") % {"workspace": membership.workspace.name},
                )
                return redirect("dashboard")
    context = {
        "invitation": invitation,
        "role": role_label(invitation.role),
        "wrong_user": wrong_user,
        "error": error,
    }
    return render(request, "web/team/join.html", context)
