"""Background jobs through a real broker: the embedded filesystem queue, or Redis on CI."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from hearth.celery import app
from hearth.channels import outbox
from hearth.channels.models import OutboxItem, OutboxStatus


def test_periodic_jobs_name_registered_tasks():
    import hearth.channels.tasks  # noqa: F401
    import hearth.demo.tasks  # noqa: F401

    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= set(app.tasks)


@pytest.mark.django_db(transaction=True)
def test_outbox_item_is_sent_by_a_real_worker(workspace, make_channel, settings):
    app.conf.task_always_eager = False
    channel = make_channel(workspace, name="Demo", kind="demo")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        item = outbox.enqueue(channel, "reply", {"text": "Merci !"}, idempotency_key="k1")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            item.refresh_from_db()
            if item.status == OutboxStatus.SENT:
                break
            time.sleep(0.1)
    assert item.status == OutboxStatus.SENT, (
        f"broker {app.conf.broker_url} did not deliver the task"
    )
    assert item.external_id.startswith("demo-reply-")
    assert item.attempts == 1


@pytest.mark.django_db
def test_enqueue_is_idempotent(workspace, make_channel):
    channel = make_channel(workspace, name="Demo", kind="demo")
    first = outbox.enqueue(channel, "reply", {"text": "a"}, idempotency_key="same")
    second = outbox.enqueue(channel, "reply", {"text": "a"}, idempotency_key="same")
    assert first.pk == second.pk
    assert OutboxItem.objects.count() == 1


@pytest.mark.django_db
def test_unsupported_action_fails_visibly_and_is_not_retried(
    workspace, make_channel, django_capture_on_commit_callbacks
):
    channel = make_channel(workspace, name="Forum", kind="import")
    with django_capture_on_commit_callbacks(execute=True):
        item = outbox.enqueue(channel, "hide", {"message": "x"}, idempotency_key="h1")
    item.refresh_from_db()
    assert item.status == OutboxStatus.FAILED
    assert "by hand" in item.last_error


@pytest.mark.django_db
def test_a_claimed_item_is_not_sent_twice(workspace, make_channel):
    channel = make_channel(workspace, name="Demo", kind="demo")
    app.conf.task_always_eager = False
    item = outbox.enqueue(channel, "reply", {"text": "a"}, idempotency_key="c1")
    OutboxItem.objects.filter(pk=item.pk).update(status=OutboxStatus.SENDING)
    assert outbox.send(item.pk) is None
