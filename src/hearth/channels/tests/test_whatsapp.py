"""WhatsApp Business (Cloud API) against the local Graph stand-in (hearth.channels.testing_graph)
and Meta's webhook receiver (`/hooks/meta/<key>`, object `whatsapp_business_account`).

The fixtures in pipeline/tests/fixtures/whatsapp/ follow the Cloud API's webhook reference
(text, image, interactive button reply, template quick-reply button, unsupported type with its
error, and the sent/delivered/read/failed statuses); PHONE_ID, WABA_ID and WAMID stand for the
channel's number, its account and the reply's message id.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import (
    FatalConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
)
from hearth.channels.connectors.meta import OutsideWindow, appsecret_proof
from hearth.channels.connectors.whatsapp import WhatsAppConnector, error_words
from hearth.channels.models import OutboxItem, OutboxStatus
from hearth.channels.testing_graph import APP_SECRET, sign
from hearth.conversations.actions.reply import reply_to_thread
from hearth.conversations.models import Message, Thread
from hearth.conversations.reply_window import reply_window
from hearth.core.actions import ActionError
from hearth.pipeline.models import WebhookDelivery

V = "/v21.0"
FIXTURES = Path(__file__).parents[2] / "pipeline" / "tests" / "fixtures" / "whatsapp"
CUSTOMER = "16505551234"


def _q(request):
    return {k: v[-1] for k, v in request.query.items()}


def fixture(name: str, wa, wamid: str = "") -> bytes:
    text = (FIXTURES / f"{name}.json").read_text()
    text = text.replace("PHONE_ID", wa.number.id).replace("WABA_ID", wa.number.waba_id)
    return text.replace("WAMID", wamid).encode()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def wa(graph, meta_app, workspace, make_channel):
    number = graph.wa_number("Lumio Support")
    graph.wa_template(number, "order_update", "Hello, news of your order: {{1}}")
    graph.wa_template(number, "back_in_touch", "We are back in touch about your request.")
    graph.wa_template(number, "draft_one", "Not approved yet", status="PENDING")
    channel = make_channel(
        workspace,
        name="WhatsApp",
        kind="whatsapp",
        config={"phone_number_id": number.id, "waba_id": number.waba_id},
        credentials={"access_token": number.token},
    )
    channel.refresh_from_db()
    graph.platform.requests.clear()
    return SimpleNamespace(channel=channel, number=number, app=meta_app)


@pytest.fixture
def deliver(client, meta_app, django_capture_on_commit_callbacks):
    def send(body: bytes | dict, *, signature: str | None = None):
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/hooks/meta/{meta_app.webhook_key}",
                data=raw,
                content_type="application/json",
                HTTP_X_HUB_SIGNATURE_256=signature if signature is not None else sign(raw),
            )

    return send


def _send(item: OutboxItem) -> OutboxItem:
    outbox.send(item.pk)
    item.refresh_from_db()
    return item


# -- identity, templates, exact requests -------------------------------------------------------


def test_identity_is_the_business_number_with_the_token_and_its_proof(wa, graph):
    me = get_connector(wa.channel).identity()
    assert (me.external_id, me.display_name, me.handle) == (
        wa.number.id,
        "Lumio Support",
        "+1 555-078-3881",
    )
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path) == ("GET", f"{V}/{wa.number.id}")
    assert _q(sent) == {
        "fields": "id,display_phone_number,verified_name,quality_rating",
        "access_token": wa.number.token,
        "appsecret_proof": appsecret_proof(wa.number.token, APP_SECRET),
    }


def test_templates_are_the_approved_ones_of_the_account(wa, graph):
    found = get_connector(wa.channel).templates()
    assert [(t["name"], t["language"]) for t in found] == [
        ("order_update", "en_US"),
        ("back_in_touch", "en_US"),
    ]
    assert found[0]["body"] == "Hello, news of your order: {{1}}"
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path) == ("GET", f"{V}/{wa.number.waba_id}/message_templates")
    assert _q(sent)["fields"] == "name,language,status,category,components"


def test_a_text_reply_sends_the_documented_request(wa, graph):
    result = get_connector(wa.channel).send(
        "reply",
        {"parent_external_id": f"wa/{CUSTOMER}/wamid.IN1", "text": "Yes, in green too."},
        idempotency_key="k1",
    )
    sent = graph.platform.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"{V}/{wa.number.id}/messages")
    assert sent.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER,
        "type": "text",
        "text": {"preview_url": False, "body": "Yes, in green too."},
        "context": {"message_id": "wamid.IN1"},
    }
    assert _q(sent)["access_token"] == wa.number.token
    assert result.external_id == f"wa/{CUSTOMER}/{graph.wa_numbers[wa.number.id].sent[-1]['id']}"


def test_a_template_reply_sends_the_template_with_its_parameter(wa, graph):
    get_connector(wa.channel).send(
        "reply",
        {
            "parent_external_id": f"wa/{CUSTOMER}",
            "text": "Hello, news of your order: it left today",
            "template": {
                "name": "order_update",
                "language": "en_US",
                "body": "Hello, news of your order: {{1}}",
            },
            "parameter": "it left today",
        },
        idempotency_key="k2",
    )
    assert graph.platform.requests[-1].json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER,
        "type": "template",
        "template": {
            "name": "order_update",
            "language": {"code": "en_US"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "it left today"}]}
            ],
        },
    }


def test_capabilities_say_replies_only_and_push():
    caps = WhatsAppConnector.capabilities
    assert caps.push and caps.reply and not caps.fetch
    assert not (caps.hide or caps.delete or caps.ban or caps.publish)


# -- errors classified by WhatsApp's codes -----------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [
        (131047, OutsideWindow, "24 hours"),
        (131026, FatalConnectorError, "could not be delivered"),
        (190, ReauthRequired, "expired or was revoked"),
        (4, RetryLater, "too many calls"),
        (80007, RetryLater, "WhatsApp Business Account made too many calls"),
        (130429, RetryLater, "messages per second"),
        (132001, FatalConnectorError, "does not exist in this language"),
    ],
)
def test_whatsapp_error_codes_become_typed_errors(wa, graph, code, error, words):
    graph.error("POST", f"/{wa.number.id}/messages", code=code)
    with pytest.raises(error) as caught:
        get_connector(wa.channel).send(
            "reply", {"parent_external_id": f"wa/{CUSTOMER}", "text": "Hi"}, idempotency_key="e"
        )
    assert words in str(caught.value) and str(code) in str(caught.value)


def test_a_throughput_limit_waits_a_second_not_an_hour(wa, graph):
    graph.error("POST", f"/{wa.number.id}/messages", code=130429)
    with pytest.raises(RetryLater) as caught:
        get_connector(wa.channel).send(
            "reply", {"parent_external_id": f"wa/{CUSTOMER}", "text": "Hi"}, idempotency_key="t"
        )
    assert caught.value.after_s <= 5


def test_a_revoked_token_twice_makes_the_channel_need_reauthorisation(wa, graph):
    graph.revoke()
    for key in ("r1", "r2"):
        item = outbox.enqueue(
            wa.channel,
            "reply",
            {"parent_external_id": f"wa/{CUSTOMER}", "text": "Hi"},
            idempotency_key=key,
        )
        _send(item)
    wa.channel.refresh_from_db()
    assert wa.channel.state == "needs_reauth"
    assert "190" in wa.channel.auth_error


def test_error_words_are_plain_for_unknown_codes():
    assert error_words(999999, "Something odd") == "WhatsApp error 999999: Something odd."


# -- the webhook: messages ---------------------------------------------------------------------


def test_the_handshake_works_for_whatsapp_too(client, meta_app):
    ok = client.get(
        f"/hooks/meta/{meta_app.webhook_key}",
        {"hub.mode": "subscribe", "hub.verify_token": meta_app.verify_token, "hub.challenge": "42"},
    )
    assert ok.status_code == 200 and ok.content == b"42"


def test_a_text_message_is_stored_before_the_answer_and_opens_a_conversation(wa, deliver):
    response = deliver(fixture("text", wa))
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert WebhookDelivery.objects.filter(channel=wa.channel).count() == 1
    message = Message.objects.get(channel=wa.channel)
    assert message.external_id.startswith(f"wa/{CUSTOMER}/wamid.")
    assert message.parent_external_id == f"wa/{CUSTOMER}"
    assert message.kind == "dm" and message.text == "Does it come in another color?"
    assert message.author.display_name == "Sheena Nelson"
    assert message.created_at == datetime.fromtimestamp(1749416383, tz=UTC)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("image", "[image] The lamp arrived broken"),
        ("button_reply", "Change my order"),
        ("template_button", "Stop promotions"),
        ("unsupported", "[WhatsApp error 131051: WhatsApp does not support this kind of message.]"),
    ],
)
def test_each_documented_message_type_becomes_readable_text(wa, deliver, name, text):
    assert deliver(fixture(name, wa)).status_code == 200
    assert Message.objects.get(channel=wa.channel).text == text


def test_messages_of_one_customer_are_one_conversation(wa, deliver):
    deliver(fixture("text", wa))
    deliver(fixture("image", wa))
    deliver(fixture("button_reply", wa))
    assert Thread.objects.filter(channel=wa.channel).count() == 1
    assert Message.objects.filter(channel=wa.channel).count() == 3


def test_a_bad_signature_is_refused_and_nothing_is_stored(wa, deliver):
    body = fixture("text", wa)
    assert deliver(body, signature="sha256=" + "0" * 64).status_code == 401
    assert deliver(body, signature="").status_code == 401
    assert not WebhookDelivery.objects.exists() and not Message.objects.exists()


def test_a_delivery_sent_again_is_taken_once(wa, deliver):
    body = fixture("text", wa)
    deliver(body)
    deliver(body)
    assert WebhookDelivery.objects.filter(channel=wa.channel).count() == 1
    assert Message.objects.filter(channel=wa.channel).count() == 1


def test_another_number_is_acknowledged_and_dropped(wa, deliver, graph):
    other = graph.wa_number("Someone else", "+1 555-000-0000")
    body = json.dumps(
        graph.wa_inbound(other, CUSTOMER, "Ana", {"type": "text", "text": {"body": "hi"}})
    )
    response = deliver(body.encode())
    assert response.status_code == 200 and response.json()["stored"] == 0


def test_another_workspaces_number_never_gets_the_message(
    wa, deliver, graph, other_workspace, make_channel
):
    """Tenancy: a channel of another workspace, with no Meta app of its own and not the
    instance's, does not receive this app's deliveries, even for the same number id."""
    make_channel(
        other_workspace,
        name="Their WhatsApp",
        kind="whatsapp",
        config={"phone_number_id": wa.number.id, "waba_id": wa.number.waba_id},
        credentials={"access_token": "theirs"},
    )
    deliver(fixture("text", wa))
    assert Message.objects.filter(channel__workspace=other_workspace).count() == 0
    assert Message.objects.filter(channel=wa.channel).count() == 1


# -- statuses on the sent reply ----------------------------------------------------------------


def _inbound(wa, graph, deliver, *, hours_ago: float = 0) -> Thread:
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    deliver(
        graph.wa_inbound(
            wa.number, CUSTOMER, "Sheena", {"type": "text", "text": {"body": "Hello?"}}, at=at
        )
    )
    return Thread.objects.get(channel=wa.channel)


def test_a_reply_inside_the_window_goes_as_text_and_its_statuses_show_on_it(
    wa, graph, deliver, actor
):
    thread = _inbound(wa, graph, deliver, hours_ago=2)
    window = reply_window(thread)
    assert window is not None and window.state == "open" and not window.needs_template
    item = _send(reply_to_thread(thread, "Yes, in green too.", by=actor))
    assert item.status == OutboxStatus.SENT and item.external_id.startswith(f"wa/{CUSTOMER}/")
    wamid = item.external_id.split("/", 2)[2]
    assert graph.wa_numbers[wa.number.id].sent[-1]["type"] == "text"

    for pending in graph.wa_numbers[wa.number.id].pending:
        deliver(pending)  # "sent"
    item.refresh_from_db()
    assert item.delivery == "sent"
    assert deliver(fixture("status_read", wa, wamid)).json()["statuses"] == 1
    assert deliver(fixture("status_delivered", wa, wamid)).json()["statuses"] == 0  # late
    item.refresh_from_db()
    assert item.delivery == "read" and item.delivery_error == ""


def test_a_failed_status_shows_whatsapps_error_in_plain_words(wa, graph, deliver, actor):
    thread = _inbound(wa, graph, deliver, hours_ago=1)
    item = _send(reply_to_thread(thread, "Here you are.", by=actor))
    wamid = item.external_id.split("/", 2)[2]
    deliver(fixture("status_undeliverable", wa, wamid))
    item.refresh_from_db()
    assert item.delivery == "failed"
    assert item.delivery_error.startswith("WhatsApp error 131026: the message could not be")


def test_outside_the_window_the_reply_box_asks_for_a_template(
    wa, graph, deliver, actor, client, personas
):
    thread = _inbound(wa, graph, deliver, hours_ago=30)
    window = reply_window(thread)
    assert window is not None and window.state == "closed" and window.needs_template
    assert [t["name"] for t in window.templates] == ["order_update", "back_in_touch"]

    with pytest.raises(ActionError, match="template is empty"):
        reply_to_thread(thread, "Free text", by=actor)
    with pytest.raises(ActionError, match="not one of the account's approved"):
        reply_to_thread(thread, "x", by=actor, template="draft_one|en_US")
    with pytest.raises(ActionError, match="needs a value"):
        reply_to_thread(thread, "", by=actor, template="order_update|en_US")

    item = _send(reply_to_thread(thread, "it left today", by=actor, template="order_update|en_US"))
    assert item.status == OutboxStatus.SENT
    assert item.payload["text"] == "Hello, news of your order: it left today"
    assert graph.wa_numbers[wa.number.id].sent[-1]["template"]["name"] == "order_update"
    assert not [p for p in graph.wa_numbers[wa.number.id].pending if "failed" in json.dumps(p)]

    page = personas.client("owner").get(reverse("inbox_thread", args=[thread.pk])).content.decode()
    assert 'data-testid="reply-template"' in page and "order_update" in page
    assert "draft_one" not in page


def test_free_text_outside_the_window_fails_on_whatsapp_as_131047(wa, graph, deliver, actor):
    """WhatsApp accepts free text outside the window and then reports it failed: the status
    makes the reply show why, in plain words."""
    thread = _inbound(wa, graph, deliver, hours_ago=2)
    item = _send(reply_to_thread(thread, "Hello", by=actor))
    graph.wa_numbers[wa.number.id].last_inbound[CUSTOMER] -= timedelta(hours=30)
    for pending in graph.wa_numbers[wa.number.id].pending:
        deliver(pending)
    wamid = item.external_id.split("/", 2)[2]
    deliver(fixture("status_failed", wa, wamid))
    item.refresh_from_db()
    assert item.delivery == "failed" and "131047" in item.delivery_error
    assert "approved template" in item.delivery_error


def test_the_thread_shows_the_delivery_state_on_the_reply(
    wa, graph, deliver, actor, client, personas
):
    thread = _inbound(wa, graph, deliver)
    item = _send(reply_to_thread(thread, "On its way", by=actor))
    deliver(fixture("status_read", wa, item.external_id.split("/", 2)[2]))
    page = personas.client("owner").get(reverse("inbox_thread", args=[thread.pk])).content.decode()
    assert 'data-delivery="read"' in page and "platform id" in page
    assert "Inside the platform" in page


def test_templates_that_cannot_be_listed_say_why(wa, graph, deliver, actor):
    thread = _inbound(wa, graph, deliver, hours_ago=26)
    graph.error("GET", f"/{wa.number.waba_id}/message_templates", code=200, status=403)
    window = reply_window(thread)
    assert window is not None and window.needs_template and not window.templates
    assert "permission" in window.templates_error.lower()


def test_a_rate_limit_on_send_is_the_channels_wait_state_and_the_reply_waits(wa, graph):
    graph.error(
        "POST", f"/{wa.number.id}/messages", code=80007, headers={"Retry-After": "120"}, status=429
    )
    item = _send(
        outbox.enqueue(
            wa.channel,
            "reply",
            {"parent_external_id": f"wa/{CUSTOMER}", "text": "Hi"},
            idempotency_key="rl",
        )
    )
    wa.channel.refresh_from_db()
    assert item.status == OutboxStatus.QUEUED and item.next_attempt_at > timezone.now()
    assert wa.channel.rate_limited and "80007" in item.last_error


def test_a_5xx_is_retried_and_a_hang_after_sending_is_unconfirmed(wa, graph):
    graph.platform.fail("POST", f"{V}/{wa.number.id}/messages", status=503)
    item = _send(
        outbox.enqueue(
            wa.channel,
            "reply",
            {"parent_external_id": f"wa/{CUSTOMER}", "text": "Hi"},
            idempotency_key="5xx",
        )
    )
    assert item.status == OutboxStatus.QUEUED and "503" in item.last_error
    connector = get_connector(wa.channel)
    connector.client.timeout = (2.0, 0.5)
    graph.platform.hang("POST", f"{V}/{wa.number.id}/messages", seconds=1.5)
    with pytest.raises(OutcomeUnknown):
        connector.send(
            "reply", {"parent_external_id": f"wa/{CUSTOMER}", "text": "Hi"}, idempotency_key="h"
        )


def test_the_guided_form_tests_then_adds_the_number(graph, meta_app, personas, workspace):
    number = graph.wa_number("Lumio Support")
    graph.wa_template(number, "order_update", "Hello {{1}}")
    owner = personas.client("owner")
    fields = {
        "name": "Support WhatsApp",
        "cfg_phone_number_id": number.id,
        "cfg_waba_id": number.waba_id,
        "cfg_access_token": number.token,
    }
    checks = owner.post(reverse("channels:add_kind_test", args=["whatsapp"]), fields)
    text = checks.content.decode()
    assert "Connected as Lumio Support (+1 555-078-3881)." in text
    assert "1 approved templates" in text and "webhook" in text
    wrong = owner.post(
        reverse("channels:add_kind_test", args=["whatsapp"]), {**fields, "cfg_access_token": "bad"}
    ).content.decode()
    assert "190" in wrong
    added = owner.post(reverse("channels:add_kind", args=["whatsapp"]), fields)
    assert added.status_code == 302
    from hearth.channels.models import Channel

    channel = Channel.objects.get(workspace=workspace, kind="whatsapp")
    assert channel.credentials == {"access_token": number.token}
    assert channel.config["phone_number_id"] == number.id
    outsider = personas.client("outsider")
    assert outsider.get(reverse("channels:detail", args=[channel.pk])).status_code == 404
