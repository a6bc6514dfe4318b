"""The inbox's write paths: replies through the outbox, assignment, status, notes, tags, bulk, handoff."""

from __future__ import annotations

import json

import pytest
from conftest import item
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from hearth.channels.models import OutboxItem, OutboxStatus
from hearth.channels.outbox import send_due
from hearth.conversations.actions.assign import assign_thread
from hearth.conversations.actions.bulk import bulk_update_threads
from hearth.conversations.actions.handoff import hand_off_thread
from hearth.conversations.actions.notes import add_note
from hearth.conversations.actions.presence import others_present, touch_presence
from hearth.conversations.actions.reply import reply_to_thread, retry_outbox_item
from hearth.conversations.actions.settings import update_inbox_settings
from hearth.conversations.actions.status import set_thread_status
from hearth.conversations.actions.tags import tag_thread
from hearth.conversations.models import InboxSettings, Message, Note, ThreadStatus
from hearth.conversations.replies import find_reply, render
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import AuditEvent
from hearth.core.signing import verify
from hearth.pipeline.ingest import ingest_batch


def by(user):
    return Actor(user=user, via="web")


def test_reply_is_queued_in_outbox_then_sent_and_shown_in_thread(
    inbox, personas, django_capture_on_commit_callbacks
):
    thread = inbox["question"]
    assert thread.waiting_since is not None and thread.unanswered_question and thread.priority > 0
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item_ = reply_to_thread(
            thread, "Hold the button 5 s.", by=by(personas.moderator), idempotency_key="k1"
        )
    assert item_.status == OutboxStatus.QUEUED and item_.payload["parent_external_id"] == "q1"
    assert len(callbacks) == 1
    callbacks[0]()  # the send job, run eagerly
    item_.refresh_from_db()
    thread.refresh_from_db()
    assert item_.status == OutboxStatus.SENT and item_.external_id.startswith("demo-reply-")
    reply = Message.objects.get(thread=thread, external_id=item_.external_id)
    assert reply.from_brand and reply.author.is_brand and reply.text == "Hold the button 5 s."
    assert thread.waiting_since is None and thread.first_response_at is not None
    assert (
        thread.first_responder == personas.moderator
        and not thread.unanswered_question
        and thread.priority == 0
    )
    assert AuditEvent.objects.filter(action="thread.reply", target_id=str(thread.pk)).exists()


def test_same_idempotency_key_enqueues_once(inbox, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = reply_to_thread(
            inbox["question"], "Hi", by=by(personas.owner), idempotency_key="same"
        )
        second = reply_to_thread(
            inbox["question"], "Hi", by=by(personas.owner), idempotency_key="same"
        )
    assert first.pk == second.pk
    assert OutboxItem.objects.count() == 1
    assert Message.objects.filter(thread=inbox["question"], from_brand=True).count() == 1


def test_reply_on_import_channel_fails_visibly_and_retry_requeues(
    inbox, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queued = reply_to_thread(inbox["complaint"], "Sorry!", by=by(personas.owner))
    queued.refresh_from_db()
    assert queued.status == OutboxStatus.FAILED and queued.last_error
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        retried = retry_outbox_item(queued, by=by(personas.owner))
    assert retried.status == OutboxStatus.QUEUED and retried.attempts == 0 and len(callbacks) == 1
    assert AuditEvent.objects.filter(action="outbox.retry").exists()
    with pytest.raises(ActionError):
        retry_outbox_item(retried, by=by(personas.owner))  # not failed any more


def test_viewer_and_analyst_cannot_reply(inbox, personas):
    for role in ("viewer", "analyst"):
        with pytest.raises(PermissionDenied):
            reply_to_thread(inbox["question"], "Hi", by=personas.actor(role))
    assert not OutboxItem.objects.exists()


def test_empty_reply_is_refused(inbox, personas):
    with pytest.raises(ActionError, match="text is empty"):
        reply_to_thread(inbox["question"], "   ", by=by(personas.owner))


def test_assign_and_unassign_are_audited(inbox, personas):
    thread = inbox["question"]
    assign_thread(thread, personas.moderator, by=by(personas.owner))
    thread.refresh_from_db()
    assert thread.assignee == personas.moderator
    assign_thread(thread, None, by=by(personas.owner))
    thread.refresh_from_db()
    assert thread.assignee is None
    assert list(
        AuditEvent.objects.filter(
            target_id=str(thread.pk), action__startswith="thread."
        ).values_list("action", flat=True)[:2]
    ) == ["thread.unassign", "thread.assign"]


def test_cannot_assign_to_someone_who_cannot_reply_or_an_outsider(inbox, personas):
    with pytest.raises(ActionError, match="role too limited"):
        assign_thread(inbox["question"], personas.viewer, by=by(personas.owner))
    with pytest.raises(ActionError, match="not a member"):
        assign_thread(inbox["question"], personas.outsider, by=by(personas.owner))


def test_close_sets_resolution_and_member_reopens(inbox, personas, demo_channel):
    thread = inbox["question"]
    set_thread_status(thread, "closed", by=by(personas.moderator))
    thread.refresh_from_db()
    assert (
        thread.status == ThreadStatus.CLOSED
        and thread.closed_at
        and thread.closed_by == personas.moderator
    )
    ingest_batch(
        demo_channel, [item("q1-2", "Still broken?", author="zoe", parent="q1", minutes=30)]
    )
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.OPEN


def test_mark_spam_is_moderation(inbox, personas):
    with pytest.raises(PermissionDenied):
        set_thread_status(inbox["praise"], "spam", by=by(personas.analyst))
    set_thread_status(inbox["praise"], "spam", by=by(personas.moderator))
    inbox["praise"].refresh_from_db()
    assert inbox["praise"].status == "spam"
    with pytest.raises(ActionError, match="does not exist"):
        set_thread_status(inbox["praise"], "archived", by=by(personas.moderator))


def test_note_mentions_resolve_to_workspace_members_only(
    inbox, personas, other_workspace, make_member
):
    make_member(other_workspace, "owner", email="eve@globex.test")
    note = add_note(
        inbox["question"], "@camille can you check? cc @eve @nobody", by=by(personas.owner)
    )
    assert list(note.mentions.all()) == [personas.moderator]
    assert Note.objects.get().thread == inbox["question"]
    event = AuditEvent.objects.get(action="thread.note")
    assert event.data["mentions"] == ["camille@acme.test"]


def test_tags_add_remove(inbox, personas):
    assert tag_thread(inbox["question"], add=["Bug", "firmware"], by=by(personas.owner)) == [
        "bug",
        "firmware",
    ]
    assert tag_thread(inbox["question"], remove=["bug"], by=by(personas.owner)) == ["firmware"]
    with pytest.raises(ActionError):
        tag_thread(inbox["question"], add=["<script>"], by=by(personas.owner))


def test_bulk_close_ignores_foreign_ids(inbox, personas, other_workspace, make_channel):
    foreign_channel = make_channel(other_workspace, name="Other")
    ingest_batch(foreign_channel, [item("x1", "foreign")])
    foreign = foreign_channel.threads.get()
    ids = [inbox["question"].pk, inbox["praise"].pk, foreign.pk]
    assert (
        bulk_update_threads(
            inbox["question"].workspace, ids, "status", "closed", by=by(personas.owner)
        )
        == 2
    )
    foreign.refresh_from_db()
    assert foreign.status == "open"
    assert AuditEvent.objects.filter(action="thread.status").count() == 2
    assert AuditEvent.objects.filter(action="thread.bulk").count() == 1
    with pytest.raises(PermissionDenied):
        bulk_update_threads(
            inbox["question"].workspace, ids, "status", "open", by=by(personas.viewer)
        )


def test_saved_reply_variables_are_substituted_not_templated(inbox, workspace):
    text = render(
        "Hi {{author.name}} from {{ brand }} {% now 'Y' %} {{unknown}}", thread=inbox["question"]
    )
    assert text == f"Hi ZOE from {workspace.brand_name} {{% now 'Y' %}} {{{{unknown}}}}"
    assert find_reply(workspace, "default-fr-thanks").lang == "fr"


def test_handoff_needs_a_configured_target(inbox, personas):
    with pytest.raises(ActionError, match="No customer-service address"):
        hand_off_thread(inbox["complaint"], by=by(personas.owner))


def test_handoff_by_email_goes_out_after_commit(
    inbox, personas, workspace, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    update_inbox_settings(workspace, handoff_email="care@acme.test", by=by(personas.owner))
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = hand_off_thread(
            inbox["complaint"], note="Order 1234", by=by(personas.moderator)
        )
        assert not mail.outbox, "nothing leaves inside the request's transaction"
    assert mail.outbox[0].to == ["care@acme.test"]
    assert "delivery is a disaster" in mail.outbox[0].body and "Order 1234" in mail.outbox[0].body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.action, delivery.ref_id) == (
        "sent",
        "handoff",
        inbox["complaint"].pk,
    )
    thread = inbox["complaint"]
    thread.refresh_from_db()
    assert thread.handed_off_at and thread.status == "pending"
    assert list(thread.tags.values_list("name", flat=True)) == ["handed-off"]
    assert AuditEvent.objects.filter(action="thread.handoff").exists()


def test_handoff_by_webhook_is_signed_and_sent_to_a_real_local_server(
    inbox, personas, workspace, receiver, django_capture_on_commit_callbacks
):
    update_inbox_settings(workspace, handoff_webhook=receiver.url + "/care", by=by(personas.owner))
    secret = InboxSettings.objects.get(workspace=workspace).handoff_secret
    with django_capture_on_commit_callbacks(execute=True):
        hand_off_thread(inbox["complaint"], by=by(personas.moderator))
    path, headers, body = receiver.requests[0]
    assert path == "/care" and headers["X-Hearth-Event"] == "thread.handoff"
    assert verify(secret, headers["X-Hearth-Signature"], body, tolerance_s=300) == ""
    assert len(secret) > 30
    received = json.loads(body)
    assert received["thread"]["id"] == inbox["complaint"].pk
    assert received["messages"][0]["text"].startswith("My order never arrived")


def test_a_handoff_whose_webhook_is_down_is_retried_and_shown(
    inbox, personas, workspace, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 503
    update_inbox_settings(workspace, handoff_webhook=receiver.url + "/care", by=by(personas.owner))
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = hand_off_thread(
            inbox["complaint"], by=by(personas.moderator), idempotency_key="click-1"
        )
    delivery.refresh_from_db()
    assert delivery.status == "queued" and "HTTP 503" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now(), "retried later, with back-off"
    again = hand_off_thread(
        inbox["complaint"], by=by(personas.moderator), idempotency_key="click-1"
    )
    assert [d.pk for d in again] == [delivery.pk], "a double click forwards once"
    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == "sent" and len(receiver.requests) == 2
    ids = {headers["X-Hearth-Delivery"] for _, headers, _ in receiver.requests}
    assert len(ids) == 1, "the receiver can tell the retry is the same delivery"


def test_settings_are_validated_and_need_a_manager(workspace, personas):
    with pytest.raises(ActionError, match="timezone"):
        update_inbox_settings(workspace, timezone="Mars/Olympus", by=by(personas.owner))
    with pytest.raises(ActionError, match="closing time"):
        update_inbox_settings(workspace, hours={"0": ["18:00", "09:00"]}, by=by(personas.owner))
    with pytest.raises(PermissionDenied):
        update_inbox_settings(workspace, timezone="UTC", by=by(personas.moderator))


def test_presence_shows_others_only(inbox, personas):
    thread = inbox["question"]
    touch_presence(thread, personas.moderator, "replying")
    others = touch_presence(thread, personas.owner, "viewing")
    assert [(p.user, p.mode) for p in others] == [(personas.moderator, "replying")]
    assert others_present(thread, personas.moderator)[0].user == personas.owner
