"""The e-mail connector against real IMAP (pymap) and SMTP (aiosmtpd) servers on loopback."""

from __future__ import annotations

import json
import threading
import time
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

import pytest

from hearth.channels import outbox
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    OutcomeUnknown,
    ReauthRequired,
    RetryLater,
)
from hearth.channels.connectors.mail import (
    EmailConnector,
    imap_utf7,
    mail_item,
    strip_quoted,
)
from hearth.channels.models import OutboxStatus
from hearth.channels.testing_mail import BRAND, make_mail
from hearth.conversations.models import Message
from hearth.pipeline.sync import sync

pytestmark = pytest.mark.local_server

ANA = "ana@example.test"


def connector(channel: Any) -> EmailConnector:
    c = get_connector(channel)
    assert isinstance(c, EmailConnector)
    return c


def member_mail(n: int, **kwargs: Any) -> bytes:
    return make_mail(
        sender=f"Ana <{ANA}>",
        to=BRAND,
        subject=kwargs.pop("subject", f"Question {n}"),
        text=kwargs.pop("text", f"My lamp number {n} blinks red."),
        message_id=kwargs.pop("message_id", f"<q{n}@example.test>"),
        **kwargs,
    )


# -- parsing -----------------------------------------------------------------------------------


def test_mime_is_read_properly() -> None:
    msg = MIMEMultipart("mixed")
    msg["From"] = str(Header("Zoé Müller", "utf-8")) + " <zoe@example.test>"
    msg["To"] = BRAND
    msg["Subject"] = Header("Lampe cassée — aidez-moi", "utf-8").encode()
    msg["Message-ID"] = "<m1@example.test>"
    msg["Date"] = "Mon, 07 Dec 2026 10:00:00 +0100"
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("<p>Ma lampe <b>clignote</b>.</p><p>Merci</p>", "html", "utf-8"))
    msg.attach(alternative)
    attachment = MIMEText("fake pdf", "plain", "utf-8")
    attachment.add_header("Content-Disposition", "attachment", filename="facture.pdf")
    attachment.replace_header("Content-Type", "application/pdf")
    msg.attach(attachment)
    latin = MIMEText("Deuxième partie en Latin-1 : très bien", "plain", "iso-8859-1")
    msg.attach(latin)

    item = mail_item(msg.as_bytes(), brand={BRAND}, brand_address=BRAND)
    assert item["external_id"] == "m1@example.test"
    assert item["author"] == {
        "external_id": "zoe@example.test",
        "handle": "zoe@example.test",
        "display_name": "Zoé Müller",
    }
    # text/plain is preferred over the HTML alternative; the subject heads a new conversation.
    assert item["text"].startswith(
        "Lampe cassée — aidez-moi\n\nDeuxième partie en Latin-1 : très bien"
    )
    assert "facture.pdf (application/pdf" in item["text"]  # listed, not dropped
    assert item["created_at"] == "2026-12-07T10:00:00+01:00"
    assert item["kind"] == "dm" and item["parent_external_id"] is None


def test_html_only_mail_becomes_text_and_unknown_charsets_survive() -> None:
    html = make_mail(
        sender=ANA, to=BRAND, subject="Hi", html="<p>Hello<br>there</p><ul><li>one</li></ul>"
    )
    assert mail_item(html, brand={BRAND}, brand_address=BRAND)["text"].split("\n")[2:] == [
        "Hello",
        "there",
        "one",
    ]
    odd = (
        b"From: x@example.test\r\nTo: support@lumio.test\r\nSubject: odd\r\n"
        b"Message-ID: <odd@x>\r\nContent-Type: text/plain; charset=x-unknown-9\r\n\r\ncaf\xe9\r\n"
    )
    assert mail_item(odd, brand={BRAND}, brand_address=BRAND)["text"] == "odd\n\ncafé"


def test_answers_thread_on_the_conversation_root_without_their_quotes() -> None:
    raw = make_mail(
        sender=ANA,
        to=BRAND,
        subject="Re: Question 1",
        text="Thanks, it works now.\n\nOn Mon, 7 Dec 2026, Lumio wrote:\n> Hold the switch.\n> Bye",
        in_reply_to="<r1@lumio.test>",
        references="<q1@example.test> <r1@lumio.test>",
    )
    item = mail_item(raw, brand={BRAND}, brand_address=BRAND)
    assert item["parent_external_id"] == "q1@example.test"
    assert item["kind"] == "reply"
    assert item["text"] == "Thanks, it works now."
    assert strip_quoted("Hi\n-- \nAna, sent from her phone") == "Hi"


def test_mail_from_an_alias_is_the_brands_own() -> None:
    raw = make_mail(sender="Lumio <hello@lumio.test>", to=ANA, subject="Hi", text="Hello")
    item = mail_item(raw, brand={BRAND, "hello@lumio.test"}, brand_address=BRAND)
    assert item["author"]["external_id"] == BRAND


def test_folder_names_are_modified_utf7() -> None:
    assert imap_utf7("Éléments envoyés") == "&AMk-l&AOk-ments envoy&AOk-s"
    assert imap_utf7("R&D") == "R&-D"


# -- reading from the server -------------------------------------------------------------------


def test_identity_is_the_mailbox_address(email_channel: Any) -> None:
    me = connector(email_channel()).identity()
    assert me.external_id == BRAND and me.display_name == "Lumio support"


def test_test_connection_says_what_works(mail: Any, email_channel: Any) -> None:
    checks = connector(email_channel()).test_connection()
    by = {(c.capability, c.ok) for c in checks}
    assert by == {("read", True), ("reply", True), ("hide", True)}
    assert any("IDLE" in c.message for c in checks)
    assert any("will be created with the first reply" in c.message for c in checks)
    mail.deliver(BRAND, member_mail(1), folder="Sent")
    checks = connector(email_channel(name="Again")).test_connection()
    assert any(c.message == "Replies are saved in “Sent”." for c in checks)
    missing = connector(email_channel(name="Archive", folders=["Archive"])).test_connection()
    assert ("read", False) in {(c.capability, c.ok) for c in missing}


def test_wrong_password_asks_for_reauthorisation(email_channel: Any) -> None:
    channel = email_channel(password="wrong")
    with pytest.raises(ReauthRequired, match="AUTHENTICATIONFAILED"):
        connector(channel).fetch("")
    checks = connector(channel).test_connection()
    assert [(c.capability, c.ok) for c in checks] == [("read", False)]
    # Through the sync: recorded on the channel, in plain words.
    assert sync(channel.pk) == 0
    channel.refresh_from_db()
    assert "refused the login" in channel.last_sync_error


def test_backfill_then_forward_in_pages_without_gap_or_duplicate(
    mail: Any, email_channel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(1, 8):
        mail.deliver(BRAND, member_mail(n))
    channel = email_channel(backfill=3)
    c = connector(channel)
    first = c.fetch("")
    assert sorted(i["external_id"] for i in first.items) == [
        "q5@example.test",
        "q6@example.test",
        "q7@example.test",
    ]
    assert first.more is False
    # A burst larger than a page is read page after page, never skipped.
    monkeypatch.setattr("hearth.channels.connectors.mail.PAGE", 4)
    for n in range(8, 19):
        mail.deliver(BRAND, member_mail(n))
    seen: list[str] = []
    cursor = first.cursor
    pages = 0
    while True:
        page = c.fetch(cursor)
        seen += [i["external_id"] for i in page.items]
        cursor = page.cursor
        pages += 1
        if not page.more:
            break
    assert pages == 3
    assert seen == [f"q{n}@example.test" for n in range(8, 19)]
    assert c.fetch(cursor).items == []


def test_a_changed_uidvalidity_rereads_without_duplicates(mail: Any, email_channel: Any) -> None:
    for n in range(1, 4):
        mail.deliver(BRAND, member_mail(n))
    channel = email_channel(backfill=10)
    assert sync(channel.pk) == 3
    channel.refresh_from_db()
    # The server renumbers INBOX: the mailbox is rebuilt (same messages, new UIDVALIDITY), and a
    # new message comes.
    cursor = json.loads(channel.cursor)
    old_validity = cursor["INBOX"]["v"]
    cursor["INBOX"]["v"] = old_validity + 1
    channel.cursor = json.dumps(cursor)
    channel.save(update_fields=["cursor"])
    mail.deliver(BRAND, member_mail(4))
    assert sync(channel.pk) == 1
    assert Message.objects.filter(channel=channel).count() == 4
    channel.refresh_from_db()
    assert json.loads(channel.cursor)["INBOX"]["v"] == old_validity
    assert sync(channel.pk) == 0


def test_a_connection_dropped_mid_fetch_loses_nothing(mail: Any, email_channel: Any) -> None:
    for n in range(1, 6):
        mail.deliver(BRAND, member_mail(n, text="x" * 3000))
    proxy = mail.proxy()
    try:
        channel = email_channel(imap_port=proxy.port, backfill=10)
        proxy.cut_after = 6000  # past the login and the search, inside the FETCH's answer
        with pytest.raises(ConnectorError, match="broke"):
            connector(channel).fetch("")
        assert sync(channel.pk) == 0
        channel.refresh_from_db()
        assert channel.cursor == "" and "broke" in channel.last_sync_error
        proxy.cut_after = 0
        assert sync(channel.pk) == 5
    finally:
        proxy.stop()


def test_idle_delivers_a_new_mail_within_seconds(mail: Any, email_channel: Any) -> None:
    channel = email_channel(backfill=0)
    stop = threading.Event()
    stream = connector(channel).listen("", stop)
    first = next(stream)
    assert first.items == []
    got: dict[str, Any] = {}

    def later() -> None:
        time.sleep(0.5)
        got["sent_at"] = time.monotonic()
        mail.deliver(BRAND, member_mail(1))

    threading.Thread(target=later).start()
    batch = next(stream)
    elapsed = time.monotonic() - got["sent_at"]
    stop.set()
    stream.close()
    assert [i["external_id"] for i in batch.items] == ["q1@example.test"]
    assert elapsed < 3.0


# -- sending -----------------------------------------------------------------------------------


def _reply_payload(parent: str = "q1@example.test") -> dict[str, Any]:
    return {"text": "Hold the switch for 5 seconds.", "parent_external_id": parent, "thread_id": 0}


def test_reply_has_threading_headers_and_is_saved_in_sent(mail: Any, email_channel: Any) -> None:
    mail.deliver(
        BRAND, member_mail(1, references="<older@example.test>", in_reply_to="<older@example.test>")
    )
    c = connector(email_channel())
    result = c.send("reply", _reply_payload(), idempotency_key="reply:1:abc")
    assert result.external_id == c.message_id_for("reply:1:abc")
    [received] = mail.messages(ANA)
    assert received["Message-ID"] == f"<{result.external_id}>"
    assert received["In-Reply-To"] == "<q1@example.test>"
    assert received["References"] == "<older@example.test> <q1@example.test>"
    assert received["Subject"] == "Re: Question 1"
    assert str(received["From"]) == "Lumio support <support@lumio.test>"
    assert received.get_content().strip() == "Hold the switch for 5 seconds."
    [saved] = mail.messages(BRAND, "Sent")
    assert saved["Message-ID"] == received["Message-ID"]
    # A second attempt of the same item finds it in Sent: nothing goes out twice.
    again = c.send("reply", _reply_payload(), idempotency_key="reply:1:abc")
    assert again.external_id == result.external_id and again.extra["found_in_sent"]
    assert len(mail.messages(ANA)) == 1


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (451, ConnectorError),
        (421, RetryLater),
        (550, FatalConnectorError),
        (554, FatalConnectorError),
    ],
)
def test_smtp_refusals_are_typed(mail: Any, email_channel: Any, code: int, error: type) -> None:
    mail.deliver(BRAND, member_mail(1))
    c = connector(email_channel())
    mail.fail(code)
    with pytest.raises(error, match=str(code)) as caught:
        c.send("reply", _reply_payload(), idempotency_key=f"reply:{code}")
    if error is ConnectorError:
        assert type(caught.value) is ConnectorError  # deferred: tried again with back-off
    assert mail.messages(ANA) == []


def test_smtp_auth_failure_asks_for_reauthorisation(mail: Any, email_channel: Any) -> None:
    mail.deliver(BRAND, member_mail(1))
    channel = email_channel()
    mail.passwords[BRAND] = "changed"  # the app password was revoked on the SMTP side
    try:
        with pytest.raises(ReauthRequired, match="535"):
            connector(channel).send(
                "dm", {"author_external_id": ANA, "text": "Hi"}, idempotency_key="dm:1"
            )
    finally:
        mail.passwords[BRAND] = "brand-app-password"


def test_a_451_is_retried_by_the_outbox_and_sent_once(
    mail: Any, email_channel: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mail.deliver(BRAND, member_mail(1))
    channel = email_channel()
    mail.fail(451)
    item = outbox.enqueue(channel, "reply", _reply_payload(), idempotency_key="reply:451")
    assert not item.retry_safe  # SMTP cannot de-duplicate a message
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == OutboxStatus.QUEUED and "451" in item.last_error
    outbox.send(item.pk, now=item.next_attempt_at)
    item.refresh_from_db()
    assert item.status == OutboxStatus.SENT, item.last_error
    assert item.external_id == connector(channel).message_id_for("reply:451")
    assert len(mail.messages(ANA)) == 1
    channel.refresh_from_db()
    assert channel.rate_limited_until is None  # one deferred message does not stop the mailbox


def test_a_lost_answer_after_data_leaves_the_reply_unconfirmed(
    mail: Any, email_channel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import smtplib

    mail.deliver(BRAND, member_mail(1))
    channel = email_channel()
    real_data = smtplib.SMTP.data

    def data_then_cut(self: smtplib.SMTP, msg: Any) -> Any:
        real_data(self, msg)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(smtplib.SMTP, "data", data_then_cut)
    item = outbox.enqueue(channel, "reply", _reply_payload(), idempotency_key="reply:cut")
    with pytest.raises(OutcomeUnknown):
        connector(channel).send("reply", _reply_payload(), idempotency_key="reply:other")
    outbox.send(item.pk)
    item.refresh_from_db()
    assert item.status == OutboxStatus.UNCONFIRMED
    assert connector(channel).message_id_for("reply:cut") in item.last_error


def test_hide_moves_the_message_and_unhide_brings_it_back(mail: Any, email_channel: Any) -> None:
    mail.deliver(BRAND, member_mail(1))
    c = connector(email_channel())
    c.send("hide", {"message_external_id": "q1@example.test"}, idempotency_key="hide:1")
    assert mail.messages(BRAND) == []
    assert [m["Message-ID"] for m in mail.messages(BRAND, "Hearth/Hidden")] == ["<q1@example.test>"]
    # Retry-safe: hiding again changes nothing.
    c.send("hide", {"message_external_id": "q1@example.test"}, idempotency_key="hide:1")
    assert len(mail.messages(BRAND, "Hearth/Hidden")) == 1
    c.send("unhide", {"message_external_id": "q1@example.test"}, idempotency_key="unhide:1")
    assert [m["Message-ID"] for m in mail.messages(BRAND)] == ["<q1@example.test>"]
    assert not c.capabilities.allows("ban")


def test_mail_that_came_before_idle_starts_is_not_left_waiting(
    mail: Any, email_channel: Any
) -> None:
    c = connector(email_channel(backfill=0))
    with c.session() as imap:
        cursor = c.read(imap, "").cursor
        assert not c._arrived_since(imap, "INBOX", cursor)
        mail.deliver(BRAND, member_mail(1))  # between the read and IDLE
        assert c._arrived_since(imap, "INBOX", cursor)
        cursor = c.read(imap, cursor).cursor
        assert not c._arrived_since(imap, "INBOX", cursor)
    # A mail that came and was moved out before being read leaves no phantom behind.
    mail.deliver(BRAND, member_mail(2))
    c.send("hide", {"message_external_id": "q2@example.test"}, idempotency_key="hide:2")
    with c.session() as imap:
        assert not c._arrived_since(imap, "INBOX", cursor)


def test_without_idle_listen_polls(email_channel: Any) -> None:
    from hearth.channels.testing_mail import MailServers

    servers = MailServers(idle=False).start()
    try:
        channel = email_channel(
            name="No IDLE", imap_port=servers.imap_port, smtp_port=servers.smtp_port, backfill=0
        )
        c = connector(channel)
        with c.session() as imap:
            assert "IDLE" not in imap.capabilities
        c.poll_interval_s = 1  # type: ignore[misc]
        stop = threading.Event()
        stream = c.listen("", stop)
        assert next(stream).items == []
        servers.deliver(BRAND, member_mail(1))
        started = time.monotonic()
        batch = next(stream)
        while not batch.items and time.monotonic() - started < 10:
            batch = next(stream)
        stop.set()
        stream.close()
        assert [i["external_id"] for i in batch.items] == ["q1@example.test"]
    finally:
        servers.stop()
