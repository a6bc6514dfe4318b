"""/healthz and `hearth health`: what a load balancer, a container probe or a systemd timer
relies on to tell a healthy host from a broken one."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from celery import current_app
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from hearth.core import health

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_worker():
    """Tasks queued for a worker (not run inline), so the heartbeat counts."""
    current_app.conf.task_always_eager = False
    yield
    current_app.conf.task_always_eager = True


def test_healthz_answers_on_an_internal_address_over_http_without_a_session(client, settings):
    settings.ALLOWED_HOSTS = ["hearth.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"]["ok"]
    assert response["Cache-Control"] == "no-store"
    assert "sessionid" not in response.cookies
    # Any other page on that address is still refused by the host check.
    assert client.get("/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400


def test_a_stale_worker_fails_only_the_worker_probe(client, real_worker):
    health.beat(health.WORKER, now=timezone.now() - timedelta(minutes=10))
    plain = client.get("/healthz")
    assert plain.status_code == 200  # a web process is not restarted because a worker died
    assert plain.json()["worker"] == {"ok": False, "last_beat_age_s": 600, "stale_after_s": 90}
    strict = client.get("/healthz", {"worker": "1"})
    assert strict.status_code == 503 and strict.json()["status"] == "failing"


def test_a_fresh_worker_passes_the_worker_probe(client, real_worker):
    health.beat(health.WORKER)
    response = client.get("/healthz", {"worker": "1"})
    assert response.status_code == 200 and response.json()["worker"]["ok"] is True


def test_an_unreachable_broker_fails_with_503_and_hides_its_url(client, settings):
    settings.CELERY_BROKER_URL = "redis://:hunter2@127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["ok"] is False and body["database"]["ok"] is True
    assert "hunter2" not in response.content.decode()


def test_a_missing_queue_folder_fails_the_broker_probe(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"  # also on CI's Redis leg
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "gone")}
    assert client.get("/healthz").status_code == 503


def test_an_unreachable_database_fails_with_503(client, monkeypatch):
    from django.db import OperationalError, connections

    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False
    assert "Connection refused" in response.json()["database"]["detail"]
    assert response.json()["worker"]["ok"] is False  # its heartbeat cannot be read either


def test_only_get_and_head_are_answered(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 404  # not ours: the URLs have no such page


def test_hearth_health_exits_1_when_the_worker_is_stale(real_worker):
    health.beat(health.WORKER, now=timezone.now() - timedelta(minutes=10))
    out = StringIO()
    call_command("health", stdout=out)  # without --worker: database and broker only
    assert "database: ok" in out.getvalue()
    with pytest.raises(CommandError) as failed:
        call_command("health", "--worker", stdout=out)
    assert failed.value.returncode == 1
    assert "worker: FAILING (last heartbeat 600 s ago)" in out.getvalue()


def test_hearth_health_url_needs_an_http_address():
    with pytest.raises(CommandError, match="must start with http"):
        call_command("health", "--url", "file:///etc/passwd")


def test_hearth_health_url_says_when_nothing_answers():
    with pytest.raises(CommandError, match="Cannot reach") as failed:
        call_command("health", "--url", "http://127.0.0.1:1/healthz", "--timeout", "1")
    assert failed.value.returncode == 1
