"""Native polls on Telegram (sendPoll, counts from stopPoll) and Discord (message polls, counts
from the message's poll.results), through the outbox, against the local fake platform: the
exact requests, a 429 or a 5xx retried without a second post, a timeout never resent, and the
results summed with the hosted page's."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hearth.animation.actions import polls
from hearth.animation.models import PollPublication
from hearth.channels import outbox
from hearth.channels.connectors.base import PollState
from hearth.channels.models import Channel, OutboxItem, OutboxStatus
from hearth.channels.testing_polls import DiscordPolls, TelegramPolls
from hearth.core.actions import ActionError
from hearth.pipeline import sync

TOKEN = "123456:ABC-DEF1234ghIkl"
GROUP = {
    "id": -1001234567890,
    "title": "Lumio users",
    "username": "lumio_users",
    "type": "supergroup",
}
GUILD, CHAN = "1100000000000000001", "1200000000000000002"


@pytest.fixture
def poll(personas):
    return polls.create_poll(
        personas.workspace,
        question="Which colour next?",
        options=["Amber", "Teal", "Plum"],
        closes_at=timezone.now() + timedelta(days=2),
        by=personas.actor("manager"),
    )


@pytest.fixture
def telegram(personas, make_channel, fake_platform):
    channel = make_channel(
        personas.workspace,
        name="Lumio on Telegram",
        kind="telegram",
        config={"base_url": fake_platform.url, "chats": [str(GROUP["id"])]},
        credentials={"token": TOKEN},
    )
    return channel, TelegramPolls(fake_platform, TOKEN, GROUP)


@pytest.fixture
def discord(personas, make_channel, fake_platform):
    channel = make_channel(
        personas.workspace,
        name="Lumio on Discord",
        kind="discord",
        config={"base_url": fake_platform.url, "guild_id": GUILD, "channels": [CHAN]},
        credentials={"token": "bot-token"},
    )
    return channel, DiscordPolls(fake_platform)


def publish(poll, channel, personas, capture, *, by="manager"):
    with capture(execute=True):
        publication = polls.publish_poll(poll, channel, by=personas.actor(by))
    return publication, OutboxItem.objects.get(pk=publication.outbox_item_id)


def vote_on_page(poll, option):
    client = Client()
    client.get(f"/p/{poll.public_token}/")
    client.post(f"/p/{poll.public_token}/", {"option": str(option)})


def retry_later(item):
    """The outbox worker's next attempt, once the platform's wait is over."""
    Channel.objects.filter(pk=item.channel_id).update(rate_limited_until=None)
    later = item.next_attempt_at + timedelta(seconds=1)
    return outbox.send(item.pk, now=later)


def test_telegram_send_poll_request_and_final_counts_from_stop_poll(
    personas, poll, telegram, fake_platform, django_capture_on_commit_callbacks
):
    channel, tg = telegram
    publication, item = publish(poll, channel, personas, django_capture_on_commit_callbacks)
    assert item.status == OutboxStatus.SENT, item.last_error
    assert item.action == "poll" and item.external_id == f"{GROUP['id']}:500"
    sent = fake_platform.calls("POST", f"/bot{TOKEN}/sendPoll")
    assert [r.json for r in sent] == [
        {
            "chat_id": GROUP["id"],
            "question": "Which colour next?",
            "options": [{"text": "Amber"}, {"text": "Teal"}, {"text": "Plum"}],
            "is_anonymous": True,
            "allows_multiple_answers": False,
        }
    ]
    tg.vote(500, 1, 3)
    vote_on_page(poll, 1)
    # While the poll is open, Telegram gives no counts: nothing is asked (stopping would end it).
    assert polls.refresh_results(poll) == 0
    assert not fake_platform.calls("POST", f"/bot{TOKEN}/stopPoll")
    closed = polls.close_poll(poll, by=personas.actor("manager"))
    stops = fake_platform.calls("POST", f"/bot{TOKEN}/stopPoll")
    assert [r.json for r in stops] == [{"chat_id": GROUP["id"], "message_id": 500}]
    publication.refresh_from_db()
    assert publication.final and publication.counts == [0, 3, 0]
    rows, total, by_place = polls.results(closed)
    assert [r.votes for r in rows] == [0, 4, 0] and total == 4
    assert by_place == {"page": 1, "Lumio on Telegram": 3}
    # Final counts are read once: the job does not stop the poll again.
    assert polls.refresh_open_polls() == 0 and polls.refresh_results(closed) == 0
    assert len(fake_platform.calls("POST", f"/bot{TOKEN}/stopPoll")) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 5",
                "parameters": {"retry_after": 5},
            },
        ),
        (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}),
    ],
)
def test_telegram_a_429_or_5xx_is_retried_and_posts_once(
    personas, poll, telegram, fake_platform, django_capture_on_commit_callbacks, status, body
):
    channel, tg = telegram
    fake_platform.fail("POST", f"/bot{TOKEN}/sendPoll", status=status, json=body)
    _, item = publish(poll, channel, personas, django_capture_on_commit_callbacks)
    assert item.status == OutboxStatus.QUEUED and item.attempts == 1
    if status == 429:
        assert item.next_attempt_at >= timezone.now() + timedelta(seconds=4)
    item = retry_later(item)
    assert item.status == OutboxStatus.SENT and item.attempts == 2
    assert len(fake_platform.calls("POST", f"/bot{TOKEN}/sendPoll")) == 2
    assert list(tg.polls) == [500]  # one poll on Telegram
    assert outbox.send(item.pk, now=timezone.now() + timedelta(hours=1)) is None  # sent: done


def test_telegram_a_timeout_is_never_sent_again(
    personas, poll, telegram, fake_platform, django_capture_on_commit_callbacks
):
    from hearth.channels.connectors import telegram as connector_module

    channel, tg = telegram
    original = connector_module.TelegramClient.__init__

    def short(self, base_url, token, *, timeout):
        original(self, base_url, token, timeout=(2.0, 0.3))

    connector_module.TelegramClient.__init__ = short
    try:
        fake_platform.hang("POST", f"/bot{TOKEN}/sendPoll", seconds=1)
        _, item = publish(poll, channel, personas, django_capture_on_commit_callbacks)
    finally:
        connector_module.TelegramClient.__init__ = original
    assert item.status == OutboxStatus.UNCONFIRMED and not item.retry_safe
    assert outbox.send(item.pk, now=timezone.now() + timedelta(hours=1)) is None
    assert len(fake_platform.calls("POST", f"/bot{TOKEN}/sendPoll")) == 1


def test_discord_message_poll_request_and_live_counts(
    personas, poll, discord, fake_platform, django_capture_on_commit_callbacks
):
    channel, dc = discord
    publication, item = publish(poll, channel, personas, django_capture_on_commit_callbacks)
    assert item.status == OutboxStatus.SENT, item.last_error
    posts = fake_platform.calls("POST", f"/channels/{CHAN}/messages")
    assert len(posts) == 1
    body = posts[0].json
    assert body["poll"] == {
        "question": {"text": "Which colour next?"},
        "answers": [
            {"poll_media": {"text": "Amber"}},
            {"poll_media": {"text": "Teal"}},
            {"poll_media": {"text": "Plum"}},
        ],
        "duration": 48,  # the poll closes in two days
        "allow_multiselect": False,
        "layout_type": 1,
    }
    assert body["enforce_nonce"] is True and len(body["nonce"]) == 25
    assert posts[0].headers["Authorization"] == "Bot bot-token"
    message_id = item.external_id.split(":")[1]
    assert item.external_id == f"{CHAN}:{message_id}"
    dc.vote(message_id, 3, 2)
    dc.vote(message_id, 1, 1)
    vote_on_page(poll, 0)
    assert polls.refresh_results(poll) == 1  # live: read while open
    publication.refresh_from_db()
    assert publication.counts == [1, 0, 2] and not publication.final
    gets = fake_platform.calls("GET", f"/channels/{CHAN}/messages/{message_id}")
    assert len(gets) == 1
    rows, total, by_place = polls.results(poll)
    assert [r.votes for r in rows] == [2, 0, 2] and total == 4
    assert by_place == {"page": 1, "Lumio on Discord": 3}
    # Closing early ends Discord's poll too, and reads its final counts.
    dc.vote(message_id, 2, 1)
    polls.close_poll(poll, by=personas.actor("manager"))
    assert len(fake_platform.calls("POST", f"/channels/{CHAN}/polls/{message_id}/expire")) == 1
    publication.refresh_from_db()
    assert publication.final and publication.counts == [1, 1, 2]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (429, {"message": "You are being rate limited.", "retry_after": 3.5, "global": False}),
        (503, {"message": "Service Unavailable", "code": 0}),
    ],
)
def test_discord_a_429_or_5xx_is_retried_and_posts_once(
    personas, poll, discord, fake_platform, django_capture_on_commit_callbacks, status, body
):
    channel, dc = discord
    fake_platform.fail("POST", f"/channels/{CHAN}/messages", status=status, json=body)
    _, item = publish(poll, channel, personas, django_capture_on_commit_callbacks)
    assert item.status == OutboxStatus.QUEUED and item.attempts == 1
    item = retry_later(item)
    assert item.status == OutboxStatus.SENT and item.attempts == 2
    posts = fake_platform.calls("POST", f"/channels/{CHAN}/messages")
    assert len(posts) == 2 and posts[0].json["nonce"] == posts[1].json["nonce"]
    assert len(dc.messages) == 1  # one poll on Discord


def test_native_polls_stay_in_their_workspace_and_once_per_channel(
    personas, poll, telegram, make_channel, fake_platform, django_capture_on_commit_callbacks
):
    channel, _ = telegram
    theirs = make_channel(
        personas.other_workspace,
        name="Their Telegram",
        kind="telegram",
        config={"base_url": fake_platform.url, "chats": ["-100999"]},
        credentials={"token": TOKEN},
    )
    with pytest.raises(ActionError, match="not in this workspace"):
        polls.publish_poll(poll, theirs, by=personas.actor("manager"))
    publish(poll, channel, personas, django_capture_on_commit_callbacks)
    with pytest.raises(ActionError, match="already published"):
        polls.publish_poll(poll, channel, by=personas.actor("manager"))
    assert PollPublication.objects.filter(poll=poll).count() == 1
    assert len(fake_platform.calls("POST", f"/bot{TOKEN}/sendPoll")) == 1


# Telegram's live counts: the `poll` updates (Update.poll, the whole Poll object) a bot receives
# for the polls it sent, through getUpdates or its webhook.


def get_updates(fake_platform, updates):
    """getUpdates answers those of `updates` the offset has not confirmed yet."""
    fake_platform.route(
        "POST",
        f"/bot{TOKEN}/getUpdates",
        json=lambda r: {
            "ok": True,
            "result": [u for u in updates if u["update_id"] >= r.json.get("offset", 0)],
        },
    )


def push(client, channel, update):
    return client.post(
        f"/hooks/telegram/{channel.webhook_key}",
        json.dumps(update).encode(),
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="s3cret-token",
    )


def test_telegram_keeps_the_poll_id_of_the_send_poll_answer(
    personas, poll, telegram, django_capture_on_commit_callbacks
):
    channel, tg = telegram
    _, item = publish(poll, channel, personas, django_capture_on_commit_callbacks)
    # sendPoll answers the Message, whose `poll.id` is what the poll updates name it by.
    assert item.external_id == f"{GROUP['id']}:500"
    assert item.external_ref == tg.polls[500]["id"] == "54133500"


def test_telegram_poll_updates_from_get_updates_count_live_and_the_latest_wins(
    personas, poll, telegram, fake_platform, django_capture_on_commit_callbacks
):
    channel, tg = telegram
    publication, _ = publish(poll, channel, personas, django_capture_on_commit_callbacks)
    first = tg.vote(500, 1, 3)
    second = tg.vote(500, 0, 2)
    get_updates(fake_platform, [first, second])
    sync.sync(channel.pk)
    asked = fake_platform.calls("POST", f"/bot{TOKEN}/getUpdates")[0].json
    assert "poll" in asked["allowed_updates"]
    publication.refresh_from_db()
    assert publication.counts == [2, 3, 0] and not publication.final
    assert publication.fetched_at is not None and publication.state_seq == second["update_id"]
    vote_on_page(poll, 2)
    rows, total, by_place = polls.results(poll)
    assert [r.votes for r in rows] == [2, 3, 1] and total == 6
    assert by_place == {"page": 1, "Lumio on Telegram": 5}
    # A vote taken back: the next state replaces the counts, it does not add to them.
    tg.polls[500]["options"][1]["voter_count"] -= 1
    get_updates(fake_platform, [tg.update(500)])
    sync.sync(channel.pk)
    publication.refresh_from_db()
    assert publication.counts == [2, 2, 0]
    # Nothing was stopped on Telegram to read them.
    assert not fake_platform.calls("POST", f"/bot{TOKEN}/stopPoll")


def test_telegram_poll_updates_through_the_webhook_older_never_overwrite_newer_closed_wins(
    client, personas, poll, telegram, django_capture_on_commit_callbacks
):
    channel, tg = telegram
    channel.set_credentials({"token": TOKEN, "webhook_secret": "s3cret-token"})
    channel.save()
    publication, _ = publish(poll, channel, personas, django_capture_on_commit_callbacks)
    older = tg.vote(500, 0, 1)
    newer = tg.vote(500, 2, 4)
    answer = push(client, channel, newer)
    assert answer.status_code == 200 and answer.json()["polls"] == 1
    assert push(client, channel, older).json()["polls"] == 0  # late: an older state
    publication.refresh_from_db()
    assert publication.counts == [1, 0, 4]
    assert push(client, channel, newer).json()["duplicate"] is True  # Telegram's retry
    tg.polls[500]["is_closed"] = True  # stopped by hand in Telegram
    closed = tg.update(500)
    later_open = {**tg.update(500), "poll": {**closed["poll"], "is_closed": False}}
    later_open["poll"]["options"] = [{"text": "Amber", "voter_count": 9}] * 3
    assert push(client, channel, closed).json()["polls"] == 1
    assert push(client, channel, later_open).json()["polls"] == 0
    publication.refresh_from_db()
    assert publication.final and publication.counts == [1, 0, 4]
    # Final on Telegram's side: closing in Hearth does not stop it again.
    polls.close_poll(poll, by=personas.actor("manager"))
    publication.refresh_from_db()
    assert publication.counts == [1, 0, 4]


def test_telegram_update_of_an_unknown_poll_is_ignored_with_a_debug_log(
    personas, poll, telegram, fake_platform, django_capture_on_commit_callbacks, caplog
):
    channel, tg = telegram
    publication, _ = publish(poll, channel, personas, django_capture_on_commit_callbacks)
    stranger = tg.vote(500, 1, 2)
    stranger["poll"] = {**stranger["poll"], "id": "99999999"}
    get_updates(fake_platform, [stranger])
    with caplog.at_level(logging.DEBUG, logger="hearth.animation.actions.polls"):
        sync.sync(channel.pk)
    assert "unknown poll '99999999'" in caplog.text
    publication.refresh_from_db()
    assert publication.counts == [] and publication.fetched_at is None
    channel.refresh_from_db()
    assert channel.cursor == str(stranger["update_id"] + 1), "the update was taken all the same"


def test_a_poll_id_seen_by_another_workspace_channel_never_changes_this_workspace_poll(
    personas, poll, telegram, make_channel, fake_platform, django_capture_on_commit_callbacks
):
    channel, tg = telegram
    publication, _ = publish(poll, channel, personas, django_capture_on_commit_callbacks)
    # Globex connected the same bot: its getUpdates sees the update of Acme's poll.
    theirs = make_channel(
        personas.other_workspace,
        name="Their Telegram",
        kind="telegram",
        config={"base_url": fake_platform.url, "chats": [str(GROUP["id"])]},
        credentials={"token": TOKEN},
    )
    their_poll = polls.create_poll(
        personas.other_workspace,
        question="Tea or coffee?",
        options=["Tea", "Coffee"],
        by=personas.actor("outsider"),
    )
    their_publication, their_item = publish(
        their_poll, theirs, personas, django_capture_on_commit_callbacks, by="outsider"
    )
    assert their_item.external_ref == "54133501"
    get_updates(fake_platform, [tg.vote(500, 0, 7)])
    sync.sync(theirs.pk)
    publication.refresh_from_db()
    assert publication.counts == [] and publication.fetched_at is None
    # And the other way round: Globex's poll id read on Acme's channel changes nothing.
    get_updates(fake_platform, [tg.vote(501, 1, 5)])
    sync.sync(channel.pk)
    their_publication.refresh_from_db()
    assert their_publication.counts == [] and their_publication.fetched_at is None
    assert (
        polls.apply_platform_poll_state(
            theirs, PollState(poll_ref="54133500", counts=(3, 3, 3), closed=True, seq=1)
        )
        == 0
    )
    publication.refresh_from_db()
    assert not publication.final


def test_telegram_live_counts_then_the_close_still_reads_the_final_counts_once(
    personas, poll, telegram, fake_platform, django_capture_on_commit_callbacks
):
    channel, tg = telegram
    publication, _ = publish(poll, channel, personas, django_capture_on_commit_callbacks)
    get_updates(fake_platform, [tg.vote(500, 1, 3)])
    sync.sync(channel.pk)
    tg.vote(500, 2, 1)  # a vote whose update Hearth has not read yet
    polls.close_poll(poll, by=personas.actor("manager"))
    assert len(fake_platform.calls("POST", f"/bot{TOKEN}/stopPoll")) == 1
    publication.refresh_from_db()
    assert publication.final and publication.counts == [0, 3, 1]
    # The `poll` update of the stop (is_closed) comes afterwards: the final counts stay.
    late = tg.update(500)
    late["poll"]["options"][0]["voter_count"] = 8
    get_updates(fake_platform, [late])
    sync.sync(channel.pk)
    publication.refresh_from_db()
    assert publication.counts == [0, 3, 1]
    assert polls.refresh_open_polls() == 0
    assert len(fake_platform.calls("POST", f"/bot{TOKEN}/stopPoll")) == 1
