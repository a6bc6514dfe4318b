"""RSS 2.0 and Atom feeds: general, specialised and competitor news as a pull channel.

The feed URL is `channel.config["url"]`. Each entry becomes a `post` in the import format
(docs/import-format.md): external id from the entry's guid/id, else its link, else a hash of
its title and date; author from the entry, else the feed's title; created_at from published or
updated (UTC), else the time it was first seen; text is the title and the summary without HTML.
The cursor keeps the ETag / Last-Modified validators, so an unchanged feed costs a 304; since
ingestion is idempotent on the external id, re-reading entries already stored is harmless.

Parsing is feedparser's, which copes with most broken feeds; a response that yields no feed
at all is a FatalConnectorError naming the cause.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser
import requests
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hearth.channels.connectors.base import (
    BaseConnector,
    Capabilities,
    Check,
    ConfigField,
    ConnectorError,
    FatalConnectorError,
    FetchResult,
    RetryLater,
    retry_after_seconds,
)
from hearth.channels.models import Channel
from hearth.core import outbound

TIMEOUT_S = 20
MAX_BYTES = 10 * 1024 * 1024
USER_AGENT = "Hearth/1 (+https://github.com/hearth; feed reader)"
MAX_ID = 191


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in ("p", "br", "div", "li", "h1", "h2", "h3", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def strip_html(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    lines = (
        re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip()
        for line in "".join(parser.parts).split("\n")
    )
    return "\n".join(line for line in lines if line)


def _when(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value: time.struct_time | None = entry.get(key)
        if value:
            return datetime(*value[:6], tzinfo=UTC)
    return None


def _short(value: str) -> str:
    return value if len(value) <= MAX_ID else "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def entry_to_item(
    entry: Mapping[str, Any], feed: Mapping[str, Any], *, seen_at: datetime, channel_name: str
) -> dict[str, Any] | None:
    title = strip_html(entry.get("title", "") or "")
    summary_html = entry.get("summary", "") or ""
    if not summary_html and entry.get("content"):
        summary_html = entry["content"][0].get("value", "")
    summary = strip_html(summary_html)
    text = "\n\n".join(part for part in (title, summary) if part)
    link = entry.get("link", "") or ""
    created = _when(entry) or seen_at
    key = entry.get("id") or link or (title + created.isoformat() if title else "")
    if not key or not text:
        return None  # nothing to identify or nothing to read: not a message
    author_name = (
        entry.get("author") or feed.get("author") or feed.get("title") or channel_name
    ).strip()
    language = (feed.get("language") or "").split("-")[0].lower()[:8]
    return {
        "external_id": _short(str(key).strip()),
        "kind": "post",
        "author": {
            "external_id": _short(slugify(author_name) or author_name),
            "handle": "",
            "display_name": author_name[:MAX_ID],
        },
        "text": text[:100_000],
        "created_at": created.isoformat(),
        "url": link if len(link) <= 500 else "",
        **({"lang": language} if language else {}),
    }


class RssConnector(BaseConnector):
    label = "RSS / Atom"
    docs = "listening.md#rssatom-sources"
    config_fields = (
        ConfigField(
            "url",
            _("Feed address"),
            kind="url",
            required=True,
            help=_("The RSS or Atom feed's URL, e.g. https://example.org/feed.xml."),
        ),
    )
    capabilities = Capabilities(fetch=True)
    poll_interval_s = 15 * 60  # feeds rarely change faster; an unchanged feed costs a 304

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        self.url = (channel.config or {}).get("url", "")

    def test_connection(self) -> list[Check]:
        """Read the feed once (without its validators): it answers, and holds entries."""
        try:
            result = self.fetch("")
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        return [
            Check(
                "read",
                True,
                gettext("The feed answered: %(count)s entries can be read.")
                % {"count": len(result.items)},
            )
        ]

    def fetch(self, cursor: str) -> FetchResult:
        if not self.url:
            raise FatalConnectorError(
                f"Channel '{self.channel.slug}' has no feed URL: set config.url."
            )
        validators = json.loads(cursor) if cursor.startswith("{") else {}
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
        }
        if validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if validators.get("modified"):
            headers["If-Modified-Since"] = validators["modified"]
        try:
            with outbound.session() as session:  # the feed is user-configured: vetted addresses
                response = session.get(self.url, headers=headers, timeout=TIMEOUT_S)
        except outbound.OutboundRefused as exc:
            raise FatalConnectorError(str(exc)) from None
        except requests.RequestException as exc:
            raise RetryLater(
                f"Feed {self.url} is unreachable: {type(exc).__name__}.", after_s=300
            ) from exc
        if response.status_code == 304:
            return FetchResult(items=[], cursor=cursor)
        if response.status_code in (429, 500, 502, 503, 504):
            raise RetryLater(
                f"Feed {self.url} answered HTTP {response.status_code}.",
                after_s=retry_after_seconds(response.headers.get("Retry-After"), 600),
            )
        if response.status_code >= 400:
            raise FatalConnectorError(
                f"Feed {self.url} answered HTTP {response.status_code}: check the URL."
            )
        if len(response.content) > MAX_BYTES:
            raise FatalConnectorError(
                f"Feed {self.url} is larger than {MAX_BYTES // 1024 // 1024} MB."
            )
        parsed = feedparser.parse(
            response.content, response_headers={k.lower(): v for k, v in response.headers.items()}
        )
        if not parsed.entries and (parsed.bozo or not parsed.feed):
            reason = getattr(parsed, "bozo_exception", None) or "no RSS or Atom content"
            raise FatalConnectorError(f"{self.url} is not a readable feed: {reason}.")
        seen_at = timezone.now().replace(microsecond=0)
        items = [
            item
            for entry in parsed.entries
            if (
                item := entry_to_item(
                    entry, parsed.feed, seen_at=seen_at, channel_name=self.channel.name
                )
            )
            is not None
        ]
        new_cursor = json.dumps(
            {
                "etag": response.headers.get("ETag", ""),
                "modified": response.headers.get("Last-Modified", ""),
            }
        )
        return FetchResult(items=items, cursor=new_cursor)
