"""The request as Hearth's middleware leaves it, for the type checker.

Django types `request.user` as `User | AnonymousUser` and knows nothing of the attributes that
middleware adds. Views annotate their `request` with one of these classes instead of
`HttpRequest`; nothing is ever instantiated from them (django-stubs' and django-htmx's documented
pattern).
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from hearth.core.models import Membership, User, Workspace


class HearthRequest(HttpRequest):
    htmx: HtmxDetails  # django_htmx.middleware.HtmxMiddleware
    # hearth.core.middleware.WorkspaceMiddleware: the workspace the user is working in (None for
    # a visitor or a user without one) and, for a signed-in user, all of theirs.
    membership: Membership | None
    workspace: Workspace | None
    memberships: list[Membership]


class AuthenticatedRequest(HearthRequest):
    """A request that reached a `@login_required` view."""

    user: User
