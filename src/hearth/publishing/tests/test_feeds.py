"""RSS-to-post: a feed fills drafts or the queue with its new items, never twice (GUID, else
link), is read by the periodic job, refuses private addresses, and shows what went wrong on its
settings row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from hearth.core.actions import ActionError
from hearth.publishing.actions import feeds
from hearth.publishing.models import Post, PostFeed, PostFeedEntry, PostState


def rss(*items: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>"
        "<description>&lt;p&gt;Read &lt;b&gt;more&lt;/b&gt;&lt;/p&gt;</description></item>"
        for guid, title, link in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Lumio blog</title>'
        f"{body}</channel></rss>"
    ).encode()


ITEMS = [
    ("g5", "Five", "https://lumio.example/5"),
    ("g4", "Four", "https://lumio.example/4"),
    ("g3", "Three", "https://lumio.example/3"),
    ("g2", "Two", "https://lumio.example/2"),
    ("g1", "One", "https://lumio.example/1"),
]


@pytest.fixture
def blog(fake_platform: Any, settings: Any) -> Any:
    settings.HEARTH_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    fake_platform.route(
        "GET",
        "/feed.xml",
        body=rss(*ITEMS),
        headers={"Content-Type": "application/rss+xml"},
    )
    return fake_platform


def _feed(personas: Any, blog: Any, channel: Any, **kwargs: Any) -> PostFeed:
    return feeds.save_feed(
        personas.workspace,
        name="Blog",
        url=f"{blog.url}/feed.xml",
        channel_ids=[channel.pk],
        by=personas.actor("manager"),
        **kwargs,
    )


def test_new_items_become_drafts_once_and_the_back_catalogue_is_skipped(
    personas: Any, blog: Any, demo_channel: Any
) -> None:
    feed = _feed(personas, blog, demo_channel, template="{title} → {link} ({summary})")
    assert feeds.poll_due() == 3  # the three newest; the two oldest are marked seen
    texts = list(Post.objects.order_by("pk").values_list("variants__text", flat=True))
    assert texts == [
        "Three → https://lumio.example/3 (Read more)",
        "Four → https://lumio.example/4 (Read more)",
        "Five → https://lumio.example/5 (Read more)",
    ]
    assert set(Post.objects.values_list("state", flat=True)) == {PostState.DRAFT}
    assert PostFeedEntry.objects.filter(feed=feed).count() == 5

    # Re-read (a new item on top, the rest in another order): only the new one is made.
    blog.route(
        "GET",
        "/feed.xml",
        body=rss(("g6", "Six", "https://lumio.example/6"), *reversed(ITEMS)),
        headers={"Content-Type": "application/rss+xml"},
    )
    assert feeds.poll_feed(feed.pk) == 1
    assert feeds.poll_feed(feed.pk) == 0  # idempotent
    assert Post.objects.count() == 4
    feed.refresh_from_db()
    assert feed.posts_made == 4 and feed.last_error == ""
    # Not due again before HEARTH_POST_FEED_MINUTES.
    assert feeds.poll_due() == 0


def test_a_queue_feed_schedules_each_item_at_the_next_free_hour(
    personas: Any, blog: Any, demo_channel: Any
) -> None:
    feed = _feed(personas, blog, demo_channel, mode="queue")
    assert feeds.poll_feed(feed.pk) == 3
    planned = list(Post.objects.order_by("scheduled_at").values_list("state", "scheduled_at"))
    assert {state for state, _at in planned} == {PostState.SCHEDULED}
    hours = [at for _state, at in planned]
    assert hours[0] > timezone.now() and all(at.minute == 0 for at in hours)
    assert hours[1] - hours[0] == timedelta(hours=1) == hours[2] - hours[1]


def test_a_queue_feed_takes_the_channels_recurring_slots_when_it_has_some(
    personas: Any, blog: Any, demo_channel: Any
) -> None:
    from hearth.publishing import slots
    from hearth.publishing.actions.planning import parse_slots, set_slots

    set_slots(demo_channel, parse_slots("mon 09:30, thu 16:00"), by=personas.actor("manager"))
    expected = slots.free_slots(demo_channel, 3)
    feed = _feed(personas, blog, demo_channel, mode="queue")
    assert feeds.poll_feed(feed.pk) == 3
    planned = list(Post.objects.order_by("scheduled_at"))
    assert [p.scheduled_at for p in planned] == expected
    assert all(p.queued and p.state == PostState.SCHEDULED for p in planned)
    # The feed's order is kept: its oldest new item takes the first slot.
    assert [p.title for p in planned] == ["Three", "Four", "Five"]


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, b"gone", "answered HTTP 404: check the address"),
        (200, b"<html><body>Not a feed</body></html>", "does not give an RSS or Atom feed"),
        (301, b"", "The feed moved to https://elsewhere.example/rss"),
    ],
)
def test_a_feed_that_cannot_be_read_says_why_on_its_row(
    personas: Any,
    fake_platform: Any,
    settings: Any,
    demo_channel: Any,
    status: int,
    body: bytes,
    error: str,
) -> None:
    settings.HEARTH_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    fake_platform.route(
        "GET",
        "/feed.xml",
        status=status,
        body=body,
        headers={"Content-Type": "text/html", "Location": "https://elsewhere.example/rss"},
    )
    feed = _feed(personas, fake_platform, demo_channel)
    assert feeds.poll_feed(feed.pk) == 0
    feed.refresh_from_db()
    assert error in feed.last_error and feed.last_polled_at is not None
    page = personas.client("manager").get(reverse("publishing:feeds")).content.decode()
    assert f'data-testid="feed-error-{feed.pk}"' in page and error in page
    assert not Post.objects.exists()


def test_a_private_address_is_refused_when_read(
    personas: Any, fake_platform: Any, demo_channel: Any, settings: Any
) -> None:
    feed = _feed(personas, fake_platform, demo_channel)
    settings.HEARTH_OUTBOUND_ALLOW = []  # the installation's default: loopback refused
    with pytest.raises(ActionError, match="local or private network"):
        _feed(personas, fake_platform, demo_channel)
    assert feeds.poll_feed(feed.pk) == 0
    feed.refresh_from_db()
    assert "local or private network" in feed.last_error
    assert fake_platform.requests == []


def test_a_feed_needs_a_web_address_a_placeholder_and_the_workspaces_channels(
    personas: Any, demo_channel: Any, make_channel: Any
) -> None:
    by = personas.actor("manager")
    with pytest.raises(ActionError, match="Feed address"):
        feeds.save_feed(
            personas.workspace,
            name="B",
            url="file:///etc/passwd",
            channel_ids=[demo_channel.pk],
            by=by,
        )
    with pytest.raises(ActionError, match="must use {title} or {link}"):
        feeds.save_feed(
            personas.workspace,
            name="B",
            url="https://lumio.example/rss",
            channel_ids=[demo_channel.pk],
            template="New post!",
            by=by,
        )
    theirs = make_channel(personas.other_workspace, name="Theirs", kind="demo")
    with pytest.raises(ActionError, match="at least one channel of this workspace"):
        feeds.save_feed(
            personas.workspace,
            name="B",
            url="https://lumio.example/rss",
            channel_ids=[theirs.pk],
            by=by,
        )


def test_feeds_are_managed_only_inside_their_workspace(personas: Any, demo_channel: Any) -> None:
    client = personas.client("manager")
    client.post(
        reverse("publishing:feeds"),
        {
            "name": "Blog",
            "url": "https://lumio.example/rss",
            "mode": "draft",
            "template": "{title} {link}",
            "channels": [demo_channel.pk],
        },
    )
    feed = PostFeed.objects.get()
    url = reverse("publishing:feed", args=[feed.pk])
    assert personas.client("outsider").post(url, {"do": "delete"}).status_code == 404
    assert personas.client("viewer").post(url, {"do": "delete"}).status_code == 403
    assert (
        "Blog" not in personas.client("outsider").get(reverse("publishing:feeds")).content.decode()
    )
    client.post(url, {"do": "pause"})
    feed.refresh_from_db()
    assert not feed.is_active
    assert feeds.poll_due() == 0  # a paused feed is not read
    client.post(url, {"do": "delete"})
    assert not PostFeed.objects.exists()
