"""Assembles the REST API from each app's router: /api/v1/, OpenAPI at /api/v1/docs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.types import DictStrAny

from hearth.analysis.api import router as analysis_router
from hearth.analytics.api import router as analytics_router
from hearth.animation.api import router as animation_router
from hearth.api.auth import TokenAuth
from hearth.channels.api import router as channels_router
from hearth.community.api import router as community_router
from hearth.conversations.api import router as conversations_router
from hearth.core.actions import ActionError
from hearth.core.api import router as core_router
from hearth.feedback.api import router as feedback_router
from hearth.listening.api import router as listening_router
from hearth.moderation.api import router as moderation_router
from hearth.pipeline.api import router as pipeline_router
from hearth.publishing.api import router as publishing_router
from hearth.reports.api import router as reports_router
from hearth.strategy.api import router as strategy_router


class ObjectParser(Parser):
    """JSON bodies must be objects: an array sent to "assign" once parsed as "no assignee"."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = super().parse_body(request)  # a body nested too deeply: RecursionError, a 400
        if not isinstance(data, dict):
            raise ValueError("the request body must be a JSON object")
        return data


api = NinjaAPI(
    title="Hearth API",
    version="1",
    description="Every list is newest first with cursor pagination: pass `next_cursor` back as `cursor`.",
    auth=TokenAuth(),
    urls_namespace="api",
    parser=ObjectParser(),
    # The docs and the schema show every route: behind the login unless the operator publishes them.
    docs_decorator=None if settings.HEARTH_API_DOCS_PUBLIC else login_required,
)
api.add_router("", core_router)
api.add_router("", channels_router)
api.add_router("", conversations_router)
api.add_router("", listening_router)
api.add_router("", analysis_router)
api.add_router("", moderation_router)
api.add_router("", publishing_router)
api.add_router("", pipeline_router)
api.add_router("", animation_router)
api.add_router("", feedback_router)
api.add_router("", reports_router)
api.add_router("", strategy_router)
api.add_router("", analytics_router)
api.add_router("", community_router)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Your role in this workspace does not allow this."}, status=403
    )


@api.exception_handler(RecursionError)
def _too_deep(request: HttpRequest, exc: RecursionError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "The request body nests arrays or objects too deeply."}, status=400
    )


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A number beyond what the database stores (SQLite: 64 bits; PostgreSQL: the column's type).
    return api.create_response(
        request, {"detail": "A number in the request is out of range."}, status=400
    )


@api.exception_handler(ActionError)
def _invalid(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)
