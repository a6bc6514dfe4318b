"""The one way out: states, retries, back-off, leases and what happens after a send."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.connectors.base import (
    ConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
    SendResult,
)
from hearth.channels.models import OutboxItem, OutboxStatus


class Script:
    """A transport that answers what the test scripts, one answer per attempt, and records calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, item):
        self.calls.append((item.pk, item.attempts, item.status))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return SendResult(external_id=answer)


@pytest.fixture
def script(monkeypatch):
    def install(*answers):
        transport = Script(*answers)
        monkeypatch.setitem(outbox._transports, "scripted", transport)
        return transport

    return install


def enqueue(workspace, key="k1", *, retry_safe=True, max_attempts=6, action="alert"):
    return outbox.enqueue(
        None,
        action,
        {"text": "hello"},
        idempotency_key=key,
        workspace_id=workspace.pk,
        transport="scripted",
        retry_safe=retry_safe,
        max_attempts=max_attempts,
    )


def later(seconds):
    return timezone.now() + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def _no_eager_send(settings):
    # Sending is driven by hand here (outbox.send), not by the task that enqueue starts.
    from hearth.celery import app

    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_a_sent_item_records_the_platforms_id(workspace, script):
    transport = script("platform-42")
    item = enqueue(workspace)
    outbox.send(item.pk)
    item.refresh_from_db()
    assert (item.status, item.external_id, item.attempts) == ("sent", "platform-42", 1)
    assert item.sent_at is not None and item.lease_until is None
    assert len(transport.calls) == 1 and transport.calls[0][2] == OutboxStatus.SENDING


def test_retry_after_is_honoured_then_the_item_goes_out(workspace, script):
    script(RetryLater("429 Too Many Requests", after_s=120), "ok-1")
    item = enqueue(workspace)
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == "queued" and "429" in item.last_error
    wait = (item.next_attempt_at - timezone.now()).total_seconds()
    assert 110 < wait <= 120
    assert outbox.send(item.pk) is None, "not due before the platform's Retry-After"
    outbox.send(item.pk, now=later(121))
    item.refresh_from_db()
    assert (item.status, item.attempts, item.external_id) == ("sent", 2, "ok-1")


def test_transient_errors_back_off_exponentially_until_the_last_attempt(workspace, script):
    script(*[ConnectorError(f"HTTP 503 #{i}") for i in range(3)])
    item = enqueue(workspace, max_attempts=3)
    waits = []
    now = timezone.now()
    for _ in range(3):
        outbox.send(item.pk, now=now)
        item.refresh_from_db()
        waits.append(round((item.next_attempt_at - now).total_seconds()))
        now = item.next_attempt_at + timedelta(seconds=1)
    assert item.status == "failed" and item.attempts == 3
    assert "Gave up after 3 attempts" in item.last_error and "#2" in item.last_error
    assert waits[0] < waits[1], "the second wait is longer than the first"


def test_a_refusal_fails_at_once(workspace, script):
    transport = script(ReauthRequired("The token was revoked: reconnect the channel."))
    item = enqueue(workspace)
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == "failed" and "reconnect" in item.last_error
    assert outbox.send(item.pk) is None and len(transport.calls) == 1


def test_an_unexpected_exception_fails_the_item_with_its_error_never_leaving_it_sending(
    workspace, script
):
    script(KeyError("payload.text"))
    item = enqueue(workspace)
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == "failed" and "KeyError" in item.last_error
    assert item.lease_until is None


def test_an_unknown_outcome_is_sent_again_only_when_safe(workspace, script):
    transport = script(
        OutcomeUnknown("Timed out after sending."),
        OutcomeUnknown("Timed out after sending."),
        "done",
    )
    safe = enqueue(workspace, "safe", retry_safe=True)
    unsafe = enqueue(workspace, "unsafe", retry_safe=False, action="post")
    outbox.send(safe.pk)
    outbox.send(unsafe.pk)
    safe.refresh_from_db()
    unsafe.refresh_from_db()
    assert safe.status == "queued"
    assert unsafe.status == "unconfirmed" and "check on the platform" in unsafe.last_error

    assert outbox.send(unsafe.pk, now=later(3600)) is None
    outcome = outbox.send_due(now=later(3600))
    assert (outcome["due"], outcome["sent"]) == (1, 1), "only the safe one is due, and it went"
    sent_ids = [item_id for item_id, _, _ in transport.calls]
    assert sent_ids.count(unsafe.pk) == 1, "the unconfirmed publish is never sent blindly"
    assert sent_ids.count(safe.pk) == 2


def test_an_expired_lease_is_taken_back_or_left_for_a_person(workspace, script, settings):
    settings.HEARTH_OUTBOX_LEASE_SECONDS = 60
    safe, unsafe = enqueue(workspace, "a"), enqueue(workspace, "b", retry_safe=False)
    # Two workers claimed them and died: the rows stay "sending" with a lease.
    for item in (safe, unsafe):
        OutboxItem.objects.filter(pk=item.pk).update(
            status="sending", attempts=1, lease_until=timezone.now() + timedelta(seconds=60)
        )
    assert outbox.sweep() == {"requeued": 0, "unconfirmed": 0}, "leases still running"
    assert outbox.sweep(now=later(61)) == {"requeued": 1, "unconfirmed": 1}
    safe.refresh_from_db()
    unsafe.refresh_from_db()
    assert safe.status == "queued" and unsafe.status == "unconfirmed"


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_outcome(workspace, script):
    item = enqueue(workspace)

    def slow_then_taken_over(claimed):
        # While this worker waits on the platform, its lease expires and another worker sends.
        outbox.sweep(now=later(10_000))
        script("second")
        outbox.send(claimed.pk, now=later(10_000))
        return SendResult(external_id="first")

    outbox._transports["scripted"] = slow_then_taken_over
    outbox.send(item.pk)
    item.refresh_from_db()
    assert (item.status, item.external_id, item.attempts) == ("sent", "second", 2)


def test_on_sent_handlers_run_after_the_send_and_their_failure_does_not_resend(
    workspace, script, monkeypatch
):
    seen = []
    monkeypatch.setitem(outbox._on_sent, "alert", [lambda item: seen.append(item.external_id)])
    script("x1")
    item = enqueue(workspace)
    outbox.send(item.pk)
    assert seen == ["x1"]

    def broken(item):
        raise RuntimeError("thread gone")

    monkeypatch.setitem(outbox._on_sent, "alert", [broken])
    transport = script("x2")
    other = enqueue(workspace, "k2")
    outbox.send(other.pk)
    other.refresh_from_db()
    assert other.status == "sent" and "broken failed afterwards" in other.last_error
    assert len(transport.calls) == 1


def test_a_person_resolves_an_unconfirmed_item(workspace, script):
    script(OutcomeUnknown("Timed out."))
    item = enqueue(workspace, retry_safe=False, action="post")
    outbox.send(item.pk)
    assert outbox.confirm_sent(item, external_id="found-it")
    assert (item.status, item.external_id) == ("sent", "found-it")
    assert not outbox.requeue(item), "a sent item is not sent again"

    script(OutcomeUnknown("Timed out."), "went")
    other = enqueue(workspace, "k2", retry_safe=False, action="post")
    outbox.send(other.pk)
    assert outbox.requeue(other) and other.status == "queued" and other.attempts == 0
    outbox.send(other.pk)
    other.refresh_from_db()
    assert (other.status, other.external_id) == ("sent", "went")


def test_enqueue_is_idempotent_on_its_key(workspace, script):
    assert enqueue(workspace, "same").pk == enqueue(workspace, "same").pk
    assert OutboxItem.objects.count() == 1


def test_platform_actions_are_retry_safe_as_their_connector_says(workspace, make_channel):
    demo = make_channel(workspace, kind="demo")
    forum = make_channel(workspace, kind="import")
    assert outbox.enqueue(demo, "reply", {}, idempotency_key="d").retry_safe
    assert not outbox.enqueue(forum, "reply", {}, idempotency_key="f").retry_safe
    assert outbox.enqueue(forum, "hide", {}, idempotency_key="h").retry_safe
