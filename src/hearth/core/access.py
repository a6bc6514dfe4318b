"""Permission-aware look-ups. Every look-up driven by request input goes through here.

They return the object or raise Http404 (it does not exist *for this user*: we never reveal
that another workspace's object exists) or PermissionDenied (the user is a member but their
role does not allow it).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from hearth.core.models import Membership, User, Workspace
from hearth.core.permissions import Perm


def memberships(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )


def access_workspace(user: User, slug: str, perm: Perm = Perm.VIEW) -> Membership:
    """The user's membership in the workspace `slug`, checked against `perm`."""
    if not user.is_authenticated:
        raise PermissionDenied
    membership = (
        Membership.objects.select_related("workspace")
        .filter(user=user, workspace__slug=slug)
        .first()
    )
    if membership is None:
        raise Http404("No such workspace.")
    if not membership.can(perm):
        raise PermissionDenied
    return membership


def check_perm(membership: Membership, perm: Perm) -> None:
    if not membership.can(perm):
        raise PermissionDenied


def workspace_by_slug(slug: str) -> Workspace:
    """For operator commands (CLI), which act on behalf of the installation's administrator."""
    try:
        return Workspace.objects.get(slug=slug)
    except Workspace.DoesNotExist:
        raise LookupError(
            f"There is no workspace '{slug}'. List them with `hearth workspace list`."
        ) from None
