"""Secrets encrypted at rest (channel credentials, webhook keys) with a key derived from SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


class SecretKeyMismatch(ValueError):
    """A stored secret was encrypted under another HEARTH_SECRET_KEY than this host's."""


def _key(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"hearth-secrets:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


@cache
def _fernet() -> MultiFernet:
    # Encrypts with SECRET_KEY; decrypts with it or any of SECRET_KEY_FALLBACKS (a key rotation).
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_key(k) for k in keys])


@receiver(setting_changed)
def _key_changed(setting: str, **kwargs: Any) -> None:
    """A changed key (a test's settings) is taken at once, not after a restart."""
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        _fernet.cache_clear()


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretKeyMismatch(
            "A stored secret cannot be decrypted: HEARTH_SECRET_KEY changed since it was saved. "
            "Every host must share the same key: restore it (or list the old one in "
            "HEARTH_SECRET_KEY_FALLBACKS), or set the secret again."
        ) from None
