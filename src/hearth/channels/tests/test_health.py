"""Staying connected: repeated refusals mark the channel (owners e-mailed, a banner, syncs stop,
outbox items held then released), expiring tokens refreshed and never lost, rate limits waited
for by the sync schedule and the outbox alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from hearth.channels import actions, health, outbox
from hearth.channels.connectors.base import ConnectorError, ReauthRequired, RetryLater
from hearth.channels.connectors.http import RateState
from hearth.channels.models import Channel, OutboxItem
from hearth.core.models import AuditEvent
from hearth.pipeline import sync


@pytest.fixture
def revoked(fake_channel):
    """The platform revoked the channel's token (the person has not reconnected yet)."""
    fake_channel.set_credentials({"access_token": "revoked"})
    fake_channel.save(update_fields=["credentials_encrypted"])
    return fake_channel


def _reply(channel, key):
    return outbox.enqueue(
        channel, "reply", {"text": "Merci !", "parent_external_id": "m1"}, idempotency_key=key
    )


def _due_now(item):
    OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())


def test_repeated_refusals_mark_the_channel_email_the_owners_once_and_stop_its_syncs(
    revoked, personas, django_capture_on_commit_callbacks
):
    sync.sync(revoked.pk)
    revoked.refresh_from_db()
    assert revoked.auth_failures == 1 and revoked.state == "failing", "one refusal is no verdict"
    assert "refused the token" in revoked.last_sync_error

    with django_capture_on_commit_callbacks(execute=True):
        sync.sync(revoked.pk)
    revoked.refresh_from_db()
    assert revoked.state == "needs_reauth" and revoked.needs_reauth_since is not None
    assert "refused the token" in revoked.auth_error
    assert [m.to for m in mail.outbox] == [["olivia@acme.test"]], "Acme's owner, nobody else"
    assert "Reconnect the channel Lumio on Fakebook" in mail.outbox[0].subject
    assert f"/channels/{revoked.pk}/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="channel.needs_reauth").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        health.record_auth_failure(revoked, "Refused again.")
    assert len(mail.outbox) == 1, "marked once, told once"
    Channel.objects.filter(pk=revoked.pk).update(next_sync_at=None)
    assert sync.sync_due() == 0
    assert sync.sync(revoked.pk) == 0


def test_outbox_items_are_held_instead_of_failing_in_a_loop_and_go_out_on_reconnection(
    revoked, fake_connector, personas, django_capture_on_commit_callbacks
):
    first = _reply(revoked, "r1")
    outbox.send(first.pk)
    first.refresh_from_db()
    assert first.status == "queued" and first.attempts == 1, "a first refusal is retried"
    _due_now(first)
    outbox.send(first.pk)
    first.refresh_from_db()
    assert first.status == "held" and "re-authorisation" in first.last_error
    revoked.refresh_from_db()
    assert revoked.state == "needs_reauth"

    calls = len(fake_connector.calls)
    second = _reply(revoked, "r2")
    outbox.send(second.pk)
    second.refresh_from_db()
    assert second.status == "held" and second.attempts == 0
    outbox.send_due()
    second.refresh_from_db()
    assert second.status == "held"
    assert len(fake_connector.calls) == calls, "a held item never reaches the platform"

    with django_capture_on_commit_callbacks(execute=True):
        actions.update_channel(
            revoked, credentials={"access_token": "tok-2"}, by=personas.actor("owner")
        )
    for item in (first, second):
        item.refresh_from_db()
        assert item.status == "sent" and item.external_id == "p-1"
        assert item.external_url == "https://fakebook.example/p/1"
    revoked.refresh_from_db()
    assert revoked.state != "needs_reauth" and revoked.auth_failures == 0
    assert AuditEvent.objects.get(action="channel.reconnect").data == {"released": 2}


def test_a_connection_test_that_works_again_reconnects_the_channel(
    revoked, personas, django_capture_on_commit_callbacks
):
    health.record_auth_failure(revoked, "401")
    health.record_auth_failure(revoked, "401")
    item = _reply(revoked, "r1")
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == "held"
    checks = actions.try_connection(revoked, by=personas.actor("manager"))
    assert not checks[0].ok
    revoked.refresh_from_db()
    assert revoked.state == "needs_reauth", "a failing test changes nothing"

    # The platform accepts the token again (the person fixed the app's permissions).
    revoked.set_credentials({"access_token": "tok-1"})
    Channel.objects.filter(pk=revoked.pk).update(
        credentials_encrypted=revoked.credentials_encrypted
    )
    with django_capture_on_commit_callbacks(execute=True):
        checks = actions.try_connection(revoked, by=personas.actor("manager"))
    assert all(c.ok for c in checks)
    revoked.refresh_from_db()
    item.refresh_from_db()
    assert revoked.needs_reauth_since is None and item.status == "sent"


def test_an_alert_or_a_channel_item_without_credentials_trouble_still_fails_at_once(workspace):
    """A refusal of a transport that has no channel (an e-mail, a webhook) is no re-authorisation:
    the item fails, as before."""
    item = outbox.enqueue(
        None,
        "alert",
        {"to": []},
        idempotency_key="a1",
        workspace_id=workspace.pk,
        transport="email",
    )
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == "failed"


def _expiring(channel, token="tok-1", minutes=2):
    channel.set_credentials(
        {
            "access_token": token,
            "refresh_token": "rt-1",
            "expires_at": (timezone.now() + timedelta(minutes=minutes)).timestamp(),
        }
    )
    channel.save(update_fields=["credentials_encrypted"])


def test_expiring_credentials_are_refreshed_before_the_sync(fake_channel, fake_connector):
    _expiring(fake_channel)
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    fake_connector.refresh.append(
        {"access_token": "tok-new", "refresh_token": "rt-2", "expires_at": later}
    )
    sync.sync(fake_channel.pk)
    fake_channel.refresh_from_db()
    assert fake_channel.credentials["access_token"] == "tok-new"
    assert fake_channel.credentials_refreshed_at is not None
    assert ("token", "tok-new") in fake_connector.calls and fake_channel.last_sync_error == ""
    sync.sync(fake_channel.pk)
    assert [c for c in fake_connector.calls if c[0] == "refresh"] == [("refresh", None)], (
        "not refreshed again while the new token is valid"
    )


@pytest.mark.parametrize(
    "failure",
    [
        ConnectorError("Fakebook answered HTTP 503."),
        ReauthRequired("Fakebook refused the refresh token (invalid_grant)."),
        KeyError("access_token"),
    ],
)
def test_a_failed_refresh_keeps_the_old_token_and_says_so(fake_channel, fake_connector, failure):
    _expiring(fake_channel, token="tok-old")
    before = fake_channel.credentials_encrypted
    fake_connector.refresh.append(failure)
    sync.sync(fake_channel.pk)
    fake_channel.refresh_from_db()
    assert fake_channel.credentials_encrypted == before
    assert fake_channel.credentials["access_token"] == "tok-old"
    assert "Refreshing the credentials" in fake_channel.refresh_error
    assert ("token", "tok-old") in fake_connector.calls, "the sync went on with the old token"
    assert fake_channel.last_sync_error == "" and fake_channel.state == "connected"

    fake_connector.refresh.append({"access_token": "tok-new", "refresh_token": "rt-2"})
    sync.sync(fake_channel.pk)
    fake_channel.refresh_from_db()
    assert fake_channel.credentials["access_token"] == "tok-new"
    assert fake_channel.refresh_error == "", "a refresh that works clears it"


def test_a_refused_refresh_of_an_expired_token_needs_reauthorisation(fake_channel, fake_connector):
    _expiring(fake_channel, token="revoked", minutes=-1)
    fake_connector.refresh.append(ReauthRequired("invalid_grant"))
    sync.sync(fake_channel.pk)
    fake_channel.refresh_from_db()
    assert fake_channel.state == "needs_reauth", "the refresh and the call were both refused"
    assert fake_channel.credentials["access_token"] == "revoked", "and nothing was lost"


def test_a_refused_send_is_refreshed_once_and_sent(fake_channel, fake_connector):
    fake_channel.set_credentials({"access_token": "revoked", "refresh_token": "rt"})
    fake_channel.save(update_fields=["credentials_encrypted"])
    fake_connector.refresh.append({"access_token": "tok-3", "refresh_token": "rt"})
    item = _reply(fake_channel, "r1")
    outbox.send(item.pk)
    item.refresh_from_db()
    fake_channel.refresh_from_db()
    assert item.status == "sent" and item.attempts == 1
    assert fake_channel.credentials["access_token"] == "tok-3" and fake_channel.auth_failures == 0


def test_a_rate_limit_from_a_sync_makes_the_schedule_and_the_outbox_wait(
    fake_channel, fake_connector
):
    fake_connector.rate = RateState(limit=300, remaining=0, reset_s=120)
    fake_connector.fetch.append(RetryLater("Fakebook asked to slow down (HTTP 429).", after_s=120))
    before = timezone.now()
    sync.sync(fake_channel.pk)
    fake_channel.refresh_from_db()
    until = fake_channel.rate_limited_until
    assert timedelta(seconds=119) <= until - before <= timedelta(seconds=125)
    assert (fake_channel.rate_limit, fake_channel.rate_remaining) == (300, 0)
    Channel.objects.filter(pk=fake_channel.pk).update(next_sync_at=None)
    assert sync.sync_due() == 0, "not before the platform's wait is over"
    assert sync.sync_due(now=until + timedelta(seconds=1)) == 1

    calls = len(fake_connector.calls)
    item = _reply(fake_channel, "r1")
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == "queued" and item.attempts == 0 and item.next_attempt_at >= until
    assert "rate limit" in item.last_error and len(fake_connector.calls) == calls


def test_a_rate_limit_from_a_send_postpones_the_channels_other_items(fake_channel, fake_connector):
    fake_connector.send.append(RetryLater("Fakebook asked to slow down (HTTP 429).", after_s=60))
    first = _reply(fake_channel, "r1")
    outbox.send(first.pk)
    first.refresh_from_db()
    fake_channel.refresh_from_db()
    assert first.status == "queued" and fake_channel.rate_limited
    calls = len(fake_connector.calls)
    second = _reply(fake_channel, "r2")
    outbox.send(second.pk)
    second.refresh_from_db()
    assert second.status == "queued" and second.attempts == 0
    assert second.next_attempt_at >= fake_channel.rate_limited_until
    assert len(fake_connector.calls) == calls
    later = fake_channel.rate_limited_until + timedelta(seconds=1)
    assert outbox.send_due(now=later)["sent"] == 2


def test_the_remaining_quota_is_kept_after_a_sync_that_worked(fake_channel, fake_connector):
    fake_connector.rate = RateState(limit=300, remaining=287, reset_s=200)
    sync.sync(fake_channel.pk)
    fake_channel.refresh_from_db()
    assert (fake_channel.rate_limit, fake_channel.rate_remaining) == (300, 287)
    assert not fake_channel.rate_limited
