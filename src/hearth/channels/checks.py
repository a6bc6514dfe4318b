"""`hearth check --deploy`: can this host open the channel secrets stored in the database?

The key that encrypts channel tokens and webhook secrets derives from HEARTH_SECRET_KEY
(core/secrets.py); a host given another key would fail on every sync and webhook of those
channels. A sample is tried, so the check stays quick on a large site.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError
from django.db.models import Q

from hearth.core.secrets import SecretKeyMismatch, decrypt

SAMPLE = 20


@checks.register("hearth", checks.Tags.security, deploy=True)
def check_stored_secrets(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    from hearth.channels.models import Channel

    try:
        rows = list(
            Channel.objects.filter(~Q(credentials_encrypted="") | ~Q(webhook_secret_encrypted=""))
            .order_by("-pk")
            .values_list("pk", "credentials_encrypted", "webhook_secret_encrypted")[:SAMPLE]
        )
    except DatabaseError:
        return []  # hearth.E211 says the database cannot be reached (or E213: not migrated)
    unreadable = []
    for pk, *tokens in rows:
        try:
            for token in tokens:
                if token:
                    decrypt(token)
        except SecretKeyMismatch:
            unreadable.append(pk)
    if unreadable:
        return [
            checks.Error(
                f"{len(unreadable)} of the {len(rows)} channels sampled (ids "
                f"{', '.join(map(str, unreadable[:5]))}) hold secrets this host cannot decrypt: "
                "its HEARTH_SECRET_KEY is not the one they were saved with.",
                hint="Give this host the same HEARTH_SECRET_KEY as the others; after a rotation, "
                "list the previous key in HEARTH_SECRET_KEY_FALLBACKS until every secret is saved again.",
                id="hearth.E220",
            )
        ]
    return []
