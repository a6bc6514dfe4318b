"""The review queue can be worked: true counts, every item reachable, sorts, false positives."""

from __future__ import annotations

import re

import pytest
from conftest import item

from hearth.analysis.models import LabelDecision
from hearth.moderation.models import QueueEntry, QueueStatus
from hearth.moderation.views import PAGE_SIZE
from hearth.pipeline.ingest import ingest_batch

INSULT = "You are a stupid idiot, shut up"
SPAM = "BUY CHEAP FOLLOWERS NOW http://spam.example http://spam.example click here win money"


@pytest.fixture
def many(workspace, demo_channel):
    ingest_batch(
        demo_channel,
        [
            item(f"i{i}", f"{INSULT} #{i}", author=f"troll{i}", minutes=i)
            for i in range(PAGE_SIZE + 7)
        ],
    )
    return QueueEntry.objects.filter(workspace=workspace).count()


def _numbers(body: str) -> list[int]:
    # Each text shows twice (its title attribute holds the full text): keep the first of each.
    return list(dict.fromkeys(int(n) for n in re.findall(r"shut up #(\d+)", body)))


def test_counts_are_true_and_paging_reaches_every_item(personas, many):
    assert many == PAGE_SIZE + 7
    client = personas.client("moderator")
    first = client.get("/moderation/?sort=newest").content.decode()
    assert f"{many} messages to review" in first
    assert 'data-testid="next-page"' in first
    second = client.get("/moderation/?sort=newest&page=2").content.decode()
    seen = _numbers(first) + _numbers(second)
    assert sorted(seen) == list(range(many))  # every entry, once
    assert _numbers(first)[0] == many - 1  # newest first
    oldest = client.get("/moderation/?sort=oldest").content.decode()
    assert _numbers(oldest)[0] == 0


def test_most_severe_first(personas, workspace, demo_channel):
    ingest_batch(
        demo_channel,
        [
            item("mild", "You are a bit of an idiot sometimes", author="m"),
            item("harsh", "You stupid idiot moron, shut up you worthless idiot", author="h"),
        ],
    )
    entries = list(QueueEntry.objects.select_related("message"))
    by_score = sorted(entries, key=lambda e: -max(e.message.abuse_score, e.message.spam_score))
    body = personas.client("moderator").get("/moderation/?sort=severe").content.decode()
    positions = [body.index(f'id="entry-{e.pk}"') for e in by_score]
    assert positions == sorted(positions)


def test_false_positive_approves_and_records_the_label_as_wrong(personas, many):
    entry = QueueEntry.objects.select_related("message").first()
    client = personas.client("moderator")
    client.post(f"/moderation/q/{entry.pk}/false_positive/")
    entry.refresh_from_db()
    assert entry.status == QueueStatus.APPROVED
    decision = LabelDecision.objects.get(message_id=entry.message_id)
    assert decision.predicted == "abuse" and decision.decided == "not_abuse"


def test_the_article_is_preselected_from_the_reason(personas, many):
    body = personas.client("moderator").get("/moderation/").content.decode()
    # The starter netiquette's article 1 is about respecting people: abuse cites it.
    assert re.search(r'<option value="1" selected>1\. Respect', body)


def test_another_workspace_cannot_mark_a_false_positive(personas, many):
    entry = QueueEntry.objects.first()
    client = personas.client("outsider")
    response = client.post(f"/moderation/q/{entry.pk}/false_positive/")
    # The same answer as for an entry that exists nowhere: nothing tells it exists.
    missing = client.post("/moderation/q/99999999/false_positive/")
    assert response.status_code == missing.status_code
    assert response.get("Location", "").replace(str(entry.pk), "N") == missing.get(
        "Location", ""
    ).replace("99999999", "N")
    entry.refresh_from_db()
    assert entry.status == QueueStatus.OPEN


def test_false_positive_through_the_api(client, personas, many):
    entry = QueueEntry.objects.first()
    response = client.post(
        f"/api/v1/workspaces/acme/moderation/queue/{entry.pk}",
        {"verb": "false_positive"},
        content_type="application/json",
        **personas.auth("moderator"),
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert LabelDecision.objects.get(message_id=entry.message_id).decided == "not_abuse"
