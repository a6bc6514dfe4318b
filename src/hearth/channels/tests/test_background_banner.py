"""Every page says when background jobs stop or deliveries pile up or fail, and since when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from hearth.celery import app
from hearth.channels.models import OutboxItem, OutboxStatus
from hearth.core import health


@pytest.fixture
def not_eager():
    """Pages rendered as in production: a worker is needed for jobs to run."""
    cache.clear()
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True
    cache.clear()


def _page(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_banner_when_the_heartbeat_is_stale(personas, not_eager):
    client = personas.client("moderator")
    health.beat(health.WORKER, now=timezone.now() - timedelta(minutes=10))
    body = _page(client)
    assert 'data-testid="jobs-stopped"' in body
    assert "Background jobs are not running (last sign of life:" in body


def test_no_banner_when_the_worker_beats(personas, not_eager):
    health.beat(health.WORKER)
    assert 'data-testid="jobs-banner"' not in _page(personas.client("moderator"))


def test_banner_when_no_worker_ever_reported(personas, not_eager):
    assert "no worker has reported yet" in _page(personas.client("viewer"))


def test_banner_in_french(personas, not_eager):
    client = personas.client("moderator")
    client.cookies["django_language"] = "fr"
    health.beat(health.WORKER, now=timezone.now() - timedelta(minutes=10))
    assert "Les tâches de fond ne tournent pas" in _page(client)


def _item(workspace, key, **fields):
    return OutboxItem.objects.create(
        workspace=workspace,
        transport="platform",
        action=fields.pop("action", "hide"),
        idempotency_key=key,
        **fields,
    )


def test_late_and_failing_deliveries_are_counted_per_workspace(
    personas, workspace, other_workspace, not_eager
):
    health.beat(health.WORKER)
    long_ago = timezone.now() - timedelta(hours=1)
    _item(workspace, "a", next_attempt_at=long_ago)
    _item(workspace, "b", next_attempt_at=long_ago)
    _item(workspace, "c", action="reply", status=OutboxStatus.FAILED, last_error="403 refused")
    _item(workspace, "d", action="hide")  # due now: not late
    _item(other_workspace, "e", status=OutboxStatus.FAILED, action="ban")

    body = _page(personas.client("moderator"))

    assert "2 platform actions or alerts are late" in body and "hides (2)" in body
    assert "1 delivery failed or is unconfirmed" in body and "replies (1)" in body
    assert "bans" not in body  # the other workspace's failure is not ours
    outsider = _page(personas.client("outsider"))
    assert "bans (1)" in outsider and "hides" not in outsider
