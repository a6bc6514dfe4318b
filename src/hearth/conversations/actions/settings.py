"""The inbox settings: business hours (for the SLA clock) and the customer-service handoff."""

from __future__ import annotations

import secrets
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction

from hearth.conversations.models import InboxSettings
from hearth.core import audit
from hearth.core import secrets as vault
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.outbound import OutboundRefused, check_syntax
from hearth.core.permissions import Perm


def _check_hours(hours: dict[str, Any]) -> dict[str, list[str]]:
    clean = {}
    for day, span in hours.items():
        if (
            str(day) not in {str(d) for d in range(7)}
            or not isinstance(span, list | tuple)
            or len(span) != 2
        ):
            raise ActionError(
                f'hours for day \'{day}\' must be ["HH:MM", "HH:MM"] with day 0 (Monday) to 6 (Sunday).'
            )
        try:
            opening, closing = time.fromisoformat(span[0]), time.fromisoformat(span[1])
        except (TypeError, ValueError):
            raise ActionError(
                f'hours for day {day} must be times like "09:00", not {span!r}.'
            ) from None
        if closing <= opening:
            raise ActionError(
                f"hours for day {day}: closing time {span[1]} must be after opening time {span[0]}."
            )
        clean[str(day)] = [opening.strftime("%H:%M"), closing.strftime("%H:%M")]
    return clean


@transaction.atomic
def update_inbox_settings(workspace: Workspace, *, by: Actor, **changes: Any) -> InboxSettings:
    """Change business hours (timezone, hours) and the handoff targets (handoff_email, handoff_webhook).

    Preconditions: the actor may MANAGE_CHANNELS in `workspace`; a known time zone, hours as
    {"0".."6": ["HH:MM", "HH:MM"]} with closing after opening, an e-mail address, an http(s)
    webhook (ActionError otherwise, naming the field). Only the given fields change.
    Side effects: the settings row (created on first use), a signing secret for the first
    webhook, an audit entry that says whether a webhook is set but never records its URL.
    """
    check_actor(by, workspace, Perm.MANAGE_CHANNELS)
    settings, _ = InboxSettings.objects.get_or_create(workspace=workspace)
    if "timezone" in changes:
        try:
            ZoneInfo(changes["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ActionError(
                f"timezone '{changes['timezone']}' is unknown: use a name like Europe/Paris."
            ) from None
        settings.timezone = changes["timezone"]
    if "hours" in changes:
        settings.hours = _check_hours(changes["hours"] or {})
    if "handoff_email" in changes:
        email = (changes["handoff_email"] or "").strip()
        if email and "@" not in email:
            raise ActionError(
                f"handoff e-mail '{email}' is not an e-mail address (expected name@domain)."
            )
        settings.handoff_email = email
    if "handoff_webhook" in changes:
        url = (changes["handoff_webhook"] or "").strip()
        if url and not url.startswith(("http://", "https://")):
            raise ActionError(f"handoff webhook '{url}' must start with http:// or https://.")
        if url:
            try:  # the full check (every resolved address) runs before each send
                check_syntax(url)
            except OutboundRefused as exc:
                raise ActionError(f"handoff webhook: {exc}") from None
        settings.handoff_webhook = url
        if url and not settings.handoff_secret_encrypted:
            # The key customer service checks X-Hearth-Signature with (shown in the settings).
            settings.handoff_secret_encrypted = vault.encrypt(secrets.token_urlsafe(32))
    settings.save()
    audit.record(
        "inbox.settings",
        by=by,
        workspace=workspace,
        target=settings,
        data={k: v for k, v in changes.items() if k != "handoff_webhook"}
        | {"webhook_set": bool(settings.handoff_webhook)},
    )
    return settings
