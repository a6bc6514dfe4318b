"""FAQ detection on a small fixture: questions grouped by meaning across English and French,
proposed with the team's own answers, published bilingually and offered as saved replies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import item
from django.test import Client
from django.utils import timezone

from hearth.analysis import second_stage
from hearth.animation.actions import faq
from hearth.animation.models import FaqEntry, FaqStatus
from hearth.conversations.models import Message, SavedReply
from hearth.core.actions import ActionError
from hearth.pipeline.ingest import ingest_batch

QUESTIONS = [  # (thread id, author, lang, text)
    ("t1", "ana", "en", "How do I reset my lamp?"),
    ("t2", "ben", "en", "How can I reset the lamp to factory settings?"),
    ("t3", "chloe", "fr", "Comment réinitialiser ma lampe ?"),
    ("t4", "dan", "en", "When will my order arrive?"),
    ("t5", "eve", "fr", "Quand ma commande arrivera-t-elle ?"),
    ("t6", "fred", "en", "When does my order arrive? It has been a week."),
    ("t7", "gus", "en", "Do you ship to Canada?"),
]
REPLIES = {
    "t1": ("en", "Hold the button for ten seconds until the light blinks."),
    "t2": ("en", "Hold the button for ten seconds until the light blinks."),
    "t3": ("fr", "Maintenez le bouton dix secondes, jusqu’à ce que la lumière clignote."),
}


@pytest.fixture
def inbox(personas, make_channel):
    channel = make_channel(personas.workspace, name="Forum", kind="import")
    now = timezone.now()
    items = []
    for n, (thread, author, _lang, text) in enumerate(QUESTIONS):
        data = item(thread, text, author=author)
        data["created_at"] = (now - timedelta(hours=10 - n)).isoformat()
        items.append(data)
        if thread in REPLIES:
            reply = item(
                f"{thread}-r", REPLIES[thread][1], kind="comment", author="lumio", parent=thread
            )
            reply["created_at"] = (now - timedelta(hours=5 - n)).isoformat()
            items.append(reply)
    ingest_batch(channel, items)
    # The analysis' own labels are not what this test is about: fix them as the fixture says.
    for thread, _author, lang, _text in QUESTIONS:
        Message.objects.filter(external_id=thread).update(intent="question", lang=lang)
    for thread, (lang, _text) in REPLIES.items():
        Message.objects.filter(external_id=f"{thread}-r").update(
            from_brand=True, lang=lang, intent="other"
        )
    return channel


@pytest.mark.skipif(
    not second_stage.available(), reason="the multilingual encoder is not installed"
)
def test_recurring_questions_are_grouped_across_languages_with_the_teams_answers(personas, inbox):
    found = faq.detect_faq(personas.workspace, by=personas.actor("manager"))
    assert len(found) == 2  # the lamp reset and the delivery; Canada was asked once
    reset = next(e for e in found if "reset" in e.question_en)
    assert reset.askers == 3
    assert reset.question_fr == "Comment réinitialiser ma lampe ?"
    assert reset.answer_en == REPLIES["t1"][1] and reset.answer_fr == REPLIES["t3"][1]
    delivery = next(e for e in found if e is not reset)
    assert delivery.askers == 3 and delivery.answer_en == "" and delivery.question_fr
    # Running it again proposes nothing new.
    assert faq.detect_faq(personas.workspace, by=personas.actor("manager")) == []


def test_the_fallback_groups_questions_written_alike(personas, inbox, monkeypatch):
    # Character n-grams: two English questions worded alike group; the French one does not.
    monkeypatch.setattr(second_stage, "available", lambda: False)
    found = faq.detect_faq(personas.workspace, by=personas.actor("manager"), min_askers=2)
    assert any(
        {"dan", "fred"} == {Message.objects.get(pk=i).author.external_id for i in e.sources}
        for e in found
    )


def test_publishing_is_bilingual_and_makes_saved_replies(personas, inbox):
    entry = FaqEntry.objects.create(workspace=personas.workspace, question_en="Q?", askers=3)
    with pytest.raises(ActionError, match="both languages"):
        faq.publish_entry(
            entry,
            by=personas.actor("manager"),
            question_en="Q?",
            question_fr="",
            answer_en="A",
            answer_fr="",
        )
    faq.publish_entry(
        entry,
        by=personas.actor("manager"),
        question_en="How do I reset my lamp?",
        question_fr="Comment réinitialiser ma lampe ?",
        answer_en="Hold the button.",
        answer_fr="Maintenez le bouton.",
    )
    replies = SavedReply.objects.filter(
        workspace=personas.workspace, title__startswith=f"FAQ #{entry.pk} "
    )
    assert {r.lang for r in replies} == {"en", "fr"}
    assert all(f"/faq/{personas.workspace.slug}/" in r.text for r in replies)
    fr = Client().get(f"/faq/{personas.workspace.slug}/?lang=fr").content.decode()
    en = Client().get(f"/faq/{personas.workspace.slug}/?lang=en").content.decode()
    assert (
        "Maintenez le bouton." in fr and "Hold the button." in en and "Hold the button." not in fr
    )
    other = Client().get(f"/faq/{personas.other_workspace.slug}/").content.decode()
    assert "Hold the button." not in other
    faq.dismiss_entry(entry, by=personas.actor("manager"))
    assert not SavedReply.objects.filter(title__startswith=f"FAQ #{entry.pk} ").exists()
    assert entry.status == FaqStatus.DISMISSED


def test_another_workspace_cannot_publish_or_detect(personas, inbox):
    entry = FaqEntry.objects.create(workspace=personas.workspace, question_en="Q?", askers=3)
    outsider = personas.client("outsider")
    outsider.post("/animation/faq/", {"verb": "publish", "entry": entry.pk, "question_en": "x"})
    entry.refresh_from_db()
    assert entry.status == FaqStatus.PROPOSED
    assert personas.client("viewer").post("/animation/faq/", {"verb": "detect"}).status_code == 403


def test_the_faq_through_the_api_and_the_cli(personas, inbox):
    from io import StringIO

    from django.core.management import call_command

    entry = FaqEntry.objects.create(workspace=personas.workspace, question_en="Q?", askers=3)
    slug = personas.workspace.slug
    listed = Client(**personas.auth("viewer")).get(f"/api/v1/workspaces/{slug}/faq").json()
    assert [e["id"] for e in listed] == [entry.pk]
    outsider = Client(**personas.auth("outsider"))
    assert outsider.get(f"/api/v1/workspaces/{slug}/faq").status_code == 404
    other = personas.other_workspace.slug
    assert outsider.get(f"/api/v1/workspaces/{other}/faq").json() == []
    out = StringIO()
    call_command("faq", "list", "--workspace", slug, stdout=out)
    assert "Q?" in out.getvalue()
