"""What the login page may offer besides the form, registered by higher apps (the demo registers
its credentials while it is loaded), so that the web app never imports them."""

from __future__ import annotations

from collections.abc import Callable

LoginHint = dict[str, str]
_providers: list[Callable[[], LoginHint | None]] = []


def register(provider: Callable[[], LoginHint | None]) -> None:
    if provider not in _providers:
        _providers.append(provider)


def login_hint() -> LoginHint | None:
    """The first hint a provider gives now ({"email", "password"}), or None."""
    for provider in _providers:
        hint = provider()
        if hint:
            return hint
    return None
