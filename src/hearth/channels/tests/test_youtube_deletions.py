"""YouTube sends no event when an author deletes a comment: after each poll, the channel's
recent stored comments are looked up by id (`comments.list?id=…`, 50 a call, 1 quota unit
each); an id missing from a successful answer is removed. An error, or a look-up that did not
cover every id, marks nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import ConnectorError
from hearth.channels.tests.test_youtube import (  # noqa: F401 - fixtures
    API,
    _q,
    _used,
    google_app,
    yt,
    ytc,
)
from hearth.conversations.models import Message, Thread
from hearth.pipeline import sync


def _removed(channel) -> set[str]:
    return set(
        Message.objects.filter(channel=channel, removed_at__isnull=False).values_list(
            "external_id", flat=True
        )
    )


def _lookups(yt) -> list:  # noqa: F811
    return [r for r in yt.platform.requests if r.path == f"{API}/comments" and "id" in _q(r)]


def test_a_comment_deleted_on_youtube_is_marked_removed_at_the_next_poll(ytc, yt):  # noqa: F811
    video = yt.video(ytc.yc, "Unboxing")
    ana = yt.comment(video, "Ana", "It flickers")
    ben = yt.comment(video, "Ben", "Love it")
    sync.sync(ytc.channel.pk)
    assert _removed(ytc.channel) == set()

    yt.delete(ana.id)
    yt.platform.requests.clear()
    before = _used(ytc.app)
    sync.sync(ytc.channel.pk)
    assert _removed(ytc.channel) == {ana.id}
    (lookup,) = _lookups(yt)
    assert lookup.method == "GET"
    assert _q(lookup)["part"] == "id"
    assert set(_q(lookup)["id"].split(",")) == {ana.id, ben.id}
    assert _used(ytc.app) - before == 2 + 1, "two thread lists and one look-up"
    thread = Thread.objects.get(channel=ytc.channel)
    assert thread.message_count == 2, "the video and Ben's comment"


def test_the_look_up_goes_50_ids_at_a_time(ytc, yt):  # noqa: F811
    video = yt.video(ytc.yc, "Launch")
    start = datetime.now(UTC) - timedelta(hours=2)
    comments = [
        yt.comment(video, f"P{i}", f"comment {i}", at=start + timedelta(seconds=i))
        for i in range(60)
    ]
    sync.sync(ytc.channel.pk)
    yt.delete(comments[0].id)
    yt.delete(comments[59].id)
    yt.platform.requests.clear()
    sync.sync(ytc.channel.pk)
    sizes = sorted(len(_q(r)["id"].split(",")) for r in _lookups(yt))
    assert sizes == [10, 50]
    assert _removed(ytc.channel) == {comments[0].id, comments[59].id}


def test_an_error_in_any_look_up_marks_nothing(ytc, yt):  # noqa: F811
    video = yt.video(ytc.yc, "Launch")
    start = datetime.now(UTC) - timedelta(hours=2)
    comments = [
        yt.comment(video, f"P{i}", f"comment {i}", at=start + timedelta(seconds=i))
        for i in range(60)
    ]
    sync.sync(ytc.channel.pk)
    for c in comments:
        yt.delete(c.id)  # all gone on YouTube
    yt.failing_lookups = {yt.lookups + 2}  # the first look-up answers, the second fails
    sync.sync(ytc.channel.pk)
    assert _removed(ytc.channel) == set(), "a partial look-up says nothing about deletions"
    # The connector itself raises rather than answer for the ids it could not look up.
    yt.failing_lookups = {yt.lookups + 2}
    with pytest.raises(ConnectorError):
        get_connector(ytc.channel).removed_among([c.id for c in comments])
    # Once YouTube answers, the deletions are seen.
    yt.failing_lookups = set()
    sync.sync(ytc.channel.pk)
    assert _removed(ytc.channel) == {c.id for c in comments}


def test_quota_exhausted_marks_nothing(ytc, yt):  # noqa: F811
    video = yt.video(ytc.yc, "Launch")
    ana = yt.comment(video, "Ana", "It flickers")
    sync.sync(ytc.channel.pk)
    yt.delete(ana.id)
    yt.error("GET", "/comments", status=403, reason="quotaExceeded")
    sync.sync(ytc.channel.pk)
    assert _removed(ytc.channel) == set()


def test_comments_older_than_a_week_are_not_looked_up(ytc, yt):  # noqa: F811
    video = yt.video(ytc.yc, "Archive")
    old = yt.comment(video, "Old", "from last month", at=datetime.now(UTC) - timedelta(days=30))
    fresh = yt.comment(video, "New", "today")
    sync.sync(ytc.channel.pk)
    yt.platform.requests.clear()
    sync.sync(ytc.channel.pk)
    (lookup,) = _lookups(yt)
    assert _q(lookup)["id"].split(",") == [fresh.id], "only the last 7 days"
    yt.delete(old.id)
    sync.sync(ytc.channel.pk)
    assert old.id not in _removed(ytc.channel)
