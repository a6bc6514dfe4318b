"""RSS-to-post: a workspace's feed fills drafts or the queue, never twice with the same item.

The periodic job (`publishing-poll-feeds`) polls each active feed every
HEARTH_POST_FEED_MINUTES. An item is known by its GUID (else its link, else its title): a
`PostFeedEntry` row per item, unique per feed, is written in the same transaction as the post
it made, so a re-run (or two workers at once) makes nothing twice. The first poll of a feed
takes only its FIRST_POLL newest items — a feed's back-catalogue is not news — and marks the
rest as seen. What goes wrong (an unreachable address, a page that is not a feed) is kept on
the feed, shown on its settings row, and cleared by the next good poll.

The address is called only if core/outbound.py allows it (no private network), without
following redirects (a public address could answer towards an internal one).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

import feedparser
import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.channels.models import Channel
from hearth.core import audit, outbound
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.publishing import rules
from hearth.publishing.actions import approvals, planning, posts
from hearth.publishing.models import (
    ApprovalMode,
    FeedMode,
    Post,
    PostFeed,
    PostFeedEntry,
    PostState,
    PostVariant,
    PublishingSlot,
)

log = logging.getLogger(__name__)

FIRST_POLL = 3
MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_S = 15
PLACEHOLDERS = ("{title}", "{link}", "{summary}")
USER_AGENT = "Hearth/1 (RSS-to-post)"


def _check(workspace: Workspace, name: str, url: str, template: str, mode: str) -> None:
    if not name.strip():
        raise ActionError(_("Name the feed, so the team recognises its posts."))
    if mode not in FeedMode.values:
        raise ActionError(_("Choose whether the feed fills drafts or the queue."))
    if not any(p in template for p in PLACEHOLDERS):
        raise ActionError(
            _("The template must use {title} or {link} (or {summary}), e.g. “{title} {link}”.")
        )
    try:
        outbound.check_syntax(url.strip())
    except outbound.OutboundRefused as exc:
        raise ActionError(_("Feed address: %(error)s") % {"error": exc}) from None


def _channels(workspace: Workspace, ids: list[int]) -> list[Channel]:
    chosen = list(Channel.objects.filter(workspace=workspace, pk__in=ids, deleted_at=None))
    if not chosen or len(chosen) != len(set(ids)):
        raise ActionError(_("Choose at least one channel of this workspace for the feed's posts."))
    refused = [c.name for c in chosen if not rules.can_publish(c)]
    if refused:
        raise ActionError(
            _("%(channel)s does not let Hearth publish: choose another channel.")
            % {"channel": refused[0]}
        )
    return chosen


@transaction.atomic
def save_feed(
    workspace: Workspace,
    *,
    name: str,
    url: str,
    channel_ids: list[int],
    by: Actor,
    mode: str = FeedMode.DRAFT,
    template: str = "{title} {link}",
    is_active: bool = True,
    feed: PostFeed | None = None,
) -> PostFeed:
    """Create (or, given `feed`, change) an RSS-to-post feed.

    Preconditions: the actor may PUBLISH; a name; an http(s) address that is not on a private
    network; a template with a placeholder; channels of the workspace that can publish.
    Side effects: the feed, an audit entry (its first poll comes with the periodic job).
    """
    check_actor(by, workspace, Perm.PUBLISH)
    _check(workspace, name, url, template, mode)
    chosen = _channels(workspace, channel_ids)
    if feed is None:
        feed = PostFeed(workspace=workspace, created_by=by.user)
    elif feed.url != url.strip():
        feed.last_error = ""
    feed.name, feed.url, feed.mode = name.strip()[:80], url.strip(), mode
    feed.template, feed.is_active = template.strip()[:1000], is_active
    feed.save()
    feed.channels.set(chosen)
    audit.record(
        "publishing.feed.save",
        by=by,
        workspace=workspace,
        target=feed,
        data={"url": feed.url, "mode": mode, "channels": [c.pk for c in chosen]},
    )
    return feed


@transaction.atomic
def delete_feed(feed: PostFeed, *, by: Actor) -> None:
    """Stop the feed (the posts it made stay)."""
    check_actor(by, feed.workspace_id, Perm.PUBLISH)
    audit.record(
        "publishing.feed.delete",
        by=by,
        workspace=feed.workspace,
        target=feed,
        data={"url": feed.url},
    )
    feed.delete()


class FeedError(Exception):
    """The feed could not be read (the message says what to do)."""


def _download(url: str) -> bytes:
    try:
        outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise FeedError(str(exc)) from None
    try:
        with requests.get(
            url,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/rss+xml, application/atom+xml, */*;q=0.5",
            },
            timeout=TIMEOUT_S,
            allow_redirects=False,
            stream=True,
        ) as answer:
            if answer.is_redirect:
                raise FeedError(
                    _("The feed moved to %(where)s: put that address in the feed's settings.")
                    % {"where": answer.headers.get("Location", "?")[:200]}
                )
            if answer.status_code >= 400:
                raise FeedError(
                    _("The feed's server answered HTTP %(status)s: check the address.")
                    % {"status": answer.status_code}
                )
            body = b""
            for chunk in answer.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_BYTES:
                    raise FeedError(_("The feed is larger than 5 MB: Hearth does not read it."))
            return body
    except requests.RequestException as exc:
        raise FeedError(
            _("The feed's server did not answer (%(error)s): Hearth tries again at the next poll.")
            % {"error": type(exc).__name__}
        ) from None


def _key(entry: Any) -> str:
    ident = str(
        entry.get("id") or entry.get("guid") or entry.get("link") or entry.get("title") or ""
    )
    return hashlib.sha256(ident.strip().encode()).hexdigest()


def _text(feed: PostFeed, entry: Any) -> str:
    values = {
        "{title}": str(entry.get("title") or "").strip(),
        "{link}": str(entry.get("link") or "").strip(),
        "{summary}": _plain(str(entry.get("summary") or ""))[:500],
    }
    text = feed.template
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text.strip()


def _plain(html: str) -> str:
    from django.utils.html import strip_tags

    return " ".join(strip_tags(html).split())


def next_free_time(channels: list[Channel], *, after: datetime) -> datetime:
    """The next whole hour, an hour from `after` at the earliest, in which none of the channels
    has a post planned (the queue of the feed's posts)."""
    start = (after + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    taken = set(
        PostVariant.objects.filter(
            channel__in=channels,
            post__scheduled_at__gte=start,
            post__scheduled_at__lt=start + timedelta(days=14),
        )
        .exclude(post__state__in=(PostState.DRAFT, PostState.FAILED))
        .values_list("post__scheduled_at", flat=True)
    )
    hours = {t.replace(minute=0, second=0, microsecond=0) for t in taken if t}
    slot = start
    while slot in hours:
        slot += timedelta(hours=1)
    return slot


def _queue(post: Post, channels: list[Channel]) -> str:
    """Put a new post in the queue; returns what stopped it ("" when queued).

    Channels with recurring slots take the queue of the calendar (each channel's next free slot,
    `planning.queue_post`); otherwise the next whole free hour (`next_free_time`)."""
    system = Actor.system()
    review = posts.publishing_settings(post.workspace_id).approval_mode != ApprovalMode.NONE
    try:
        if channels and all(PublishingSlot.objects.filter(channel=c).exists() for c in channels):
            placed = planning.queue_post(post, by=system)
        else:
            when = next_free_time(channels, after=timezone.now())
            Post.objects.filter(pk=post.pk).update(scheduled_at=when)
            post.scheduled_at = when
            if not review:
                posts.schedule_post(post, when, by=system)
            placed = [post]
        if review:
            for part in placed:
                approvals.submit_for_review(part, by=system)
    except ActionError as exc:
        return str(exc)
    return ""


def poll_feed(feed_id: int, *, now: datetime | None = None) -> int:
    """Read the feed once and make a post of each item not seen before; returns how many.

    Idempotent: an item already seen is skipped, whatever its place or date in the feed.
    Side effects: posts (drafts, or queued), the items seen, the feed's last poll and error.
    """
    now = now or timezone.now()
    feed = PostFeed.objects.select_related("workspace").filter(pk=feed_id).first()
    if feed is None:
        return 0
    try:
        parsed = feedparser.parse(_download(feed.url))
        if not parsed.entries and not parsed.get("version"):  # "": no RSS or Atom at all
            raise FeedError(_("The address does not give an RSS or Atom feed: check it."))
    except FeedError as exc:
        PostFeed.objects.filter(pk=feed.pk).update(last_polled_at=now, last_error=str(exc))
        return 0
    channels = list(feed.channels.filter(deleted_at=None))
    first = not PostFeedEntry.objects.filter(feed=feed).exists()
    entries = list(parsed.entries)
    keys = [_key(e) for e in entries]
    seen = set(PostFeedEntry.objects.filter(feed=feed, key__in=keys).values_list("key", flat=True))
    fresh = [(k, e) for k, e in zip(keys, entries, strict=True) if k not in seen]
    if first:
        # Feeds list the newest first; the back-catalogue is marked seen without a post.
        PostFeedEntry.objects.bulk_create(
            [PostFeedEntry(feed=feed, key=k) for k, _e in fresh[FIRST_POLL:]],
            ignore_conflicts=True,
        )
        fresh = fresh[:FIRST_POLL]
    made, problems = 0, []
    for key, entry in reversed(fresh):  # oldest first, so the queue keeps the feed's order
        text = _text(feed, entry)
        if not channels or not text:
            continue
        try:
            with transaction.atomic():
                marker = PostFeedEntry.objects.create(feed=feed, key=key)
                post = posts.create_post(
                    feed.workspace,
                    posts.PostIn(
                        variants=[posts.VariantIn(channel_id=c.pk, text=text) for c in channels],
                        title=str(entry.get("title") or "")[:200] or feed.name,
                        labels=["rss"],
                    ),
                    by=Actor.system(),
                )
                PostFeedEntry.objects.filter(pk=marker.pk).update(post=post)
                if feed.mode == FeedMode.QUEUE:
                    problem = _queue(post, channels)
                    if problem:
                        problems.append(
                            _("“%(title)s” stayed a draft: %(problem)s")
                            % {"title": post.title, "problem": problem}
                        )
        except IntegrityError:  # another poll took the item first
            continue
        made += 1
    PostFeed.objects.filter(pk=feed.pk).update(
        last_polled_at=now, last_error=" ".join(problems)[:2000]
    )
    if made:
        PostFeed.objects.filter(pk=feed.pk).update(posts_made=feed.posts_made + made)
        audit.record(
            "publishing.feed.poll",
            by=Actor.system(),
            workspace=feed.workspace,
            target=feed,
            data={"posts": made},
        )
    return made


def poll_due(*, now: datetime | None = None) -> int:
    """The periodic pass: every active feed not polled for HEARTH_POST_FEED_MINUTES."""
    now = now or timezone.now()
    every = timedelta(minutes=settings.HEARTH_POST_FEED_MINUTES)
    due = PostFeed.objects.filter(is_active=True).filter(
        Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=now - every)
    )
    total = 0
    for feed_id in due.values_list("pk", flat=True)[:200]:
        try:
            total += poll_feed(feed_id, now=now)
        except Exception:  # noqa: BLE001 - one broken feed must not stop the others
            log.exception("RSS-to-post feed %s failed", feed_id)
            PostFeed.objects.filter(pk=feed_id).update(
                last_polled_at=now,
                last_error=_("Hearth could not read this feed: see the server's log."),
            )
    return total
