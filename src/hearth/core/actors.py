"""Who performs an action, and through which door: carried into every audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

    from hearth.core.models import User


@dataclass(frozen=True)
class Actor:
    user: User | None
    via: str  # web | api | cli | system | webhook
    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest, *, via: str = "web") -> Actor:
        user = request.user if request.user.is_authenticated else None
        return cls(
            user=user,
            via=via,
            ip=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        )

    @classmethod
    def cli(cls, user: User | None = None) -> Actor:
        return cls(user=user, via="cli")

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None, via="system")

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.email
        return {"cli": "operator (CLI)", "webhook": "webhook", "system": "Hearth"}.get(
            self.via, self.via
        )
