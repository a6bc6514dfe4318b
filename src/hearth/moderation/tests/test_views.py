"""Moderation pages and API: the queue, rules, the public pages, permissions and tenancy."""

from __future__ import annotations

import pytest
from conftest import item

from hearth.conversations.models import Author
from hearth.core.actors import Actor
from hearth.moderation.actions.links import appeal_token
from hearth.moderation.actions.queue import approve, sanction_entry
from hearth.moderation.actions.rules import save_rule
from hearth.moderation.actions.sanctions import sanction_person
from hearth.moderation.models import HiddenMessage, QueueEntry, QueueStatus, Rule, Sanction
from hearth.pipeline.ingest import ingest_batch

INSULT = "You are a stupid idiot, shut up"
CRITICISM = "This update is terrible, the app crashes every time and support never answers"


@pytest.fixture
def flagged(workspace, demo_channel):
    ingest_batch(
        demo_channel, [item("a", INSULT, author="troll"), item("c", CRITICISM, author="unhappy")]
    )
    # The criticism is queued by a rule, so that the guard shows in the queue.
    save_rule(
        workspace,
        {"name": "Terrible", "words": "terrible", "actions": ["queue"]},
        by=Actor.system(),
    )
    ingest_batch(demo_channel, [item("c2", CRITICISM + " again", author="unhappy", minutes=5)])
    return {e.message.external_id: e for e in QueueEntry.objects.select_related("message")}


@pytest.fixture
def foreign(other_workspace, make_channel):
    channel = make_channel(other_workspace, kind="demo")
    ingest_batch(channel, [item("z", INSULT, author="other-troll")])
    rule = save_rule(
        other_workspace, {"name": "Theirs", "words": "x", "actions": ["queue"]}, by=Actor.system()
    )
    author = Author.objects.get(external_id="other-troll")
    sanction = sanction_person(author, article="1", by=Actor.system())
    return {
        "entry": QueueEntry.objects.get(workspace=other_workspace),
        "rule": rule,
        "sanction": sanction,
        "author": author,
    }


def test_queue_page_shows_reasons_and_the_criticism_guard(personas, flagged):
    client = personas.client("moderator")
    response = client.get("/moderation/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "stupid idiot" in body and "rule: Terrible" in body
    assert body.count('data-testid="criticism-guard"') == 1
    assert "criticism removed" in body  # the guard explains it will be counted
    assert "Thank you for telling us" in body  # a suggested reply, pre-filled for the criticism
    filtered = client.get("/moderation/?reason=rule").content.decode()
    assert "stupid idiot" not in filtered and "again" in filtered


def test_hiding_criticism_without_justification_is_refused_in_the_ui(personas, flagged):
    client = personas.client("moderator")
    entry = flagged["c2"]
    response = client.post(f"/moderation/q/{entry.pk}/hide/", {"article": "3"}, follow=True)
    assert "justification is required" in response.content.decode()
    assert not HiddenMessage.objects.exists()
    client.post(
        f"/moderation/q/{entry.pk}/hide/",
        {"article": "3", "justification": "Duplicate of a thread already answered."},
    )
    assert HiddenMessage.objects.get().criticism


def test_sanction_from_the_queue_then_person_page(personas, flagged):
    client = personas.client("moderator")
    entry = flagged["a"]
    client.post(f"/moderation/q/{entry.pk}/sanction/", {"article": "1", "hide": "on"})
    sanction = Sanction.objects.get()
    assert sanction.kind == "warning" and sanction.created_by == personas.moderator
    entry.refresh_from_db()
    assert entry.status == QueueStatus.SANCTIONED
    page = client.get(f"/moderation/people/{sanction.author_id}/").content.decode()
    assert "sanction.warning" in page and "article 1" in page


def test_bulk_approve(personas, flagged):
    client = personas.client("moderator")
    ids = [flagged["a"].pk, flagged["c2"].pk]
    client.post("/moderation/bulk/", {"entry": ids, "verb": "approve"})
    assert set(QueueEntry.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "approved"
    }


def test_rule_editor_reports_a_bad_regex_and_tests_before_saving(personas, flagged):
    client = personas.client("moderator")
    bad = client.post(
        "/moderation/rules/new/",
        {"name": "Bad", "patterns": "(unclosed", "actions": "queue", "enabled": "on"},
    )
    assert bad.status_code == 400
    assert (
        "patterns, line 1: &#x27;(unclosed&#x27; is not a valid regular expression"
        in bad.content.decode()
    )
    assert not Rule.objects.filter(name="Bad").exists()
    tried = client.post(
        "/moderation/rules/test/",
        {"name": "Idiots", "words": "idiot", "actions": "queue"},
        HTTP_HX_REQUEST="true",
    )
    assert "1 of the last 3 messages would have been caught." in tried.content.decode()
    nothing = client.post(
        "/moderation/rules/test/", {"name": "None", "words": "zzzq", "actions": "queue"}
    ).content.decode()
    assert "0 of the last 3 messages" in nothing


def test_public_netiquette_and_appeal_need_no_login(client, workspace, personas, flagged):
    page = client.get(f"/n/{workspace.slug}/?lang=fr")
    assert page.status_code == 200 and "Respecter les personnes" in page.content.decode()
    assert 'id="article-1"' in page.content.decode()
    assert "Respect people" in client.get(f"/n/{workspace.slug}/?lang=en").content.decode()
    assert client.get("/n/no-such-community/").status_code == 404
    sanction = sanction_entry(
        flagged["a"], article="1", by=Actor(user=personas.moderator, via="web")
    )
    token = appeal_token(sanction)
    assert client.get(f"/appeal/{token}/").status_code == 200
    sent = client.post(
        f"/appeal/{token}/", {"text": "I apologise, but this was a quote from the film."}
    )
    assert 'data-testid="appeal-sent"' in sent.content.decode()
    assert client.get(f"/appeal/{token}tampered/").status_code == 404


def test_analyst_and_viewer_get_403(personas, flagged):
    entry = flagged["a"]
    for role in ("analyst", "viewer"):
        client = personas.client(role)
        assert client.get("/moderation/").status_code == 403
        assert client.get("/moderation/rules/").status_code == 403
        assert client.post(f"/moderation/q/{entry.pk}/approve/").status_code == 403
    entry.refresh_from_db()
    assert entry.status == QueueStatus.OPEN


def test_another_workspace_is_404_in_the_ui(personas, flagged, foreign):
    client = personas.client("moderator")
    # An entry of another workspace answers exactly as one that left the queue: nothing done.
    theirs = client.post(f"/moderation/q/{foreign['entry'].pk}/approve/")
    missing = client.post("/moderation/q/99999999/approve/")
    assert theirs.status_code == missing.status_code == 302
    assert theirs["Location"].replace(str(foreign["entry"].pk), "N") == missing["Location"].replace(
        "99999999", "N"
    )
    foreign["entry"].refresh_from_db()
    assert foreign["entry"].status == QueueStatus.OPEN
    assert client.get(f"/moderation/rules/{foreign['rule'].pk}/").status_code == 404
    assert client.post(f"/moderation/sanctions/{foreign['sanction'].pk}/lift/").status_code == 404
    assert client.get(f"/moderation/people/{foreign['author'].pk}/").status_code == 404
    assert "other-troll" not in client.get("/moderation/").content.decode()


def test_log_csv_export(personas, flagged):
    client = personas.client("moderator")
    approve(flagged["a"], by=Actor(user=personas.moderator, via="web"))
    response = client.get("/moderation/log/?format=csv")
    lines = response.content.decode().splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert lines[0].startswith("at,moderator,action,member")
    assert "camille@acme.test,approve" in lines[1]


# --- API ----------------------------------------------------------------------------------------


def call(client, token, method, path, body=None, slug="acme"):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(client, method)(f"/api/v1/workspaces/{slug}/moderation{path}", **kwargs)


def test_api_rules_queue_sanctions_log(client, personas, flagged):
    token = personas.token("moderator")
    bad = call(
        client, token, "post", "/rules", {"name": "Bad", "patterns": "a(b", "actions": ["queue"]}
    )
    assert bad.status_code == 400 and "patterns, line 1" in bad.json()["detail"]
    created = call(
        client, token, "post", "/rules", {"name": "Links", "has_link": True, "actions": ["queue"]}
    )
    assert created.status_code == 201
    assert (
        call(client, token, "post", "/rules/test", {"name": "t", "words": "idiot"}).json()[
            "matched"
        ]
        == 1
    )
    queue = call(client, token, "get", "/queue").json()["items"]
    assert {e["reason"] for e in queue} == {"abuse", "rule"}
    criticism = next(e for e in queue if e["criticism"])
    refused = call(
        client, token, "post", f"/queue/{criticism['id']}", {"verb": "hide", "article": "3"}
    )
    assert refused.status_code == 400 and "justification is required" in refused.json()["detail"]
    abuse = next(e for e in queue if e["reason"] == "abuse")
    done = call(
        client, token, "post", f"/queue/{abuse['id']}", {"verb": "sanction", "article": "1"}
    )
    assert done.json()["status"] == "sanctioned"
    sanctions = call(client, token, "get", "/sanctions").json()
    assert sanctions[0]["kind"] == "warning" and sanctions[0]["created_by"] == "camille@acme.test"
    again = call(
        client, token, "post", "/sanctions", {"author_id": abuse["author_id"], "article": "1"}
    )
    assert again.status_code == 201 and again.json()["kind"] == "block"
    log = call(client, token, "get", "/log").json()
    assert [e["action"] for e in log["items"]][:2] == ["sanction.block", "sanction.warning"]


def test_api_denies_roles_and_other_workspaces(client, personas, flagged, foreign):
    analyst = personas.token("analyst")
    assert call(client, analyst, "get", "/queue").status_code == 403
    moderator = personas.token("moderator")
    assert call(client, moderator, "get", "/queue", slug="globex").status_code == 404
    assert (
        call(
            client, moderator, "post", f"/queue/{foreign['entry'].pk}", {"verb": "approve"}
        ).status_code
        == 404
    )
    assert call(client, moderator, "delete", f"/rules/{foreign['rule'].pk}").status_code == 404
    assert (
        call(client, moderator, "post", f"/sanctions/{foreign['sanction'].pk}/lift", {}).status_code
        == 404
    )
    assert (
        call(
            client,
            moderator,
            "post",
            "/sanctions",
            {"author_id": foreign["author"].pk, "article": "1"},
        ).status_code
        == 404
    )


def test_acting_on_an_entry_that_left_the_queue_says_so(personas, flagged):
    """Read again between the page and the click, the message no longer needs a review: the
    moderator is told, back on the queue, instead of meeting a bare 404."""
    entry = flagged["a"]
    entry_id = entry.pk
    entry.delete()
    client = personas.client("moderator")
    answer = client.post(f"/moderation/q/{entry_id}/approve/", {"next": "/moderation/?tab=open"})
    assert answer.status_code == 302
    assert (
        answer["Location"].startswith("/moderation/?") and f"gone={entry_id}" in answer["Location"]
    )
    page = client.get(answer["Location"]).content.decode()
    assert "no longer in the queue" in page
    client.cookies["django_language"] = "fr"
    client.post(f"/moderation/q/{entry_id}/hide/", {"article": "1", "justification": "x" * 12})
    assert "n’est plus dans la file" in client.get("/moderation/").content.decode()


def test_an_entry_already_dealt_with_is_refused_with_the_reason(personas, flagged):
    """Two moderators on one entry: the second is told, and the answer says it was refused."""
    entry = flagged["a"]
    client = personas.client("moderator")
    first = client.post(f"/moderation/q/{entry.pk}/approve/")
    assert "refused=" not in first["Location"]
    second = client.post(f"/moderation/q/{entry.pk}/escalate/")
    assert second.status_code == 302 and f"refused={entry.pk}" in second["Location"]
    assert "already been dealt with" in client.get(second["Location"]).content.decode()
    entry.refresh_from_db()
    assert entry.status == QueueStatus.APPROVED
