"""The profile's figures come from counters and weekly roll-ups, never from every message of a
member: each is compared here with a direct count over the messages still there, after new
messages, an edit that changes the sentiment, a removal on the platform and a merge."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.community import profile
from hearth.community.actions.linking import merge_members
from hearth.community.members import identities_of, member_for_author
from hearth.community.weeks import week_of
from hearth.conversations.models import Author, Message
from hearth.pipeline.ingest import ingest_batch

NOW = timezone.now().replace(second=0, microsecond=0)


def msg(ident: str, text: str, *, author: str, days: float, **extra: object) -> dict:
    return {
        "external_id": ident,
        "kind": "post",
        "author": {"external_id": author, "handle": f"@{author}", "display_name": "Ana Bell"},
        "text": text,
        "created_at": (NOW - timedelta(days=days)).isoformat(),
        **extra,
    }


@pytest.fixture
def ana(workspace, forum, insta, actor):
    texts = ["I love this lamp, thank you!", "It keeps crashing, awful", "How do I pair it?"]
    ingest_batch(
        forum,
        [msg(f"f{i}", texts[i % 3], author="ana", days=i * 4.5) for i in range(24)],
    )
    ingest_batch(
        insta,
        [msg(f"i{i}", texts[(i + 1) % 3], author="ana-ig", days=i * 6 + 1) for i in range(10)],
    )
    # An edit that turns a message negative, and a removal on the platform.
    edited = msg("f1", "This is terrible, the worst app, I hate it", author="ana", days=4.5)
    edited["updated_at"] = NOW.isoformat()
    ingest_batch(forum, [edited])
    assert ingest_batch(forum, [{"external_id": "f2", "removed": True}]).removed == 1
    forum_member = member_for_author(Author.objects.get(channel=forum, external_id="ana"))
    insta_member = member_for_author(Author.objects.get(channel=insta, external_id="ana-ig"))
    merge_members(forum_member, insta_member, by=actor)
    forum_member.refresh_from_db()
    return forum_member


def test_weekly_trend_equals_a_direct_count_of_the_messages_still_there(ana):
    author_ids = [a.pk for a in identities_of(ana)]
    assert len(author_ids) == 2
    since = week_of(NOW) - timedelta(weeks=profile.TREND_WEEKS - 1)
    direct: dict = defaultdict(list)
    for m in Message.objects.present().filter(author_id__in=author_ids):
        if week_of(m.created_at) >= since:
            direct[week_of(m.created_at)].append(m.sentiment_score)
    assert Message.objects.filter(author_id__in=author_ids, removed_at__isnull=False).count() == 1
    assert any(score < 0 for scores in direct.values() for score in scores)
    fast = profile.weekly_sentiment(author_ids, now=NOW)
    assert [(r["week"], r["n"]) for r in fast] == [(w, len(s)) for w, s in sorted(direct.items())]
    for row in fast:
        scores = direct[row["week"]]
        assert row["score"] == pytest.approx(sum(scores) / len(scores))
    trend = profile.sentiment_trend(author_ids, now=NOW)
    assert len(trend["dots"]) == len(direct)


def test_counts_by_channel_and_in_total_equal_direct_counts(ana, forum, insta):
    author_ids = [a.pk for a in identities_of(ana)]
    present = Message.objects.present().filter(author_id__in=author_ids)
    assert ana.message_count == present.count() == 33
    shares = {c["name"]: c["n"] for c in profile.activity_by_channel(author_ids)}
    assert shares == {
        forum.name: present.filter(channel=forum).count(),
        insta.name: present.filter(channel=insta).count(),
    }


def test_timeline_pages_walk_every_message_newest_first(ana, monkeypatch):
    monkeypatch.setattr(profile, "TIMELINE", 4)
    author_ids = [a.pk for a in identities_of(ana)]
    seen: list[int] = []
    cursor = None
    while True:
        rows, cursor = profile.timeline(author_ids, cursor)
        assert len(rows) <= 4
        seen += [m.pk for m in rows]
        if cursor is None:
            break
    # The timeline shows removed messages too (labelled), as before.
    expected = Message.objects.filter(author_id__in=author_ids).order_by("-created_at", "-pk")
    assert seen == list(expected.values_list("pk", flat=True))


def test_list_filters_by_channel_and_segment_through_identities(workspace, ana, insta):
    from hearth.community.profile import MemberFilters, members_list
    from hearth.community.segments import recompute

    recompute(workspace)
    by_channel = members_list(workspace.pk, MemberFilters(channel=insta.pk))
    assert list(by_channel) == [ana]
    creators = members_list(workspace.pk, MemberFilters(segment="creator"))
    assert list(creators) == [ana]
    assert not members_list(workspace.pk, MemberFilters(segment="contributor")).exists()
