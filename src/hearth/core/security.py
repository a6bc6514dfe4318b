"""Response hygiene for every request: private pages are never cached, and a host whose secret
key cannot read the stored secrets says so instead of answering 500."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from hearth.core.secrets import SecretKeyMismatch

log = logging.getLogger(__name__)


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` on every answer to a signed-in user or an API token:
    a shared proxy or the browser's back button must not keep a page of someone's inbox."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or "HTTP_AUTHORIZATION" in request.META:
            patch_cache_control(response, private=True, no_store=True)
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, SecretKeyMismatch):
            return None
        log.error("Stored secret unreadable on this host: %s", exc)
        message = _(
            "This Hearth server cannot read the secrets stored in the database: its "
            "HEARTH_SECRET_KEY differs from the key they were saved with. Every host must share "
            "the same HEARTH_SECRET_KEY (see docs/configuration.md, “Several hosts”)."
        )
        if request.path.startswith(("/api/", "/hooks/")):
            return JsonResponse({"detail": message, "error": message}, status=503)
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
