"""Secrets encrypted at rest (channel credentials, webhook keys) with a key derived from SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@cache
def _fernet() -> Fernet:
    digest = hashlib.sha256(b"hearth-secrets:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "A stored secret cannot be decrypted: HEARTH_SECRET_KEY changed since it was saved. "
            "Restore the old key or rotate the secret."
        ) from None
