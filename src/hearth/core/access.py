"""Permission-aware look-ups. Every look-up driven by request input goes through here.

They return the object or raise Http404 (it does not exist *for this user*: we never reveal
that another workspace's object exists) or PermissionDenied (the user is a member but their
role does not allow it).

Two checks of a permission, for two kinds of caller:
- `require_perm(membership, perm)`: a view or an endpoint already holds the request's membership.
- `check_actor(by, workspace, perm)`: an action checks whoever calls it (a teammate, the CLI
  operator, Hearth itself), since views, the API, commands and tasks all call the same action.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from hearth.core.actors import Actor
from hearth.core.models import Membership, User, Workspace
from hearth.core.permissions import Perm

M = TypeVar("M", bound=Model)


def memberships(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )


def access_workspace(user: User | AnonymousUser, slug: str, perm: Perm = Perm.VIEW) -> Membership:
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
    require_perm(membership, perm)
    return membership


def access_scoped(
    source: QuerySet[M] | type[M],
    membership: Membership | None,
    pk: int | str,
    perm: Perm,
    *,
    what: str,
    workspace_field: str = "workspace",
) -> M:
    """The object `pk` of `source` in the membership's workspace, if the role grants `perm`.

    `source` is a model or a queryset (to choose `select_related`); `what` names the object in
    the 404's "No such …." message. No membership, an id that is not a whole number and an
    object of another workspace (or none at all) are all 404, checked before the role, so a
    caller learns nothing about what exists elsewhere; a member whose role lacks `perm` gets 403.
    `workspace_field` is the lookup path to the workspace when the model has no direct one
    (e.g. "alert__workspace").
    """
    if membership is None:
        raise Http404(f"No such {what}.")
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Http404(f"No such {what}.") from None
    queryset = source if isinstance(source, QuerySet) else source._default_manager.all()
    found = queryset.filter(pk=key, **{workspace_field: membership.workspace}).first()
    if found is None:
        raise Http404(f"No such {what}.")
    require_perm(membership, perm)
    return found


def require_perm(membership: Membership, perm: Perm) -> None:
    """Raise PermissionDenied unless the membership's role grants `perm`."""
    if not membership.can(perm):
        raise PermissionDenied


def check_actor(by: Actor, workspace: Workspace | int, perm: Perm) -> None:
    """Raise PermissionDenied unless the actor may use `perm` in `workspace`.

    The operator (CLI, no user) and Hearth itself (system) act for the installation and are not
    members: they pass. A user passes if their role in `workspace` grants `perm`; a user who is
    not a member, and anyone else without a user (an anonymous web or webhook caller), does not.
    """
    if by.user is None and by.via in ("cli", "system"):
        return
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    membership = (
        Membership.objects.filter(user=by.user, workspace_id=workspace_id).first()
        if by.user
        else None
    )
    if membership is None or not membership.can(perm):
        raise PermissionDenied


def workspace_by_slug(slug: str) -> Workspace:
    """For operator commands (CLI), which act on behalf of the installation's administrator."""
    try:
        return Workspace.objects.get(slug=slug)
    except Workspace.DoesNotExist:
        raise LookupError(
            f"There is no workspace '{slug}'. List them with `hearth workspace list`."
        ) from None
