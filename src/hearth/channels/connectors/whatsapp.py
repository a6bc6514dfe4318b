"""WhatsApp Business, through the Cloud API (Graph API, hearth/channels/connectors/meta.py) and
Meta's webhooks.

A channel is one business phone number of a WhatsApp Business Account (WABA):
`config["phone_number_id"]` and `config["waba_id"]`, with a permanent token of a system user of
the business (`credentials["access_token"]`, permissions `whatsapp_business_messaging` and
`whatsapp_business_management`). The Meta app the workspace entered for Facebook
(`PlatformApp` "facebook") signs the webhooks and gives the `appsecret_proof`.

The Cloud API has no endpoint to read messages: they arrive only by webhook
(`/hooks/meta/<key>`, object `whatsapp_business_account`, field `messages`), as do the statuses
of what the business sent (sent, delivered, read, failed). A customer's messages are one
conversation: their external id is `wa/<wa_id>/<wamid>` and their parent `wa/<wa_id>`.

What Hearth does: reply (`POST /{phone_number_id}/messages`) with free text inside the 24-hour
customer-service window, which opens at each of the customer's messages, and with an approved
**template** outside it (listed from `GET /{waba_id}/message_templates`, chosen in the reply
box). Errors are classified by WhatsApp's codes (`ERRORS`); a failed status shows them on the
reply in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from hearth.channels.connectors.base import (
    BaseConnector,
    Capabilities,
    Check,
    ConfigField,
    ConnectorError,
    FatalConnectorError,
    Identity,
    ReauthRequired,
    RetryLater,
    SendResult,
)
from hearth.channels.connectors.meta import (
    API_VERSION,
    GRAPH_URL,
    PERMISSION_CODES,
    GraphClient,
    OutsideWindow,
    PermissionMissing,
    graph_error,
    signature_ok,
)
from hearth.channels.models import Channel, PlatformApp

OBJECT = "whatsapp_business_account"
PREFIX = "wa/"
WINDOW_HOURS = 24
TEMPLATES = 100

# WhatsApp's error codes (Cloud API error codes reference) and what they mean, in plain words.
OUTSIDE_WINDOW = 131047  # re-engagement message: more than 24 hours since the customer wrote
UNDELIVERABLE = 131026
THROUGHPUT = 130429  # the number's messages per second
RATE_CODES = frozenset({4, 80007, THROUGHPUT, 131048, 131056})
ERRORS: dict[int, Any] = {
    OUTSIDE_WINDOW: _(
        "more than 24 hours have passed since the customer last wrote: only an approved "
        "template can reach them now"
    ),
    UNDELIVERABLE: _(
        "the message could not be delivered: the number is not on WhatsApp, the person has not "
        "accepted WhatsApp's terms, or uses an app too old for this message"
    ),
    131049: _("Meta chose not to deliver this marketing message, to keep engagement healthy"),
    131050: _("the person stopped marketing messages from the business"),
    131051: _("WhatsApp does not support this kind of message"),
    131052: _("the media the customer sent could not be downloaded"),
    131053: _("the media could not be uploaded"),
    132000: _("the template's parameters do not match its placeholders"),
    132001: _("the template does not exist in this language, or is not approved yet"),
    132015: _("the template is paused because of its low quality"),
    132016: _("the template is disabled because of its low quality"),
    133010: _("the business phone number is not registered on the Cloud API"),
    190: _("the access token expired or was revoked"),
    4: _("the app made too many calls: Meta's rate limit"),
    80007: _("the WhatsApp Business Account made too many calls: Meta's rate limit"),
    THROUGHPUT: _("the number sent more messages per second than its throughput allows"),
    131048: _("the number was limited because too many of its messages were reported as spam"),
    131056: _("too many messages to the same person in a short time"),
}
# A status goes forward only; "failed" is final whenever it comes.
DELIVERY_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


def error_words(code: Any, title: str = "") -> str:
    """A WhatsApp error in plain words, with its code."""
    try:
        number = int(code)
    except (TypeError, ValueError):
        number = 0
    words = ERRORS.get(number)
    said = str(words) if words else (title or _g("an error WhatsApp did not explain"))
    return _g("WhatsApp error %(code)s: %(words)s.") % {"code": number or "?", "words": said}


def _iso(timestamp: Any) -> str:
    return datetime.fromtimestamp(int(timestamp), tz=UTC).isoformat()


def message_text(message: Mapping[str, Any]) -> str:
    """What the customer sent, as text: a text body, a media's caption, a button's title."""
    kind = str(message.get("type") or "")
    if kind == "text":
        return str((message.get("text") or {}).get("body") or "")
    if kind in ("image", "video", "document", "audio", "sticker"):
        media = message.get(kind) or {}
        caption = str(media.get("caption") or media.get("filename") or "")
        return f"[{kind}] {caption}".strip()
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        chosen = interactive.get(interactive.get("type")) or {}
        return str(chosen.get("title") or chosen.get("id") or "")
    if kind == "button":
        button = message.get("button") or {}
        return str(button.get("text") or button.get("payload") or "")
    if kind == "reaction":
        return str((message.get("reaction") or {}).get("emoji") or "")
    if kind == "location":
        place = message.get("location") or {}
        return f"[location] {place.get('name') or ''} {place.get('latitude')},{place.get('longitude')}".strip()
    if kind == "unsupported" or message.get("errors"):
        first = (message.get("errors") or [{}])[0]
        return f"[{error_words(first.get('code'), str(first.get('title') or ''))}]"
    return f"[{kind or 'message'}]"


@dataclass(frozen=True)
class Status:
    """A status of a message the business sent."""

    external_id: str  # wa/<wa_id>/<wamid>, as the reply was stored
    state: str  # sent | delivered | read | failed
    at: datetime
    error: str = ""


def parse_value(value: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[Status]]:
    """The customer's messages (import format) and the statuses of one `messages` change."""
    names = {
        str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
        for c in value.get("contacts") or ()
        if isinstance(c, dict)
    }
    items: list[dict[str, Any]] = []
    for message in value.get("messages") or ():
        if not isinstance(message, dict) or not message.get("id"):
            continue
        wa_id = str(message["from"])
        if message.get("type") == "reaction":
            continue  # a reaction to one of the business's messages is no message to answer
        items.append(
            {
                "external_id": f"{PREFIX}{wa_id}/{message['id']}",
                "kind": "dm",
                "author": {
                    "external_id": wa_id,
                    "display_name": names.get(wa_id, ""),
                    "handle": f"+{wa_id}",
                },
                "text": message_text(message),
                "created_at": _iso(message["timestamp"]),
                "parent_external_id": f"{PREFIX}{wa_id}",
            }
        )
    statuses: list[Status] = []
    for status in value.get("statuses") or ():
        if not isinstance(status, dict) or status.get("status") not in DELIVERY_RANK:
            continue
        first = (status.get("errors") or [{}])[0]
        statuses.append(
            Status(
                external_id=f"{PREFIX}{status['recipient_id']}/{status['id']}",
                state=str(status["status"]),
                at=datetime.fromtimestamp(int(status["timestamp"]), tz=UTC),
                error=error_words(first.get("code"), str(first.get("title") or ""))
                if status.get("status") == "failed"
                else "",
            )
        )
    return items, statuses


def parse_entry(
    entry: Mapping[str, Any],
) -> dict[str, tuple[list[dict[str, Any]], list[Status]]]:
    """{phone number id: (items, statuses)} of one WABA entry of a webhook delivery."""
    found: dict[str, tuple[list[dict[str, Any]], list[Status]]] = {}
    for change in entry.get("changes") or ():
        if not isinstance(change, dict) or change.get("field") != "messages":
            continue
        value = change.get("value") or {}
        number = str((value.get("metadata") or {}).get("phone_number_id") or "")
        if not number:
            continue
        items, statuses = parse_value(value)
        mine = found.setdefault(number, ([], []))
        mine[0].extend(items)
        mine[1].extend(statuses)
    return found


def needed_permission(path: str) -> str:
    """The permission a Cloud API call needs: sending is messaging, the rest is management."""
    return (
        "whatsapp_business_messaging"
        if path.rstrip("/").endswith("/messages")
        else "whatsapp_business_management"
    )


class WhatsAppClient(GraphClient):
    """The Graph API as a WhatsApp token: a system user's (typed in) or, `via_consent`, the
    person's who connected through Meta's consent screen (the fix of a refusal differs)."""

    def __init__(self, *args: Any, via_consent: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.via_consent = via_consent

    def classify(self, response: requests.Response) -> None:
        error = graph_error(response)
        code = error.get("code")
        if not isinstance(code, int):
            return
        words = error_words(code, str(error.get("message") or ""))
        if code == OUTSIDE_WINDOW:
            raise OutsideWindow(
                _g("%(words)s Choose an approved template in the reply box.") % {"words": words}
            )
        if code in (102, 190):
            fix = (
                _g("Connect the number again: Channels → Add a channel → WhatsApp.")
                if self.via_consent
                else _g("Enter a new token of the system user on the channel.")
            )
            raise ReauthRequired(f"{words} {fix}")
        if code in RATE_CODES or response.status_code == 429:
            wait = self._retry_after(response) if response.headers.get("Retry-After") else None
            wait = wait or self.rate.reset_s or (1.0 if code == THROUGHPUT else 300.0)
            raise RetryLater(
                _g("%(words)s Next try in %(s)d s.") % {"words": words, "s": wait}, after_s=wait
            )
        if code in ERRORS:
            raise FatalConnectorError(words)
        if code in PERMISSION_CODES:
            path = urlsplit(response.request.url or "").path if response.request else ""
            scope = needed_permission(path)
            fix = (
                _g("Connect the number again and leave %(scope)s ticked.")
                if self.via_consent
                else _g("Give the system user %(scope)s and the account's asset, then a new token.")
            ) % {"scope": scope}
            raise PermissionMissing(
                _g(
                    "WhatsApp refused: the token lacks the permission %(scope)s on this "
                    "account (code %(code)s: %(said)s). %(fix)s"
                )
                % {
                    "scope": scope,
                    "code": code,
                    "said": str(error.get("message") or "")[:200],
                    "fix": fix,
                }
            )
        super().classify(response)


class WhatsAppConnector(BaseConnector):
    kind = "whatsapp"
    label = "WhatsApp"
    docs = "channels/whatsapp.md"
    # Connected through Meta's consent screen (with the Facebook app), or with the form below
    # and a system user's token: both stay offered.
    oauth_provider = "whatsapp"
    token_form = True
    # A consent's user token lasts about 60 days: extend it a week ahead.
    refresh_margin_s = 7 * 24 * 3600
    config_fields = (
        ConfigField(
            "phone_number_id",
            _("Phone number ID"),
            required=True,
            help=_("In the Meta app's dashboard: WhatsApp → API Setup, under the phone number."),
        ),
        ConfigField(
            "waba_id",
            _("WhatsApp Business Account ID"),
            required=True,
            help=_("Shown next to the phone number ID: its templates are listed from there."),
        ),
        ConfigField(
            "access_token",
            _("Access token of a system user"),
            kind="secret",
            required=True,
            help=_(
                "Business settings → System users → Generate token, with "
                "whatsapp_business_messaging and whatsapp_business_management."
            ),
        ),
    )
    capabilities = Capabilities(push=True, reply=True)
    poll_interval_s = 0  # the Cloud API only pushes: there is nothing to poll
    reply_window_hours = WINDOW_HOURS
    # Outside the window a reply must be one of the account's approved templates.
    reply_window_templates = True

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        config = channel.config or {}
        self.phone_number_id = str(config.get("phone_number_id") or "")
        self.waba_id = str(config.get("waba_id") or "")
        self.app = self._app(channel)
        self.via_consent = bool(channel.credentials.get("user_token"))
        self.client = WhatsAppClient(
            self.app.url("api_url", GRAPH_URL) if self.app else GRAPH_URL,
            token=str(channel.credentials.get("access_token") or ""),
            app_secret=self.app.client_secret if self.app else "",
            version=str(
                ((self.app.config if self.app else None) or {}).get("api_version") or API_VERSION
            ),
            platform="WhatsApp",
            via_consent=self.via_consent,
        )

    @staticmethod
    def _app(channel: Channel) -> PlatformApp | None:
        """The Meta app the channel names, else the one its workspace connects Facebook through."""
        from hearth.channels.oauth import app_for  # oauth imports connectors: load late

        app_id = (channel.config or {}).get("app_id")
        if app_id:
            return PlatformApp.objects.filter(pk=app_id, provider="facebook").first()
        return app_for(channel.workspace_id, "facebook") if channel.workspace_id else None

    def identity(self) -> Identity:
        number = self.client.call(
            "GET",
            f"/{self.phone_number_id}",
            params={"fields": "id,display_phone_number,verified_name,quality_rating"},
        )
        return Identity(
            external_id=str(number.get("id") or self.phone_number_id),
            handle=str(number.get("display_phone_number") or ""),
            display_name=str(number.get("verified_name") or ""),
        )

    def test_connection(self) -> list[Check]:
        try:
            me = self.identity()
        except ConnectorError as exc:
            return [Check("read", False, str(exc))]
        checks = [
            Check(
                "reply",
                True,
                _g("Connected as %(name)s (%(number)s).")
                % {"name": me.display_name, "number": me.handle},
            )
        ]
        try:
            found = self.templates()
            checks.append(
                Check(
                    "reply",
                    True,
                    _g("%(n)d approved templates for replies outside the 24-hour window.")
                    % {"n": len(found)},
                )
            )
        except ConnectorError as exc:
            checks.append(Check("reply", False, str(exc)))
        if self.app is None:
            checks.append(
                Check(
                    "read",
                    False,
                    _g(
                        "No Meta app is entered for this workspace: messages arrive by the app's "
                        "webhook, so enter it (Add a channel → Facebook) and subscribe it to "
                        "the WhatsApp Business Account's messages."
                    ),
                )
            )
        else:
            checks.append(self._subscription_check())
        return checks

    def _subscription_check(self) -> Check:
        """Whether the Meta app is subscribed to the account's webhooks (`subscribed_apps`)."""
        assert self.app is not None
        try:
            answer = self.client.call("GET", f"/{self.waba_id}/subscribed_apps")
        except ConnectorError as exc:
            return Check(
                "read",
                False,
                _g("Hearth could not check the webhook subscription: %(error)s") % {"error": exc},
            )
        ids = {
            str((entry.get("whatsapp_business_api_data") or {}).get("id") or "")
            for entry in answer.get("data") or ()
            if isinstance(entry, dict)
        }
        if self.app.client_id in ids:
            return Check(
                "read", True, _g("Messages arrive by the Meta app's webhook (field messages).")
            )
        return Check(
            "read",
            False,
            _g(
                "The Meta app is not subscribed to this WhatsApp Business Account's webhooks: "
                "no message will arrive. Connect the number again through Meta, or subscribe the "
                "app (POST /%(waba)s/subscribed_apps)."
            )
            % {"waba": self.waba_id},
        )

    def refresh_credentials(self) -> dict[str, Any] | None:
        """A consent's user token, extended before it lapses; a system user's token never does."""
        if not self.via_consent:
            return None
        if self.app is None:
            raise ReauthRequired(
                _g("The Meta app this number was connected through is gone: enter it again.")
            )
        from hearth.channels.oauth import provider  # oauth imports connectors: load late

        return provider("whatsapp").refresh(self.app, self.channel.credentials)

    def templates(self) -> list[dict[str, Any]]:
        """The account's approved templates: name, language, category and body text."""
        answer = self.client.pages(
            f"/{self.waba_id}/message_templates",
            params={"fields": "name,language,status,category,components", "limit": TEMPLATES},
            limit=TEMPLATES * 5,
        )
        found = []
        for template in answer:
            if str(template.get("status") or "").upper() != "APPROVED":
                continue
            body = next(
                (
                    str(c.get("text") or "")
                    for c in template.get("components") or ()
                    if str(c.get("type") or "").upper() == "BODY"
                ),
                "",
            )
            found.append(
                {
                    "name": str(template["name"]),
                    "language": str(template.get("language") or "en_US"),
                    "category": str(template.get("category") or ""),
                    "body": body,
                }
            )
        return found

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return self.app is not None and signature_ok(self.app.client_secret, headers, body)

    def send_reply(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        parent = str(payload.get("parent_external_id") or "")
        if not parent.startswith(PREFIX):
            raise FatalConnectorError(_g("The reply has no WhatsApp conversation to answer."))
        parts = parent.split("/", 2)  # a wamid is base64: it may hold a slash
        wa_id = parts[1]
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": wa_id,
        }
        template = payload.get("template")
        text = str(payload.get("text") or "")
        if isinstance(template, Mapping) and template.get("name"):
            spec: dict[str, Any] = {
                "name": str(template["name"]),
                "language": {"code": str(template.get("language") or "en_US")},
            }
            parameter = str(payload.get("parameter") or "")
            if "{{1}}" in str(template.get("body") or ""):
                spec["components"] = [
                    {"type": "body", "parameters": [{"type": "text", "text": parameter}]}
                ]
            body |= {"type": "template", "template": spec}
        else:
            body |= {"type": "text", "text": {"preview_url": False, "body": text}}
            if len(parts) > 2:
                body["context"] = {"message_id": parts[2]}
        answer = self.client.call(
            "POST", f"/{self.phone_number_id}/messages", json=body, sending=True
        )
        wamid = str(((answer.get("messages") or [{}])[0]).get("id") or "")
        if not wamid:
            raise ConnectorError(_g("WhatsApp accepted the message but gave no id."))
        return SendResult(
            external_id=f"{PREFIX}{wa_id}/{wamid}",
            extra={"template": str(template["name"])} if isinstance(template, Mapping) else {},
        )
