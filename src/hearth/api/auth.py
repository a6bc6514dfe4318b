from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from hearth.core.tokens import authenticate_api_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """`Authorization: Bearer hth_…`: a token from the Tokens page, the API or `hearth token`.

    A token acts in its one workspace (a path naming another answers 403, whether that workspace
    exists or not) and a read-only token only reads (any other method answers 403).
    """

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = authenticate_api_token(token)
        if found is None:
            return None
        if request.method not in SAFE_METHODS and not found.can_write:
            raise HttpError(
                403, "This token is read-only: issue a read-and-write token to change anything."
            )
        match = request.resolver_match
        slug = match.kwargs.get("slug") if match is not None else None
        if found.workspace is not None and slug is not None and slug != found.workspace.slug:
            raise HttpError(403, f"This token acts only in the workspace '{found.workspace.slug}'.")
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]  # read by core.api (scoping)
        return found.user
