"""Messaging windows: platforms that let a Page answer a private message only for a while after
the person's last message (Messenger: 24 hours, then 7 days with the human agent tag; WhatsApp:
24 hours of customer service, then only an approved template message).

The composer shows which rule applies before a person writes; the connector applies it when
sending (hearth/channels/connectors/facebook.py), so the page and the platform agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from hearth.channels.connectors import CONNECTORS, connector_class, get_connector
from hearth.channels.connectors.base import ConnectorError
from hearth.channels.models import Channel
from hearth.conversations.models import Message, Thread

TEMPLATES_CACHE_S = 10 * 60


@dataclass(frozen=True)
class ReplyWindow:
    state: str  # open | tagged | closed
    closes_at: datetime  # the end of the state the thread is in
    tag: str  # the tag a reply goes with outside the standard window ("HUMAN_AGENT")
    hours: int
    # Platforms whose closed window still takes approved templates (WhatsApp): those templates,
    # or why they could not be listed.
    uses_templates: bool = False
    templates: list[dict[str, Any]] = field(default_factory=list)
    templates_error: str = ""

    @property
    def needs_template(self) -> bool:
        return self.uses_templates and self.state == "closed"


def templates(channel: Channel) -> tuple[list[dict[str, Any]], str]:
    """The channel's approved templates (cached a few minutes: they change rarely and listing
    them is a platform call), or an empty list and the platform's refusal in plain words."""
    key = f"hearth:templates:{channel.pk}"
    found = cache.get(key)
    if found is None:
        try:
            found = get_connector(channel).templates()  # type: ignore[attr-defined]
        except ConnectorError as exc:
            return [], str(exc)
        cache.set(key, found, TEMPLATES_CACHE_S)
    return list(found), ""


def reply_window(thread: Thread, conversation: list[Message] | None = None) -> ReplyWindow | None:
    """Where the thread stands in its platform's messaging window; None when none applies (a
    public comment, or a platform without one)."""
    kind = thread.channel.kind
    if kind not in CONNECTORS:
        return None
    connector = connector_class(kind)
    hours = getattr(connector, "reply_window_hours", 0)
    if not hours:
        return None
    last: Message | None
    if conversation is not None:
        members = [m for m in conversation if not m.from_brand]
        last = max(members, key=lambda m: (m.created_at, m.pk)) if members else None
    else:
        last = thread.messages.filter(from_brand=False).order_by("-created_at", "-pk").first()
    if last is None or last.kind != "dm":
        return None
    tag = str(getattr(connector, "reply_window_tag", ""))
    tag_days = int(getattr(connector, "reply_window_tag_days", 0))
    uses_templates = bool(getattr(connector, "reply_window_templates", False))
    now = timezone.now()
    standard = last.created_at + timedelta(hours=hours)
    if now < standard:
        return ReplyWindow("open", standard, tag, hours, uses_templates)
    tagged = last.created_at + timedelta(days=tag_days)
    if tag and now < tagged:
        return ReplyWindow("tagged", tagged, tag, hours)
    if uses_templates:
        found, error = templates(thread.channel)
        return ReplyWindow("closed", standard, tag, hours, True, found, error)
    return ReplyWindow("closed", tagged if tag else standard, tag, hours)
