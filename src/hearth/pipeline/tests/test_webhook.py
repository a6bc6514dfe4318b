import json

import pytest
from conftest import item

from hearth.channels.actions import create_channel
from hearth.conversations.models import Message
from hearth.pipeline.webhooks import sign


@pytest.fixture(autouse=True)
def _inline(settings):
    settings.HEARTH_WEBHOOK_ASYNC = False  # these tests read the ingestion counts in the answer


@pytest.fixture
def hook(workspace, actor):
    channel, secret = create_channel(workspace, name="Hook", kind="webhook", by=actor)
    return channel, secret


def post(client, channel, secret, payload, *, signature=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "HTTP_X_HEARTH_SIGNATURE": signature if signature is not None else sign(secret, body)
    }
    return client.post(
        f"/hooks/{channel.webhook_key}", body, content_type="application/json", **headers
    )


def test_signed_item_is_ingested(client, hook):
    channel, secret = hook
    response = post(client, channel, secret, item("p1"))
    assert response.status_code == 200
    assert response.json()["created"] == 1
    assert Message.objects.get().channel == channel


def test_secret_is_encrypted_at_rest(hook):
    channel, secret = hook
    assert secret not in channel.webhook_secret_encrypted
    assert channel.webhook_secret == secret


def test_missing_or_wrong_signature_is_refused_and_stores_nothing(client, hook):
    channel, secret = hook
    assert post(client, channel, secret, item("p1"), signature="").status_code == 401
    response = post(client, channel, secret, item("p1"), signature=sign("guess", b"{}"))
    assert response.status_code == 401
    assert response.json()["field"] == "X-Hearth-Signature"
    assert not Message.objects.exists()


def test_partial_batch_keeps_the_good_items_and_names_the_bad_field(client, hook):
    channel, secret = hook
    broken = item("p2")
    broken["created_at"] = "not a date"
    response = post(client, channel, secret, [item("p1"), broken, item("p3")])
    assert response.status_code == 422
    body = response.json()
    assert body["created"] == 2
    assert body["errors"] == [
        {"position": 1, "field": "created_at", "message": body["errors"][0]["message"]}
    ]
    assert set(Message.objects.values_list("external_id", flat=True)) == {"p1", "p3"}


def test_replayed_delivery_is_harmless(client, hook):
    channel, secret = hook
    post(client, channel, secret, [item("p1"), item("p2")])
    response = post(client, channel, secret, [item("p1"), item("p2")])
    assert response.json()["created"] == 0
    assert Message.objects.count() == 2


def test_invalid_json_is_a_400(client, hook):
    channel, secret = hook
    response = post(client, channel, secret, b"{not json")
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_unknown_key_is_a_404(client, hook):
    channel, secret = hook
    response = client.post("/hooks/nope", b"{}", content_type="application/json")
    assert response.status_code == 404
