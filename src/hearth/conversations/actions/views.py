"""A person's own saved inbox views: the filters they use often, under a name of their own."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db import transaction

from hearth.conversations.inbox import InboxFilters
from hearth.conversations.models import PersonalView
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm

MAX_VIEWS = 30


@transaction.atomic
def save_personal_view(
    workspace: Workspace, filters: InboxFilters, *, name: str, by: Actor
) -> PersonalView:
    """Save `filters` as the actor's own view `name` (replacing their view of that name).

    Preconditions: a signed-in person who may VIEW the workspace's inbox; a name of 1–60
    characters; at most MAX_VIEWS views each (ActionError otherwise). Side effects: the view,
    seen by its owner only. The filters are stored as the inbox's own query string, so a view
    is exactly the list its owner saw (minus the page).
    """
    check_actor(by, workspace, Perm.VIEW)
    if by.user is None:
        raise ActionError("Only a signed-in person can save an inbox view.")
    name = name.strip()
    if not 1 <= len(name) <= 60:
        raise ActionError("Give the view a name of 1 to 60 characters.")
    existing = PersonalView.objects.filter(workspace=workspace, user=by.user)
    if existing.count() >= MAX_VIEWS and not existing.filter(name=name).exists():
        raise ActionError(f"You have {MAX_VIEWS} saved views already: delete one first.")
    view, _created = PersonalView.objects.update_or_create(
        workspace=workspace,
        user=by.user,
        name=name,
        defaults={"query": urlencode(filters.as_query())[:1000]},
    )
    return view


@transaction.atomic
def delete_personal_view(view: PersonalView, *, by: Actor) -> None:
    """Delete one of the actor's own views (ActionError for someone else's)."""
    check_actor(by, view.workspace_id, Perm.VIEW)
    if by.user is None or view.user_id != by.user.pk:
        raise ActionError("This view is someone else's: only its owner can delete it.")
    view.delete()
