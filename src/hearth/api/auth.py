from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from hearth.core.actions import authenticate_token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer hth_…` with a personal token from `hearth user token EMAIL`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user
