"""TikTok sends no event when an author deletes a comment. The rule: a stored comment of a
video is removed when that video's comment list was read COMPLETELY in a poll (every page,
no error) and no longer lists it. A failed read, or a list longer than one poll reads, says
nothing about deletions."""

from __future__ import annotations

from hearth.channels.connectors import tiktok
from hearth.channels.tests.test_tiktok import API, _q, tiktok_app, tt, ttc  # noqa: F401
from hearth.conversations.models import Message, Thread
from hearth.pipeline import sync


def _removed(channel) -> set[str]:
    return set(
        Message.objects.filter(channel=channel, removed_at__isnull=False).values_list(
            "external_id", flat=True
        )
    )


def test_a_comment_no_longer_listed_in_a_complete_read_is_removed(ttc, tt):  # noqa: F811
    video = tt.video(ttc.account, "Unboxing")
    ana = tt.comment(video, "ana", "It flickers")
    reply = tt.comment(video, "ben", "Mine too", reply_to=ana)
    cara = tt.comment(video, "cara", "Love it")
    sync.sync(ttc.channel.pk)
    assert _removed(ttc.channel) == set()

    tt.delete(reply.id)
    sync.sync(ttc.channel.pk)
    assert _removed(ttc.channel) == {reply.id}
    tt.delete(ana.id)
    sync.sync(ttc.channel.pk)
    assert _removed(ttc.channel) == {reply.id, ana.id}
    assert cara.id not in _removed(ttc.channel)
    thread = Thread.objects.get(channel=ttc.channel)
    assert thread.message_count == 2, "the video and Cara's comment"


def test_the_whole_list_is_read_across_pages_to_see_deletions(ttc, tt):  # noqa: F811
    video = tt.video(ttc.account, "Launch")
    comments = [tt.comment(video, f"p{i}", f"comment {i}") for i in range(40)]
    sync.sync(ttc.channel.pk)
    tt.delete(comments[0].id)  # the oldest: on the second page, newest first
    tt.platform.requests.clear()
    sync.sync(ttc.channel.pk)
    pages = tt.platform.calls("GET", f"{API}/business/comment/list/")
    assert [_q(p)["cursor"] for p in pages] == ["0", "30"]
    assert _removed(ttc.channel) == {comments[0].id}


def test_a_failed_read_marks_nothing(ttc, tt):  # noqa: F811
    video = tt.video(ttc.account, "Launch")
    ana = tt.comment(video, "ana", "It flickers")
    sync.sync(ttc.channel.pk)
    tt.delete(ana.id)
    tt.error("GET", "/business/comment/list/", status=500, code="internal_error")
    sync.sync(ttc.channel.pk)
    assert _removed(ttc.channel) == set(), "an error is no empty list"
    ttc.channel.refresh_from_db()
    assert ttc.channel.last_sync_error
    sync.sync(ttc.channel.pk)
    assert _removed(ttc.channel) == {ana.id}, "the next complete read sees it"


def test_a_list_longer_than_one_poll_reads_says_nothing(ttc, tt, monkeypatch):  # noqa: F811
    monkeypatch.setattr(tiktok, "COMMENT_PAGES", 1)  # one page of 30 a poll
    video = tt.video(ttc.account, "Viral")
    comments = [tt.comment(video, f"p{i}", f"comment {i}") for i in range(40)]
    sync.sync(ttc.channel.pk)
    assert Message.objects.filter(channel=ttc.channel, kind="comment").count() == 30
    tt.delete(comments[39].id)  # the newest, stored: 39 left, more than one page
    sync.sync(ttc.channel.pk)
    assert _removed(ttc.channel) == set(), "a partial list is never read as deletions"
    # Once what is left fits in what a poll reads, the complete list shows the deletion.
    for c in comments[:9]:
        tt.delete(c.id)
    sync.sync(ttc.channel.pk)
    assert _removed(ttc.channel) == {comments[39].id}


def test_a_deletion_on_one_video_touches_no_other_video(ttc, tt):  # noqa: F811
    first = tt.video(ttc.account, "One")
    second = tt.video(ttc.account, "Two")
    a = tt.comment(first, "ana", "on one")
    b = tt.comment(second, "ben", "on two")
    sync.sync(ttc.channel.pk)
    tt.delete(a.id)
    sync.sync(ttc.channel.pk)
    assert _removed(ttc.channel) == {a.id}
    assert Message.objects.get(channel=ttc.channel, external_id=b.id).removed_at is None
