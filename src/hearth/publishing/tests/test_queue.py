"""Recurring slots per channel (daylight-saving correct) and the queue that fills the next free
slot, re-planned when a slot frees up."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from hearth.channels.models import Channel
from hearth.core.actions import ActionError
from hearth.publishing import slots
from hearth.publishing.actions.approvals import configure_approvals
from hearth.publishing.actions.planning import parse_slots, queue_post, set_slots
from hearth.publishing.actions.posts import (
    PostIn,
    VariantIn,
    create_post,
    delete_post,
    schedule_post,
    unschedule_post,
)
from hearth.publishing.models import Post, PostState, PublishingSlot

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _english() -> Any:
    # A French page test earlier in the process may leave French active in this thread; these
    # tests read the English messages.
    with translation.override("en"):
        yield


@pytest.fixture
def second_channel(workspace: Any, make_channel: Any) -> Channel:
    return make_channel(workspace, name="Demo two", kind="demo")


def _draft(personas: Any, *channels: Channel, text: str = "Hello") -> Post:
    return create_post(
        personas.workspace,
        PostIn(variants=[VariantIn(channel_id=c.pk, text=text) for c in channels]),
        by=personas.actor("manager"),
    )


def _local(value: datetime | None) -> tuple[int, int, int]:
    assert value is not None
    at = timezone.localtime(value)
    return at.weekday(), at.hour, at.minute


def test_a_slot_keeps_its_local_time_across_the_change_to_summer_time() -> None:
    monday = PublishingSlot(weekday=0, time=time(9, 30))
    sunday_night = PublishingSlot(weekday=6, time=time(2, 30))  # the skipped hour
    start = datetime(2027, 3, 21, tzinfo=PARIS)
    found = list(slots.occurrences([monday, sunday_night], start, start + timedelta(days=9), PARIS))
    in_utc = [(m.astimezone(UTC).strftime("%m-%d %H:%M"), s.weekday) for m, s in found]
    assert in_utc == [
        ("03-21 01:30", 6),  # Sunday 21, winter time: 02:30 CET
        ("03-22 08:30", 0),  # Monday 22: 09:30 CET
        ("03-28 01:30", 6),  # Sunday 28: 02:30 does not exist; 03:30 CEST is 01:30 UTC
        ("03-29 07:30", 0),  # Monday 29: 09:30 CEST
    ]
    assert [m.astimezone(PARIS).strftime("%H:%M") for m, _s in found] == [
        "02:30",
        "09:30",
        "03:30",
        "09:30",
    ]


def test_slots_are_written_as_people_say_them() -> None:
    assert parse_slots("mon 09:30, Wed 9h30\nven 17:00\n7 10") == [
        (0, time(9, 30)),
        (2, time(9, 30)),
        (4, time(17, 0)),
        (6, time(10, 0)),
    ]
    with pytest.raises(ActionError, match="“someday 9” is not a slot"):
        parse_slots("mon 09:30, someday 9")
    with pytest.raises(ActionError, match="is not a slot"):
        parse_slots("tue 25:00")


def test_add_to_queue_takes_the_next_free_slot_then_the_one_after(
    personas: Any, demo_channel: Channel
) -> None:
    set_slots(
        demo_channel, parse_slots("mon 09:30, wed 09:30, fri 09:30"), by=personas.actor("manager")
    )
    first = queue_post(_draft(personas, demo_channel), by=personas.actor("manager"))[0]
    second = queue_post(_draft(personas, demo_channel), by=personas.actor("manager"))[0]
    assert first.state == second.state == PostState.SCHEDULED
    assert first.queued and second.queued
    assert _local(first.scheduled_at)[0] in (0, 2, 4) and _local(first.scheduled_at)[1:] == (9, 30)
    assert second.scheduled_at and first.scheduled_at and second.scheduled_at > first.scheduled_at
    expected = slots.free_slots(demo_channel, 2, exclude_posts=[first.pk, second.pk])
    assert [first.scheduled_at, second.scheduled_at] == expected


def test_a_slot_taken_by_a_post_planned_by_hand_is_skipped(
    personas: Any, demo_channel: Channel
) -> None:
    set_slots(demo_channel, parse_slots("mon 09:30, thu 09:30"), by=personas.actor("manager"))
    nxt = slots.free_slots(demo_channel, 2)
    by_hand = schedule_post(_draft(personas, demo_channel), nxt[0], by=personas.actor("manager"))
    assert not by_hand.queued
    queued = queue_post(_draft(personas, demo_channel), by=personas.actor("manager"))[0]
    assert queued.scheduled_at == nxt[1]


def test_a_post_for_two_channels_is_split_into_each_channels_next_slot(
    personas: Any, demo_channel: Channel, second_channel: Channel
) -> None:
    set_slots(demo_channel, parse_slots("tue 08:00"), by=personas.actor("manager"))
    set_slots(second_channel, parse_slots("sat 18:15"), by=personas.actor("manager"))
    post = _draft(personas, demo_channel, second_channel)
    placed = queue_post(post, by=personas.actor("manager"))
    assert len(placed) == 2 and placed[0].pk == post.pk
    assert {p.variants.get().channel_id for p in placed} == {demo_channel.pk, second_channel.pk}
    times = {p.variants.get().channel_id: _local(p.scheduled_at) for p in placed}
    assert times[demo_channel.pk] == (1, 8, 0)
    assert times[second_channel.pk] == (5, 18, 15)
    assert Post.objects.filter(workspace=personas.workspace).count() == 2


def test_queued_posts_move_up_when_a_slot_frees_up(personas: Any, demo_channel: Channel) -> None:
    set_slots(
        demo_channel, parse_slots("mon 09:30, wed 09:30, fri 09:30"), by=personas.actor("manager")
    )
    a, b, c = (
        queue_post(_draft(personas, demo_channel, text=t), by=personas.actor("manager"))[0]
        for t in "abc"
    )
    times = [a.scheduled_at, b.scheduled_at, c.scheduled_at]
    unschedule_post(a, by=personas.actor("manager"))
    b.refresh_from_db()
    c.refresh_from_db()
    a.refresh_from_db()
    assert not a.queued
    assert [b.scheduled_at, c.scheduled_at] == times[:2]
    delete_post(b, by=personas.actor("manager"))
    c.refresh_from_db()
    assert c.scheduled_at == times[0]


def test_a_queued_post_moved_by_hand_leaves_the_queue_and_frees_its_slot(
    personas: Any, demo_channel: Channel
) -> None:
    set_slots(demo_channel, parse_slots("mon 09:30, wed 09:30"), by=personas.actor("manager"))
    a = queue_post(_draft(personas, demo_channel), by=personas.actor("manager"))[0]
    b = queue_post(_draft(personas, demo_channel), by=personas.actor("manager"))[0]
    first = a.scheduled_at
    assert first is not None
    schedule_post(a, first + timedelta(days=20, minutes=7), by=personas.actor("manager"))
    a.refresh_from_db()
    b.refresh_from_db()
    assert not a.queued and b.queued and b.scheduled_at == first


def test_changing_the_slots_replans_the_queue(personas: Any, demo_channel: Channel) -> None:
    set_slots(demo_channel, parse_slots("mon 09:30"), by=personas.actor("manager"))
    post = queue_post(_draft(personas, demo_channel), by=personas.actor("manager"))[0]
    set_slots(demo_channel, parse_slots("tue 11:00"), by=personas.actor("manager"))
    post.refresh_from_db()
    assert _local(post.scheduled_at) == (1, 11, 0)


def test_queueing_without_slots_says_which_channel_needs_them(
    personas: Any, demo_channel: Channel
) -> None:
    with pytest.raises(ActionError, match="Demo has no publishing slots yet"):
        queue_post(_draft(personas, demo_channel), by=personas.actor("manager"))


def test_with_an_approval_workflow_a_queued_draft_is_planned_not_scheduled(
    personas: Any, demo_channel: Channel
) -> None:
    configure_approvals(personas.workspace, "one", [{"name": "Editor"}], by=personas.actor("owner"))
    set_slots(demo_channel, parse_slots("fri 10:00"), by=personas.actor("manager"))
    post = queue_post(_draft(personas, demo_channel), by=personas.actor("manager"))[0]
    assert post.state == PostState.DRAFT and post.queued and _local(post.scheduled_at) == (4, 10, 0)


def test_the_composers_add_to_queue_button_and_the_slots_page(
    personas: Any, demo_channel: Channel
) -> None:
    client = personas.client("manager")
    answer = client.post(
        reverse("publishing:planning"),
        {"do": "slots", "channel": demo_channel.pk, "slots": "mon 09:30\nthu 14:00"},
    )
    assert answer.status_code == 302
    assert PublishingSlot.objects.filter(channel=demo_channel).count() == 2
    page = client.get(reverse("publishing:planning")).content.decode()
    assert "Next free slots" in page and "mon 09:30" in page
    bad = client.post(
        reverse("publishing:planning"),
        {"do": "slots", "channel": demo_channel.pk, "slots": "mon 9:30, noon"},
    )
    assert bad.status_code == 400 and "“noon” is not a slot" in bad.content.decode()
    assert PublishingSlot.objects.filter(channel=demo_channel).count() == 2  # nothing lost
    answer = client.post(
        reverse("publishing:compose"),
        {
            "title": "Queued",
            "content_class": "value",
            "channels": [demo_channel.pk],
            f"v{demo_channel.pk}-text": "Into the queue",
            "intent": "queue",
        },
    )
    post = Post.objects.get(title="Queued")
    assert answer.status_code == 302 and post.queued and post.state == PostState.SCHEDULED
    assert _local(post.scheduled_at)[1:] in ((9, 30), (14, 0))


def test_the_week_view_shows_each_slot_free_or_taken(personas: Any, demo_channel: Channel) -> None:
    set_slots(demo_channel, parse_slots("mon 09:30, wed 09:30"), by=personas.actor("manager"))
    # The third free slot is in a week whose two slots are both ahead.
    ahead = slots.free_slots(demo_channel, 3)[2]
    schedule_post(_draft(personas, demo_channel), ahead, by=personas.actor("manager"))
    day = timezone.localtime(ahead).date()
    page = (
        personas.client("viewer")
        .get(reverse("publishing:calendar"), {"view": "week", "date": day.isoformat()})
        .content.decode()
    )
    assert page.count('data-testid="slot"') == 2
    assert page.count('class="slot taken"') == 1 and page.count('class="slot free"') == 1


def test_a_slot_already_past_is_not_offered_as_free(personas: Any, demo_channel: Channel) -> None:
    today = timezone.localtime()
    earlier = today - timedelta(minutes=30)
    if earlier.date() != today.date():
        pytest.skip("just after midnight: no earlier slot today")
    set_slots(demo_channel, [(today.weekday(), earlier.time())], by=personas.actor("manager"))
    page = (
        personas.client("viewer")
        .get(reverse("publishing:calendar"), {"view": "week", "date": today.date().isoformat()})
        .content.decode()
    )
    assert 'class="slot past"' in page and 'class="slot free"' not in page


def test_another_workspace_cannot_set_or_see_the_slots(
    personas: Any, demo_channel: Channel, other_workspace: Any
) -> None:
    answer = personas.client("outsider").post(
        reverse("publishing:planning"),
        {"do": "slots", "channel": demo_channel.pk, "slots": "mon 09:30"},
    )
    assert answer.status_code in (400, 403, 404)
    assert not PublishingSlot.objects.filter(channel=demo_channel).exists()
    assert personas.client("viewer").post(reverse("publishing:planning"), {}).status_code == 403


def test_slot_suggestions_use_the_default_grid_and_say_so(
    personas: Any, demo_channel: Channel
) -> None:
    found = slots.suggest(demo_channel)
    assert found.default and len(found.slots) == 3
    assert len({s.at.date() for s in found.slots}) == 3
    for s in found.slots:
        local = timezone.localtime(s.at)
        assert s.at > timezone.now() and s.score == 100
        assert local.weekday() < 5 and (9 <= local.hour < 11 or 17 <= local.hour < 20)
    page = personas.client("manager").get(reverse("publishing:suggest", args=[demo_channel.pk]))
    assert "from the default grid: too little history" in page.content.decode()
    assert page.content.decode().count("data-suggest=") == 3


def test_suggestions_skip_hours_already_taken(personas: Any, demo_channel: Channel) -> None:
    first = slots.suggest(demo_channel).slots[0].at
    schedule_post(_draft(personas, demo_channel), first, by=personas.actor("manager"))
    again = slots.suggest(demo_channel)
    assert first not in [s.at for s in again.slots]


def test_suggestions_follow_the_audiences_own_hours(
    personas: Any, demo_channel: Channel, make_item: Any
) -> None:
    from hearth.pipeline.ingest import ingest_batch

    # 120 member messages, all on Tuesdays at 21:00 local time, in the last weeks.
    now = timezone.localtime()
    tuesday = now.date() - timedelta(days=(now.weekday() - 1) % 7 or 7)
    at = datetime.combine(tuesday, time(21, 5), tzinfo=timezone.get_current_timezone())
    items = []
    for i in range(120):
        it = make_item(f"m{i}", author=f"a{i % 9}")
        it["created_at"] = (at - timedelta(days=7 * (i % 4), seconds=i)).isoformat()
        items.append(it)
    ingest_batch(demo_channel, items)
    found = slots.suggest(demo_channel)
    assert not found.default
    tuesdays = [timezone.localtime(s.at) for s in found.slots if s.score == 100]
    assert tuesdays and all((t.weekday(), t.hour) == (1, 21) for t in tuesdays)
    assert [s.at for s in found.slots] == sorted(s.at for s in found.slots)


def test_suggestions_are_for_the_members_channels_only(
    personas: Any, demo_channel: Channel
) -> None:
    assert (
        personas.client("outsider")
        .get(reverse("publishing:suggest", args=[demo_channel.pk]))
        .status_code
        == 404
    )


def test_local_moment_is_a_real_instant() -> None:
    moment = slots.local_moment(date(2027, 10, 31), time(2, 30), PARIS)  # repeated hour
    assert moment.astimezone(UTC).strftime("%H:%M") == "00:30"  # the first 02:30 (CEST)


def test_the_week_view_costs_the_same_queries_with_twice_the_slots_and_notes(
    personas: Any, make_channel: Any, lock_queries: Any
) -> None:
    from hearth.publishing.actions.planning import NoteIn, create_note

    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    made = {"n": 0}

    def seed() -> None:
        for _ in range(2):
            made["n"] += 1
            channel = make_channel(personas.workspace, name=f"Demo {made['n']}", kind="demo")
            set_slots(channel, parse_slots("tue 10:00"), by=personas.actor("manager"))
            create_note(
                personas.workspace,
                NoteIn(f"Key date {made['n']}", monday + timedelta(days=2)),
                by=personas.actor("manager"),
            )

    client = personas.client("manager")

    def get() -> Any:
        return client.get(
            reverse("publishing:calendar"), {"view": "week", "date": monday.isoformat()}
        )

    lock_queries(
        15,
        get,
        seed,
        lambda r: (
            r.content.decode().count('data-testid="slot"'),
            r.content.decode().count('class="cal-note '),
        ),
    )
