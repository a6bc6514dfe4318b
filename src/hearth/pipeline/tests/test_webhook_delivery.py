"""Hearth's own webhook: timestamped signatures, delivery ids, durable raw storage before the
answer, background ingestion, and older data that never overwrites newer."""

from __future__ import annotations

import json
import time

import pytest
from conftest import item

from hearth.channels.actions import create_channel
from hearth.conversations.models import Message
from hearth.core.signing import sign
from hearth.pipeline import deliveries
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.models import WebhookDelivery


@pytest.fixture
def hook(workspace, actor):
    return create_channel(workspace, name="Hook", kind="webhook", by=actor)


@pytest.fixture
def post(client, hook, django_capture_on_commit_callbacks):
    channel, secret = hook

    def send(payload, *, delivery="", timestamp=None, signature=None, raw=None, **headers):
        body = raw if raw is not None else json.dumps(payload).encode()
        headers["HTTP_X_HEARTH_SIGNATURE"] = (
            signature if signature is not None else sign(secret, body, timestamp=timestamp)
        )
        if delivery:
            headers["HTTP_X_HEARTH_DELIVERY"] = delivery
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/hooks/{channel.webhook_key}", body, content_type="application/json", **headers
            )

    return send


def test_a_delivery_is_stored_raw_then_ingested_in_the_background(post):
    response = post(item("p1"), delivery="d-1")
    assert response.status_code == 202
    assert response.json()["accepted"] == 1 and response.json()["delivery"] == "d-1"
    delivery = WebhookDelivery.objects.get()
    assert json.loads(bytes(delivery.body))["external_id"] == "p1"
    assert delivery.processed_at is not None
    assert Message.objects.get().external_id == "p1"


def test_bad_items_are_named_with_422_and_the_good_ones_accepted(post):
    broken = item("p2")
    broken["created_at"] = "yesterday"
    response = post([item("p1"), broken, item("p3")])
    assert response.status_code == 422
    assert response.json()["accepted"] == 2
    assert [e["position"] for e in response.json()["errors"]] == [1]
    assert set(Message.objects.values_list("external_id", flat=True)) == {"p1", "p3"}


def test_a_delivery_id_is_taken_once(post):
    assert post(item("p1", "first"), delivery="same").status_code == 202
    again = post(item("p1", "changed by a replay"), delivery="same")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert Message.objects.get().text == "first"
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("skew", [-3600, 600])
def test_a_timestamp_outside_the_window_is_refused(post, skew):
    response = post(item("p1"), timestamp=int(time.time()) + skew)
    assert response.status_code == 401
    assert "away from this server's clock" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_the_old_untimestamped_signature_is_refused(post, hook):
    import hashlib
    import hmac

    _, secret = hook
    body = json.dumps(item("p1")).encode()
    old = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    response = post(None, raw=body, signature=old)
    assert response.status_code == 401 and "t=<unix seconds>" in response.json()["error"]


def test_an_oversized_body_is_a_json_413(post, settings):
    settings.HEARTH_WEBHOOK_MAX_BYTES = 1000
    response = post([item(f"p{i}") for i in range(20)])
    assert response.status_code == 413
    assert response.json()["field"] == "body"


def test_deep_nesting_is_a_json_400_not_a_500(post):
    body = b"[" * 100_000 + b"]" * 100_000
    response = post(None, raw=body)
    assert response.status_code == 400 and response.json()["field"] == "body"


def test_a_replayed_old_version_does_not_revert_an_edit_or_its_metrics(post):
    original = item("p1", "original text")
    post(original, delivery="v1")
    edited = item("p1", "edited text", updated_at="2026-11-01T10:00:00+00:00")
    edited["metrics"] = {"likes": 50, "shares": 0, "replies": 0, "views": 900}
    post(edited, delivery="v2")
    # The platform retries its first delivery late, under a new id: it is older, so ignored.
    late = post(original, delivery="v1-retry")
    assert late.status_code == 202
    message = Message.objects.get()
    assert (message.text, message.likes, message.views) == ("edited text", 50, 900)
    # A newer version still applies.
    newer = item("p1", "edited twice", updated_at="2026-11-01T11:00:00+00:00")
    post(newer, delivery="v3")
    assert Message.objects.get().text == "edited twice"


def test_older_metrics_never_overwrite_newer_through_any_way_in(channel):
    fresh = item("m", updated_at="2026-11-02T00:00:00+00:00")
    fresh["metrics"] = {"likes": 9, "views": 99}
    ingest_batch(channel, [fresh])
    stale = item("m", updated_at="2026-11-01T12:00:00+00:00")
    stale["metrics"] = {"likes": 1, "views": 2}
    report = ingest_batch(channel, [stale])
    assert report.unchanged == 1
    assert Message.objects.get().likes == 9


def test_deliveries_left_waiting_are_processed_by_the_periodic_sweep(
    hook, settings, django_capture_on_commit_callbacks
):
    channel, _ = hook
    settings.HEARTH_WEBHOOK_ASYNC = True
    assert deliveries.store(channel.pk, "lost-job", json.dumps(item("p9")).encode())
    assert not Message.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.deliveries_due()  # tests run jobs eagerly: the job runs after commit
    assert Message.objects.get().external_id == "p9"
    assert WebhookDelivery.objects.get().processed_at is not None


def _wsgi(path, body, headers):
    import io

    from hearth.wsgi import application

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": headers.pop("Host", "127.0.0.1"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }
    answer = {}

    def start_response(status, response_headers):
        answer["status"] = int(status.split()[0])

    content = b"".join(application(environ, start_response))
    return answer["status"], json.loads(content)


def test_the_short_wsgi_path_stores_before_answering_and_checks_the_host(hook):
    channel, secret = hook
    body = json.dumps(item("p1")).encode()
    headers = {"X-Hearth-Signature": sign(secret, body), "X-Hearth-Delivery": "w-1"}
    status, answer = _wsgi(f"/hooks/{channel.webhook_key}", body, dict(headers))
    assert (status, answer["accepted"]) == (202, 1)
    assert WebhookDelivery.objects.filter(delivery_id="w-1").exists()
    assert _wsgi("/hooks/nope", body, dict(headers))[0] == 404
    assert _wsgi(f"/hooks/{channel.webhook_key}", body, {**headers, "Host": "evil.test"})[0] == 400


def test_the_short_wsgi_path_answers_like_the_view(hook, post, settings):
    channel, secret = hook
    path = f"/hooks/{channel.webhook_key}"
    bad = json.dumps([item("p1"), {"kind": "post"}]).encode()
    short = _wsgi(path, bad, {"X-Hearth-Signature": sign(secret, bad), "X-Hearth-Delivery": "s"})
    full = post(None, raw=bad, delivery="f")
    assert short[0] == full.status_code == 422
    assert {k: v for k, v in short[1].items() if k != "delivery"} == {
        k: v for k, v in full.json().items() if k != "delivery"
    }
    replay = _wsgi(path, bad, {"X-Hearth-Signature": sign(secret, bad), "X-Hearth-Delivery": "s"})
    assert replay == (200, {"duplicate": True, "delivery": "s", "created": 0})
    unsigned = _wsgi(path, bad, {})
    assert unsigned[0] == 401 and unsigned[1]["field"] == "X-Hearth-Signature"
    settings.HEARTH_WEBHOOK_MAX_BYTES = 10
    too_big = _wsgi(path, bad, {"X-Hearth-Signature": sign(secret, bad)})
    assert too_big == (
        413,
        {"error": "The body is larger than 10 bytes; send smaller batches.", "field": "body"},
    )
    assert WebhookDelivery.objects.filter(channel=channel).count() == 2


def test_a_quarantined_item_is_retried_only_by_its_workspace_managers(channel, personas):
    from hearth.channels.models import QuarantinedItem
    from hearth.pipeline.quarantine import quarantine

    entry = quarantine(channel, item("q1"), external_id="q1", reason="RuntimeError: boom")
    url = f"/quarantine/{entry.pk}/retry/"
    assert personas.client("outsider").post(url).status_code == 404
    assert personas.client("viewer").post(url).status_code == 403
    assert QuarantinedItem.objects.filter(pk=entry.pk).exists()
    assert personas.client("owner").post(url).status_code == 302
    assert not QuarantinedItem.objects.filter(pk=entry.pk).exists()
    assert Message.objects.filter(external_id="q1").exists()
