"""Assembles the REST API from each app's router: /api/v1/, OpenAPI at /api/v1/docs."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from hearth.analysis.api import router as analysis_router
from hearth.api.auth import TokenAuth
from hearth.channels.api import router as channels_router
from hearth.conversations.api import router as conversations_router
from hearth.core.actions import ActionError
from hearth.core.api import router as core_router
from hearth.listening.api import router as listening_router
from hearth.moderation.api import router as moderation_router

api = NinjaAPI(
    title="Hearth API",
    version="1",
    description="Every list is newest first with cursor pagination: pass `next_cursor` back as `cursor`.",
    auth=TokenAuth(),
    urls_namespace="api",
)
api.add_router("", core_router)
api.add_router("", channels_router)
api.add_router("", conversations_router)
api.add_router("", listening_router)
api.add_router("", analysis_router)
api.add_router("", moderation_router)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Your role in this workspace does not allow this."}, status=403
    )


@api.exception_handler(ActionError)
def _invalid(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)
