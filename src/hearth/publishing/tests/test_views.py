"""The publishing pages: calendar views and filters, the composer (two variants, autosave),
drag and drop, the crisis brake, the client review page, and tenancy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.publishing.actions.approvals import (
    configure_approvals,
    create_review_link,
    submit_for_review,
)
from hearth.publishing.actions.posts import PostIn, VariantIn, create_post, schedule_post
from hearth.publishing.models import ContentClass, Post, PostState


@pytest.fixture
def second_channel(workspace: Any, make_channel: Any) -> Channel:
    return make_channel(workspace, name="Demo two", kind="demo")


def _scheduled(personas: Any, channel: Channel, when: Any, **kw: Any) -> Post:
    post = create_post(
        personas.workspace,
        PostIn(variants=[VariantIn(channel_id=channel.pk, text=kw.pop("text", "Hello"))], **kw),
        by=personas.actor("manager"),
    )
    return schedule_post(post, when, by=personas.actor("manager"))


def test_the_composer_saves_a_post_with_two_variants(
    personas: Any, demo_channel: Channel, second_channel: Channel
) -> None:
    client = personas.client("manager")
    assert b'data-testid="composer"' in client.get(reverse("publishing:compose")).content
    when = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        reverse("publishing:compose"),
        {
            "title": "Spring guide",
            "campaign": "Spring",
            "labels": "guide, lamps",
            "content_class": "value",
            "channels": [demo_channel.pk, second_channel.pk],
            f"v{demo_channel.pk}-text": "Long version for the demo",
            f"v{second_channel.pk}-text": "Short one",
            f"v{second_channel.pk}-media": "https://cdn.example/a.jpg | A lamp at dusk",
            "scheduled_at": when,
            "intent": "schedule",
        },
    )
    post = Post.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "publishing:post", args=[post.pk]
    )
    assert post.state == PostState.SCHEDULED and post.labels == ["guide", "lamps"]
    texts = dict(post.variants.values_list("channel_id", "text"))
    assert texts == {demo_channel.pk: "Long version for the demo", second_channel.pk: "Short one"}
    assert post.variants.get(channel=second_channel).media == [
        {"url": "https://cdn.example/a.jpg", "alt": "A lamp at dusk", "type": "image"}
    ]
    page = client.get(reverse("publishing:post", args=[post.pk])).content.decode()
    assert "Long version for the demo" in page and "A lamp at dusk" in page


def test_autosave_creates_the_draft_once_then_updates_it(
    personas: Any, demo_channel: Channel
) -> None:
    client = personas.client("manager")
    form = {
        "channels": [demo_channel.pk],
        f"v{demo_channel.pk}-text": "Dra",
        "content_class": "value",
    }
    first = client.post(reverse("publishing:autosave"), form).json()
    form.update({"post_id": first["id"], f"v{demo_channel.pk}-text": "Draft, continued"})
    second = client.post(reverse("publishing:autosave"), form).json()
    assert first["id"] == second["id"] and Post.objects.count() == 1
    assert Post.objects.get().variants.get().text == "Draft, continued"
    assert Post.objects.get().state == PostState.DRAFT


def test_calendar_month_week_and_list_with_filters(
    personas: Any, demo_channel: Channel, second_channel: Channel
) -> None:
    now = timezone.localtime()
    day = now + timedelta(days=1)
    a = _scheduled(personas, demo_channel, day, title="On demo", campaign="Spring")
    b = _scheduled(personas, second_channel, day + timedelta(hours=1), title="On two")
    client = personas.client("viewer")
    date = day.date().isoformat()
    for view in ("month", "week", "list"):
        page = client.get(
            reverse("publishing:calendar"), {"view": view, "date": date}
        ).content.decode()
        assert "On demo" in page and "On two" in page, view
    page = client.get(
        reverse("publishing:calendar"), {"view": "week", "date": date, "channel": second_channel.pk}
    ).content.decode()
    assert "On two" in page and "On demo" not in page
    page = client.get(
        reverse("publishing:calendar"), {"date": date, "campaign": "Spring"}
    ).content.decode()
    assert f'data-post="{a.pk}"' in page and f'data-post="{b.pk}"' not in page
    assert 'draggable="true"' not in page  # a viewer cannot move posts


def test_the_content_mix_warning(personas: Any, demo_channel: Channel) -> None:
    start = timezone.localtime() + timedelta(days=1)
    for i in range(4):
        _scheduled(
            personas, demo_channel, start + timedelta(hours=i), content_class=ContentClass.VALUE
        )
    client = personas.client("manager")
    params = {"view": "week", "date": start.date().isoformat()}
    _scheduled(
        personas, demo_channel, start + timedelta(hours=5), content_class=ContentClass.PROMOTION
    )
    assert (
        b"mix-warning" not in client.get(reverse("publishing:calendar"), params).content
    )  # 1 in 5
    _scheduled(
        personas, demo_channel, start + timedelta(hours=6), content_class=ContentClass.PROMOTION
    )
    page = client.get(reverse("publishing:calendar"), params).content.decode()
    assert 'data-testid="mix-warning"' in page and "33 %" in page


def test_drag_and_drop_moves_a_post_to_another_day_keeping_its_time(
    personas: Any, demo_channel: Channel
) -> None:
    when = (timezone.localtime() + timedelta(days=2)).replace(
        hour=10, minute=30, second=0, microsecond=0
    )
    post = _scheduled(personas, demo_channel, when)
    target = (when + timedelta(days=3)).date()
    answer = personas.client("manager").post(
        reverse("publishing:move", args=[post.pk]), {"date": target.isoformat()}
    )
    assert answer.status_code == 200
    post.refresh_from_db()
    local = timezone.localtime(post.scheduled_at)
    assert (local.date(), local.hour, local.minute) == (target, 10, 30)
    past = personas.client("manager").post(
        reverse("publishing:move", args=[post.pk]), {"date": "2020-01-01"}
    )
    assert past.status_code == 400 and "future" in past.json()["error"]


def test_pause_from_the_calendar_shows_a_banner_everywhere_and_resume_lists_the_held(
    personas: Any, demo_channel: Channel
) -> None:
    post = _scheduled(personas, demo_channel, timezone.now() + timedelta(hours=3), title="Offer")
    client = personas.client("manager")
    client.post(reverse("publishing:pause"), {"reason": "Product recall"})
    post.refresh_from_db()
    assert post.state == PostState.HELD
    calendar = client.get(reverse("publishing:calendar")).content.decode()
    assert 'data-testid="pause-banner"' in calendar and "Product recall" in calendar
    # Only the pages where posts are planned pay the banner's query.
    assert 'data-testid="pause-banner"' not in client.get(reverse("dashboard")).content.decode()
    client.post(reverse("publishing:resume"), {"do": "resume"})
    page = client.get(reverse("publishing:resume")).content.decode()
    assert f'data-testid="held-{post.pk}"' in page
    client.post(reverse("publishing:resume"), {"do": "drop", "post": post.pk})
    post.refresh_from_db()
    assert post.state == PostState.DRAFT


def test_the_client_review_page_needs_only_the_link(
    personas: Any, demo_channel: Channel, client: Any
) -> None:
    configure_approvals(
        personas.workspace,
        "one",
        [{"name": "Client", "by_client": True}],
        by=personas.actor("owner"),
    )
    post = create_post(
        personas.workspace,
        PostIn(
            variants=[VariantIn(channel_id=demo_channel.pk, text="Meet Halo")],
            scheduled_at=timezone.now() + timedelta(days=1),
        ),
        by=personas.actor("manager"),
    )
    submit_for_review(post, by=personas.actor("manager"))
    link, token = create_review_link(
        personas.workspace, "Marie", [post], by=personas.actor("owner")
    )
    url = reverse("publishing:review", args=[token])
    assert "Meet Halo" in client.get(url).content.decode()  # anonymous
    client.post(url, {"post": post.pk, "decision": "approve", "name": "Marie L."})
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    assert post.comments.get().author_label == "Marie L. (client, through a review link)"
    personas.client("owner").post(reverse("publishing:link_revoke", args=[link.pk]))
    assert client.get(url).status_code == 404
    assert client.get(reverse("publishing:review", args=["forged"])).status_code == 404


def test_another_workspace_cannot_see_or_change_posts(personas: Any, demo_channel: Channel) -> None:
    post = _scheduled(
        personas, demo_channel, timezone.now() + timedelta(days=1), title="Secret launch"
    )
    outsider = personas.client("outsider")
    for name, args in (("post", [post.pk]), ("edit", [post.pk])):
        assert outsider.get(reverse(f"publishing:{name}", args=args)).status_code == 404
    assert (
        outsider.post(
            reverse("publishing:move", args=[post.pk]), {"date": "2030-01-01"}
        ).status_code
        == 404
    )
    assert (
        outsider.post(
            reverse("publishing:decide", args=[post.pk]), {"decision": "unschedule"}
        ).status_code
        == 404
    )
    assert (
        outsider.post(
            reverse("publishing:autosave"), {"post_id": post.pk, "channels": [demo_channel.pk]}
        ).status_code
        == 404
    )
    assert (
        "Secret launch"
        not in outsider.get(reverse("publishing:calendar"), {"view": "list"}).content.decode()
    )
    viewer = personas.client("viewer")
    assert (
        viewer.post(reverse("publishing:move", args=[post.pk]), {"date": "2030-01-01"}).status_code
        == 403
    )
    assert viewer.get(reverse("publishing:compose")).status_code == 403
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED


def test_the_month_view_costs_the_same_queries_with_twice_the_posts(
    personas: Any, demo_channel: Channel, lock_queries: Any
) -> None:
    start = timezone.localtime().replace(day=10, hour=9) + timedelta(days=31)
    made = {"n": 0}

    def seed() -> None:
        for _ in range(2):
            made["n"] += 1
            _scheduled(
                personas, demo_channel, start + timedelta(hours=made["n"]), title=f"P{made['n']}"
            )

    client = personas.client("manager")

    def get() -> Any:
        return client.get(reverse("publishing:calendar"), {"date": start.date().isoformat()})

    # 14 for the posts and the page, + the notes and key dates, + the themes (their counts
    # come from the content mix's query).
    lock_queries(16, get, seed, lambda r: (r.content.decode().count('class="chip '),))


def test_the_calendar_escapes_what_people_wrote(personas: Any, demo_channel: Channel) -> None:
    when = timezone.localtime() + timedelta(days=1)
    _scheduled(personas, demo_channel, when, title='<script>alert("x")</script>')
    page = (
        personas.client("manager")
        .get(reverse("publishing:calendar"), {"view": "week", "date": when.date().isoformat()})
        .content.decode()
    )
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
