from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hearth.core.access import memberships
from hearth.core.http import HearthRequest

SESSION_KEY = "hearth_workspace"


class WorkspaceMiddleware:
    """Sets request.membership / request.workspace: the workspace the user is working in.

    The choice lives in the session (the workspace switcher writes it); a stale or foreign
    choice falls back to the user's first workspace, so a user can never land in a workspace
    they do not belong to.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HearthRequest) -> HttpResponse:
        request.membership = None
        request.workspace = None
        if request.user.is_authenticated:
            mine = list(memberships(request.user))
            chosen = request.session.get(SESSION_KEY)
            current = next(
                (m for m in mine if m.workspace.slug == chosen), mine[0] if mine else None
            )
            request.memberships = mine
            request.membership = current
            request.workspace = current.workspace if current else None
        return self.get_response(request)


class HealthMiddleware:
    """Answers GET /healthz with the health report (JSON), before anything else runs.

    It comes first in MIDDLEWARE on purpose: a probe reaches a web process by its internal
    address (not one of ALLOWED_HOSTS), over plain HTTP (no redirect to HTTPS), with no session.
    200 when the database and the broker answer; 503 otherwise. `?worker=1` also requires a
    fresh worker heartbeat (for a monitor of background jobs, not for restarting a web process).
    The answer names no host, address or secret.
    """

    path = "/healthz"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.rstrip("/") != self.path or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        from django.http import JsonResponse

        from hearth.core.health import health_report

        report = health_report(require_worker=request.GET.get("worker") in ("1", "true", "yes"))
        response = JsonResponse(report, status=200 if report["status"] == "ok" else 503)
        response["Cache-Control"] = "no-store"
        return response
