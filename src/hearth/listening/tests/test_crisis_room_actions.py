"""The crisis room acts: the holding statement goes out through the outbox on the affected
channels, each message driving the crisis is answered in place, and the checklist is translated."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from hearth.channels.models import OutboxItem
from hearth.conversations.models import Message
from hearth.listening.models import CrisisRoom
from hearth.listening.tests.conftest import at
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture
def spike(workspace, queries, now, make_channel):
    demo = make_channel(workspace, name="Acme page", kind="demo")
    imported = make_channel(workspace, name="Forum export", kind="import")
    for ch, prefix in ((demo, "d"), (imported, "i")):
        ingest_batch(
            ch,
            [
                at(now - timedelta(minutes=30 - i), f"{prefix}{i}", f"acme lamp broken {i}")
                for i in range(4)
            ],
        )
    room = CrisisRoom.objects.create(
        workspace=workspace,
        query=queries["brand"],
        kind="volume",
        onset_at=now - timedelta(minutes=40),
        detected_at=now - timedelta(minutes=30),
        last_alarm_at=now - timedelta(minutes=30),
        observed=6.2,
        expected=0.4,
    )
    return room, demo, imported


def test_statement_is_queued_once_per_channel_that_can_publish(personas, spike):
    room, demo, imported = spike
    client = personas.client("moderator")
    page = client.get(f"/listening/crisis/{room.pk}/").content.decode()
    assert "Acme page" in page and "Forum export" in page and 'data-testid="copy-statement"' in page
    form = {"text": "We know. More at 18:00.", "channel": [demo.pk, imported.pk]}
    client.post(f"/listening/crisis/{room.pk}/statement/", form)
    client.post(f"/listening/crisis/{room.pk}/statement/", form)  # a double click
    items = OutboxItem.objects.filter(ref_type="crisisroom", ref_id=room.pk)
    assert [(i.channel_id, i.action, i.payload["text"]) for i in items] == [
        (demo.pk, "post", "We know. More at 18:00.")
    ]
    room.refresh_from_db()
    assert room.checklist.get("statement") is True
    page = client.get(f"/listening/crisis/{room.pk}/").content.decode()
    assert 'data-testid="statement-items"' in page


def test_viewer_cannot_post_the_statement_nor_another_workspace(personas, spike):
    room, demo, _imported = spike
    form = {"text": "We know.", "channel": [demo.pk]}
    assert (
        personas.client("viewer").post(f"/listening/crisis/{room.pk}/statement/", form).status_code
        == 403
    )
    assert (
        personas.client("outsider")
        .post(f"/listening/crisis/{room.pk}/statement/", form)
        .status_code
        == 404
    )
    assert not OutboxItem.objects.filter(ref_type="crisisroom").exists()


def test_a_message_driving_the_crisis_is_answered_in_place(personas, spike):
    room, demo, _imported = spike
    message = Message.objects.filter(channel=demo).order_by("-created_at").first()
    client = personas.client("moderator")
    page = client.get(f"/listening/crisis/{room.pk}/").content.decode()
    assert f"/inbox/t/{message.thread_id}/#m{message.pk}" in page
    response = client.post(
        f"/listening/crisis/{room.pk}/reply/{message.thread_id}/",
        {"text": "Sorry, a fix is coming.", "key": "k1"},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-testid="reply-queued"' in response.content.decode()
    reply = OutboxItem.objects.get(action="reply")
    assert reply.payload["text"] == "Sorry, a fix is coming." and reply.channel == demo
    empty = client.post(
        f"/listening/crisis/{room.pk}/reply/{message.thread_id}/",
        {"text": " "},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'role="alert"' in empty and OutboxItem.objects.filter(action="reply").count() == 1


def test_outsider_cannot_reply_through_a_room_of_another_workspace(personas, spike):
    room, demo, _imported = spike
    message = Message.objects.filter(channel=demo).first()
    response = personas.client("outsider").post(
        f"/listening/crisis/{room.pk}/reply/{message.thread_id}/", {"text": "hi"}
    )
    assert response.status_code == 404
    assert not OutboxItem.objects.filter(action="reply").exists()


def test_checklist_and_statuses_are_in_french(personas, spike):
    room, _demo, _imported = spike
    client = personas.client("owner")
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    page = client.get(f"/listening/crisis/{room.pk}/").content.decode()
    assert "Acknowledge publicly" not in page
    assert "Reconnaître publiquement" in page
    assert "Publier sur les canaux touchés" in page


def _textarea(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}">', 1)[1].split("</textarea>", 1)[0]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_holding_statement_comes_in_the_readers_language_first(personas, spike, lang):
    import html

    room, _demo, _imported = spike
    client = personas.client("moderator")
    client.post("/i18n/setlang/", {"language": lang, "next": "/"})
    page = client.get(f"/listening/crisis/{room.pk}/").content.decode()
    french = html.unescape(_textarea(page, "statement-fr"))
    english = html.unescape(_textarea(page, "statement-en"))
    assert french.startswith("Nous avons bien vu que certains d’entre vous")
    assert "L’équipe" in french and "'" not in french  # typographic apostrophes
    assert english.startswith("We are aware that some of you")
    # The reader's language is the one in the form (posted), the other one a copy away.
    first = page.index('id="statement-text"')
    assert page.index(f'data-testid="statement-{lang}"') == page.index('data-testid="', first)
    assert "<script>" not in page  # the copy buttons' code is a static file (strict CSP)
    data = page.split('id="crisis-data"', 1)[1].split(">", 1)[1]
    chart = json.loads(data.split("</script>", 1)[0])
    assert chart["labels"]["time"] == ("Date et heure" if lang == "fr" else "Time")
