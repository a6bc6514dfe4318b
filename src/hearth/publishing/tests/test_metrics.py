"""After publishing: engagement read on a decaying schedule (a time series per variant), the
platforms' errors on that path, and replies to a post linked to it in the inbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from hearth.channels.models import Channel
from hearth.conversations.models import Thread
from hearth.pipeline.ingest import ingest_batch
from hearth.publishing import metrics
from hearth.publishing.actions.posts import PostIn, VariantIn, create_post, schedule_post
from hearth.publishing.actions.publish import publish_due
from hearth.publishing.models import Post, PostMetric, PostThread, PostVariant, VariantState


@pytest.fixture(autouse=True)
def _english() -> Any:
    # A French page test earlier in the process may leave French active in this thread; these
    # tests read the English messages.
    with translation.override("en"):
        yield


def _published(
    personas: Any, channel: Channel, capture: Any, *, title: str = "Spring guide"
) -> PostVariant:
    post = create_post(
        personas.workspace,
        PostIn(title=title, variants=[VariantIn(channel_id=channel.pk, text="Our guide is out")]),
        by=personas.actor("manager"),
    )
    soon = timezone.now() + timedelta(minutes=2)
    schedule_post(post, soon, by=personas.actor("manager"))
    with capture(execute=True):
        publish_due(now=soon + timedelta(seconds=5))
    variant = post.variants.get()
    assert variant.state == VariantState.PUBLISHED and variant.external_id, variant.detail
    return variant


def _at(variant: PostVariant, **delta: float) -> datetime:
    assert variant.published_at is not None
    return variant.published_at + timedelta(**delta)


def test_engagement_is_read_often_at_first_then_daily_for_a_month(
    personas: Any, demo_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    variant = _published(personas, demo_channel, django_capture_on_commit_callbacks)
    assert metrics.collect_due(now=_at(variant, minutes=59))["read"] == 0
    variant.refresh_from_db()
    assert variant.metrics_due_at == _at(variant, hours=1)  # the schedule started
    assert metrics.collect_due(now=_at(variant, minutes=61))["read"] == 1
    assert metrics.collect_due(now=_at(variant, hours=2))["read"] == 0
    assert metrics.collect_due(now=_at(variant, hours=3, minutes=1))["read"] == 1
    # The worker was stopped for five days: one reading, then the next step still ahead.
    assert metrics.collect_due(now=_at(variant, days=5, hours=2))["read"] == 1
    variant.refresh_from_db()
    assert variant.metrics_due_at == _at(variant, days=6)
    assert metrics.collect_due(now=_at(variant, days=31))["read"] == 1
    variant.refresh_from_db()
    assert variant.metrics_due_at is None  # the schedule is over
    assert metrics.collect_due(now=_at(variant, days=40))["read"] == 0
    points = list(variant.metrics.order_by("collected_at"))
    assert len(points) == 4
    assert all(p.reach and p.likes is not None and p.clicks is not None for p in points)
    assert [p.reach for p in points] == sorted(p.reach or 0 for p in points)  # grows with age


def test_a_step_is_read_once_even_by_two_workers(
    personas: Any, demo_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    variant = _published(personas, demo_channel, django_capture_on_commit_callbacks)
    metrics.start_due()
    variant.refresh_from_db()
    due, published = variant.metrics_due_at, variant.published_at
    assert due is not None and published is not None
    now = _at(variant, minutes=70)
    assert metrics.collect_one(variant.pk, due, published, now=now) == "read"
    assert metrics.collect_one(variant.pk, due, published, now=now) is None  # already claimed
    assert PostMetric.objects.filter(variant=variant).count() == 1


@pytest.mark.parametrize(
    ("error", "outcome", "wait"),
    [
        ("429", "waiting", timedelta(seconds=120)),
        ("401", "waiting", timedelta(hours=1)),
        ("500", "waiting", timedelta(minutes=15)),
        ("404", "stopped", None),
    ],
)
def test_platform_errors_wait_or_stop_the_schedule(
    personas: Any,
    demo_channel: Channel,
    django_capture_on_commit_callbacks: Any,
    error: str,
    outcome: str,
    wait: timedelta | None,
) -> None:
    variant = _published(personas, demo_channel, django_capture_on_commit_callbacks)
    Channel.objects.filter(pk=demo_channel.pk).update(
        config={**demo_channel.config, "metrics_error": error}
    )
    now = _at(variant, minutes=61)
    counts = metrics.collect_due(now=now)
    assert counts[outcome] == 1 and counts["read"] == 0
    variant.refresh_from_db()
    assert not PostMetric.objects.exists()
    if wait is None:
        assert variant.metrics_due_at is None
        assert "no longer on the demo platform" in variant.metrics_detail
        page = personas.client("viewer").get(reverse("publishing:post", args=[variant.post_id]))
        assert "no longer on the demo platform" in page.content.decode()
    else:
        assert variant.metrics_due_at == now + wait
        Channel.objects.filter(pk=demo_channel.pk).update(config={"followers": 3})
        assert metrics.collect_due(now=now + wait)["read"] == 1  # it recovers


def test_a_platform_without_post_figures_ends_the_schedule_and_says_so(
    personas: Any, chirp_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    variant = _published(personas, chirp_channel, django_capture_on_commit_callbacks)
    assert metrics.collect_due(now=_at(variant, hours=2))["stopped"] == 1
    variant.refresh_from_db()
    assert variant.metrics_due_at is None and "gives no figures per post" in variant.metrics_detail


def test_the_post_page_shows_the_time_series(
    personas: Any, demo_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    variant = _published(personas, demo_channel, django_capture_on_commit_callbacks)
    page = personas.client("viewer").get(reverse("publishing:post", args=[variant.post_id]))
    assert "The first figures are read an hour after publishing" in page.content.decode()
    metrics.collect_due(now=_at(variant, minutes=61))
    metrics.collect_due(now=_at(variant, hours=4))
    page = personas.client("viewer").get(reverse("publishing:post", args=[variant.post_id]))
    html = page.content.decode()
    assert 'data-testid="metrics-' in html and "<th>Reach</th>" in html
    last = variant.metrics.order_by("collected_at").last()
    assert last is not None and f"<td>{last.reach}</td>" in html
    assert "<polyline" in html  # a small chart once there are two readings
    outsider = personas.client("outsider")
    assert outsider.get(reverse("publishing:post", args=[variant.post_id])).status_code == 404


def test_replies_to_a_post_are_linked_to_it_in_the_inbox(
    personas: Any,
    demo_channel: Channel,
    make_channel: Any,
    make_item: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    variant = _published(personas, demo_channel, django_capture_on_commit_callbacks)
    ext = variant.external_id
    ingest_batch(
        demo_channel,
        [
            make_item("r1", "Love this guide!", kind="comment", author="ana", parent=ext),
            make_item("r2", "Same here", kind="comment", author="ben", parent="r1", minutes=1),
            make_item("other", "An unrelated question", author="cleo", minutes=2),
        ],
    )
    link = PostThread.objects.get()
    assert link.variant == variant and link.thread.root_external_id == ext
    assert not PostThread.objects.filter(thread__root_external_id="other").exists()
    # A later reply in the same thread keeps the one link.
    ingest_batch(demo_channel, [make_item("r3", "+1", kind="comment", author="dan", parent=ext)])
    assert PostThread.objects.count() == 1
    page = personas.client("viewer").get(reverse("publishing:post", args=[variant.post_id]))
    html = page.content.decode()
    assert "Love this guide!" in html and "Same here" in html and "+1" in html
    assert "An unrelated question" not in html
    thread = link.thread
    inbox = personas.client("moderator").get(reverse("inbox_thread", args=[thread.pk]))
    html = inbox.content.decode()
    assert 'data-testid="reply-to-post"' in html and "Spring guide" in html
    assert reverse("publishing:post", args=[variant.post_id]) in html
    unrelated = Thread.objects.get(root_external_id="other")
    html = personas.client("moderator").get(reverse("inbox_thread", args=[unrelated.pk]))
    assert 'data-testid="reply-to-post"' not in html.content.decode()


def test_a_reply_on_another_channel_with_the_same_id_is_not_linked(
    personas: Any,
    demo_channel: Channel,
    make_channel: Any,
    make_item: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    variant = _published(personas, demo_channel, django_capture_on_commit_callbacks)
    elsewhere = make_channel(personas.workspace, name="Elsewhere", kind="import")
    ingest_batch(elsewhere, [make_item("x1", "hi", parent=variant.external_id)])
    assert not PostThread.objects.exists()
    assert Post.objects.count() == 1


@pytest.mark.platform_server
def test_mastodon_figures_and_replies_come_from_the_server(
    mastodon: Any,
    mastodon_channel: Any,
    personas: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from hearth.pipeline.sync import sync

    with django_capture_on_commit_callbacks(execute=True):
        channel = mastodon_channel()
    variant = _published(personas, channel, django_capture_on_commit_callbacks, title="Launch")
    ana = mastodon.client("ana")
    ana.status_favourite(variant.external_id)
    mastodon.client("ben").status_favourite(variant.external_id)
    ana.status_reply(ana.status(variant.external_id), "Congratulations on the launch!")
    assert metrics.collect_due(now=_at(variant, minutes=61))["read"] == 1
    point = PostMetric.objects.get(variant=variant)
    assert (point.likes, point.comments, point.shares) == (2, 1, 0)
    assert point.clicks is None and point.reach is None  # Mastodon does not give them
    with django_capture_on_commit_callbacks(execute=True):
        sync(channel.pk)
    link = PostThread.objects.get(variant=variant)
    assert link.thread.messages.filter(text__icontains="Congratulations").exists()
    html = personas.client("viewer").get(reverse("publishing:post", args=[variant.post_id]))
    assert "Congratulations on the launch!" in html.content.decode()
    # The status deleted on the server: the schedule stops with the reason.
    mastodon.client("lumio").status_delete(variant.external_id)
    assert metrics.collect_due(now=_at(variant, hours=3, minutes=1))["stopped"] == 1
    variant.refresh_from_db()
    assert "no longer on Mastodon" in variant.metrics_detail
