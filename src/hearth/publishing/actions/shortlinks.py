"""Hearth's own short links: `/l/<code>` redirects to the address with the UTM parameters of the
platform and campaign, and counts the click (per link and day, nothing about who clicked), so
analytics can tell which post brought the visits.

Short links are public by nature (anyone with the post can follow them); the code is random
(no enumeration of a workspace's links), only http(s) targets are taken, and link-preview
robots and crawlers are not counted as clicks.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.channels.models import Channel
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.publishing.models import Post, ShortLink, ShortLinkDay

CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 7
MAX_URL = 2000
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"]+")
# Link previews (the platforms fetch every link of a post), crawlers, monitors, scripts.
BOT_AGENTS = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|embedly|mastodon|pleroma|akkoma|"
    r"misskey|bluesky|whatsapp|skypeuripreview|curl|wget|python-|httpclient|okhttp|"
    r"go-http|java/|monitor|headless|lighthouse",
    re.IGNORECASE,
)


def base_url() -> str:
    return (settings.HEARTH_SHORT_LINK_BASE or settings.HEARTH_PUBLIC_URL).rstrip("/")


def short_url(link: ShortLink) -> str:
    return f"{base_url()}/l/{link.code}"


def _with_utm(url: str, *, source: str, campaign: str) -> str:
    parts = urlsplit(url)
    utm = {"utm_source": source, "utm_medium": "social"}
    if campaign:
        utm["utm_campaign"] = campaign
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in utm]
    query += list(utm.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def check_target(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ActionError(
            _("Only web addresses (http:// or https://) can be shortened; “%(url)s” is not one.")
            % {"url": url[:80]}
        )
    if len(url) > MAX_URL - 200:
        raise ActionError(_("This address is too long to shorten (at most 1,800 characters)."))
    return url


def is_short(url: str) -> bool:
    return url.startswith(f"{base_url()}/l/")


@transaction.atomic
def shorten(
    workspace: Workspace,
    url: str,
    *,
    channel: Channel,
    by: Actor,
    campaign: str = "",
    post: Post | None = None,
) -> ShortLink:
    """The short link of `url` for posts on `channel` (utm_source = its platform) in
    `campaign`; the same address, platform and campaign always give the same link.

    Preconditions: the actor may PUBLISH; an http(s) address; the channel (and post) belong to
    the workspace.
    Side effects: the link (if new), an audit entry.
    """
    check_actor(by, workspace, Perm.PUBLISH)
    if channel.workspace_id != workspace.pk or (post and post.workspace_id != workspace.pk):
        raise ActionError(_("One of the chosen channels does not exist in this workspace."))
    url = check_target(url)
    source = channel.kind
    campaign = campaign.strip()[:80]
    target = _with_utm(url, source=source, campaign=campaign)
    existing = ShortLink.objects.filter(workspace=workspace, target=target).first()
    if existing is not None:
        if post is not None and existing.post_id is None:
            ShortLink.objects.filter(pk=existing.pk).update(post=post)
            existing.post = post
        return existing
    for _attempt in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                link = ShortLink.objects.create(
                    workspace=workspace,
                    code=code,
                    url=url,
                    target=target,
                    source=source,
                    campaign=campaign,
                    post=post,
                    created_by=by.user,
                )
            break
        except IntegrityError:  # the code is taken: draw another
            continue
    else:  # pragma: no cover - 56**7 codes
        raise ActionError(_("No short link could be made now: try again."))
    audit.record(
        "publishing.link.shorten", by=by, workspace=workspace, target=link, data={"url": url}
    )
    return link


def shorten_text(
    workspace: Workspace,
    text: str,
    *,
    channel: Channel,
    by: Actor,
    campaign: str = "",
    post: Post | None = None,
) -> tuple[str, list[ShortLink]]:
    """Every http(s) address of `text` replaced by its short link (short links stay as they are)."""
    made: list[ShortLink] = []

    def replace(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(".,;:!?)»”'")
        tail = match.group(0)[len(url) :]
        if is_short(url):
            return match.group(0)
        link = shorten(workspace, url, channel=channel, by=by, campaign=campaign, post=post)
        made.append(link)
        return short_url(link) + tail

    return URL_IN_TEXT.sub(replace, text), made


def attach_to_post(post: Post, texts: list[str]) -> int:
    """Short links of the workspace found in a post's texts count for that post (a link made
    before the draft was first saved)."""
    codes = {
        m.group(0).rsplit("/", 1)[-1]
        for text in texts
        for m in re.finditer(re.escape(base_url()) + r"/l/[A-Za-z0-9]+", text or "")
    }
    if not codes:
        return 0
    return ShortLink.objects.filter(
        workspace_id=post.workspace_id, code__in=codes, post__isnull=True
    ).update(post=post)


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(BOT_AGENTS.search(user_agent))


def follow(code: str, *, user_agent: str, day: date | None = None) -> ShortLink | None:
    """The link of a code (None: unknown), its click counted unless a robot made it."""
    link = ShortLink.objects.filter(code=code).only("pk", "target").first()
    if link is None:
        return None
    if not is_bot(user_agent):
        day = day or timezone.localdate()
        updated = ShortLinkDay.objects.filter(link=link, day=day).update(clicks=F("clicks") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    ShortLinkDay.objects.create(link=link, day=day, clicks=1)
            except IntegrityError:  # a click at the same moment made the row
                ShortLinkDay.objects.filter(link=link, day=day).update(clicks=F("clicks") + 1)
    return link


def clicks_of(links: list[ShortLink]) -> dict[int, int]:
    """Total clicks per link id."""
    rows = (
        ShortLinkDay.objects.filter(link__in=links)
        .values("link_id")
        .annotate(total=Sum("clicks"))
        .values_list("link_id", "total")
    )
    return {link_id: int(total or 0) for link_id, total in rows}


def links_with_clicks(post: Post) -> list[tuple[ShortLink, int]]:
    """The post's short links and their clicks, for its page."""
    found = list(ShortLink.objects.filter(post=post))
    clicks = clicks_of(found)
    return [(link, clicks.get(link.pk, 0)) for link in found]
