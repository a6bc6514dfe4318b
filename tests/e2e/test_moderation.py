"""Walk the review queue with the keyboard, sanction an author, see the sanction on their profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hearth.channels.actions import create_channel
from hearth.core.actions import add_member, create_workspace
from hearth.core.actors import Actor
from hearth.moderation.actions.rules import save_rule
from hearth.moderation.models import QueueEntry, Sanction
from hearth.pipeline.ingest import ingest_batch

PASSWORD = "correct-horse-battery"  # noqa: S105 - a test login


def _item(external_id: str, text: str, author: str, minutes: int) -> dict:
    return {
        "external_id": external_id,
        "kind": "comment",
        "text": text,
        "author": {"external_id": author, "handle": f"@{author}", "display_name": author.title()},
        "created_at": (
            datetime(2026, 11, 1, 9, tzinfo=UTC) + timedelta(minutes=minutes)
        ).isoformat(),
    }


@pytest.fixture
def moderation_setup(transactional_db):
    actor = Actor.system()
    workspace = create_workspace("acme", name="Acme", by=actor)
    add_member(workspace, "camille@acme.test", role="moderator", password=PASSWORD, by=actor)
    channel, _ = create_channel(workspace, name="Instagram", kind="demo", by=actor)
    save_rule(workspace, {"name": "Terrible", "words": "terrible", "actions": ["queue"]}, by=actor)
    ingest_batch(
        channel,
        [
            _item(
                "m1",
                "This update is terrible, the app crashes every time and support never answers",
                "unhappy",
                0,
            ),
            _item("m2", "Buy cheap followers now http://spam.example", "spammer", 1),
            _item("m3", "You are a stupid idiot, shut up", "troll", 2),
        ],
    )
    return workspace


def test_walk_the_queue_with_the_keyboard_and_sanction(
    page, live_server, moderation_setup, screenshot
):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill("camille@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Moderation").click()
    page.wait_for_url(f"{live_server.url}/moderation/")
    # Crisis first (then newest) is the default order; the walk below reads oldest first.
    page.goto(f"{live_server.url}/moderation/?sort=oldest")

    entries = page.locator("[data-entry]")
    assert entries.count() == 3
    first = entries.nth(0)
    assert "selected" in (first.get_attribute("class") or "")
    # The criticism shows the guard and a suggested reply, not a hide button first.
    assert first.get_by_test_id("criticism-guard").is_visible()
    screenshot("moderation-queue")

    page.keyboard.press("?")
    assert page.locator("#mod-key-help").is_visible()
    screenshot("moderation-queue-help")
    page.keyboard.press("Escape")

    # j moves to the spam; a approves it (the page reloads with the entry gone).
    page.keyboard.press("j")
    assert "selected" in (entries.nth(1).get_attribute("class") or "")
    assert "followers" in entries.nth(1).inner_text()
    with page.expect_navigation():
        page.keyboard.press("a")
    assert page.locator("[data-entry]").count() == 2
    assert QueueEntry.objects.get(message__external_id="m2").status == "approved"

    # j to the insult, s opens the sanction form with the article focused; Enter applies it.
    page.keyboard.press("j")
    troll = page.locator("[data-entry]").nth(1)
    assert "idiot" in troll.inner_text()
    page.keyboard.press("s")
    article = troll.get_by_test_id("sanction-article")
    assert article.evaluate("el => el === document.activeElement")
    article.select_option("1")
    screenshot("moderation-sanction-form")
    with page.expect_navigation():
        troll.get_by_test_id("sanction-submit").click()
    assert "Sanction applied" in page.content()
    sanction = Sanction.objects.get()
    assert sanction.kind == "warning" and sanction.article == "1"

    # The sanction is on the member's profile.
    page.goto(f"{live_server.url}/moderation/people/{sanction.author_id}/")
    assert page.get_by_test_id("person-name").inner_text() == "Troll"
    history = page.get_by_test_id("person-history").inner_text()
    assert "sanction.warning" in history and "article 1" in history
    assert "warning (step 1)" in page.get_by_test_id("sanctions").inner_text()
    screenshot("moderation-person")


def test_rule_editor_tests_before_saving_and_names_a_bad_regex(
    page, live_server, moderation_setup, screenshot
):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill("camille@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/moderation/rules/new/")
    page.get_by_label("Name").fill("Phone numbers")
    page.get_by_label("Regular expressions (one per line)").fill("ok\n(unclosed")
    page.get_by_test_id("rule-test").click()
    error = page.get_by_test_id("rule-test-error")
    assert "patterns, line 2" in error.inner_text()
    page.get_by_label("Regular expressions (one per line)").fill("")
    page.get_by_label("Watched words (one per line)").fill("idiot\ncrashes")
    page.get_by_test_id("rule-test").click()
    page.get_by_test_id("rule-test-count").wait_for()
    assert (
        page.get_by_test_id("rule-test-count").inner_text().startswith("2 of the last 3 messages")
    )
    screenshot("moderation-rule-editor")
    page.goto(f"{live_server.url}/n/acme/?lang=fr")
    assert "Respecter les personnes" in page.get_by_test_id("netiquette").inner_text()
    screenshot("moderation-netiquette-public")
    page.goto(f"{live_server.url}/moderation/netiquette/")
    screenshot("moderation-netiquette-editor")
