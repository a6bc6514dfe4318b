"""Animation in real Chromium: a contest from creation to its public verification page, and an
event's registration with the waiting list promoted when someone cancels."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from conftest import PASSWORD
from django.utils import timezone

from hearth.animation.models import Contest, Event, Registration

VERIFY = Path(__file__).resolve().parents[2] / "docs" / "verify_draw.py"


def _login(page, base, email):
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_a_contest_from_creation_to_its_verification_page(
    page, browser, live_server, personas, screenshot, tmp_path
):
    base = live_server.url
    _login(page, base, "manon@acme.test")
    page.get_by_role("link", name="Community").click()
    page.get_by_test_id("tab-animation").click()
    page.get_by_test_id("new-contest").click()
    page.get_by_test_id("title").fill("Spring lamp giveaway")
    page.get_by_test_id("rules").fill("Win one of two lamps. One entry per person.")
    page.get_by_test_id("winners").fill("2")
    page.get_by_test_id("create-contest").click()
    page.wait_for_url(f"{base}/animation/contests/*/")
    contest = Contest.objects.get(title="Spring lamp giveaway")
    public = page.get_by_test_id("public-link").get_attribute("href")
    screenshot("animation-contest-team-open")

    visitor = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    entrant = visitor.new_page()
    for n in range(5):
        entrant.goto(public)
        entrant.get_by_test_id("entry-name").fill(f"Entrant {n}")
        entrant.get_by_test_id("entry-email").fill(f"e{n}@example.org")
        entrant.get_by_test_id("entry-accept").check()
        entrant.get_by_test_id("entry-submit").click()
        entrant.get_by_test_id("entered").wait_for()
    assert entrant.get_by_test_id("pub-commitment").inner_text() == contest.seed_commitment
    entrant.goto(public)
    entrant.get_by_test_id("entry-name").fill("Entrant 0 again")
    entrant.get_by_test_id("entry-email").fill("e0@example.org")
    entrant.get_by_test_id("entry-accept").check()
    entrant.get_by_test_id("entry-submit").click()
    assert "already entered" in entrant.get_by_test_id("entry-error").inner_text()

    page.reload()
    page.get_by_test_id("freeze").click()
    page.get_by_test_id("entrants-hash").wait_for()
    entrant.goto(public)
    frozen_hash = entrant.get_by_test_id("pub-entrants-hash").inner_text()
    assert entrant.get_by_test_id("pub-seed").count() == 0
    assert entrant.get_by_test_id("pub-entrants").locator("li").count() == 5

    page.get_by_test_id("draw").click()
    page.get_by_test_id("winners").wait_for()
    entrant.goto(public)
    winners = entrant.get_by_test_id("pub-winners").locator("code").all_inner_texts()
    assert len(winners) == 2
    assert entrant.get_by_test_id("pub-entrants-hash").inner_text() == frozen_hash
    entrant.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    screenshot("animation-contest-team-drawn")

    record_page = entrant.request.get(public + "draw.json")
    record = record_page.json()
    assert record["winners"] == winners and record["entrants_hash"] == frozen_hash
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(record))
    checked = subprocess.run(  # noqa: S603
        [sys.executable, str(VERIFY), str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout
    entrant.goto(public)
    entrant.screenshot(path="var/screenshots/animation-contest-public-390.png", full_page=True)
    visitor.close()


def test_event_registration_with_the_waiting_list(page, browser, live_server, personas, screenshot):
    base = live_server.url
    _login(page, base, "manon@acme.test")
    page.goto(f"{base}/animation/events/new/")
    page.get_by_test_id("title").fill("Lamp repair café")
    when = timezone.localtime(timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_test_id("starts-at").fill(when)
    page.get_by_test_id("capacity").fill("1")
    page.get_by_test_id("create-event").click()
    page.wait_for_url(f"{base}/animation/events/*/")
    public = page.get_by_test_id("public-link").get_attribute("href")
    event = Event.objects.get(title="Lamp repair café")

    first_context = browser.new_context(locale="en-GB")
    first = first_context.new_page()
    first.goto(public)
    first.get_by_test_id("register-name").fill("Ada")
    first.get_by_test_id("register-email").fill("ada@example.org")
    first.get_by_test_id("register-submit").click()
    status = first.get_by_test_id("registration-status")
    assert status.get_attribute("data-status") == "confirmed"

    second_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    second = second_context.new_page()
    second.goto(public)
    assert "full" in second.get_by_test_id("free-seats").inner_text()
    second.get_by_test_id("register-name").fill("Grace")
    second.get_by_test_id("register-email").fill("grace@example.org")
    second.get_by_test_id("register-submit").click()
    assert second.get_by_test_id("registration-status").get_attribute("data-status") == "waitlisted"
    second.screenshot(
        path="var/screenshots/animation-registration-waitlisted-390.png", full_page=True
    )
    grace_link = second.url

    page.reload()
    assert "1 of 1 seats taken, 1 waiting" in page.get_by_test_id("seats").inner_text()
    screenshot("animation-event-team")

    first.get_by_test_id("cancel-registration").click()
    first.wait_for_function(
        "() => document.querySelector('[data-testid=registration-status]')?.dataset.status === 'cancelled'"
    )
    second.goto(grace_link)
    assert second.get_by_test_id("registration-status").get_attribute("data-status") == "confirmed"
    grace = Registration.objects.get(event=event, email="grace@example.org")
    assert grace.promoted_at is not None

    page.reload()
    page.get_by_test_id(f"checkin-{grace.pk}").click()
    page.wait_for_function("() => document.body.innerText.includes('1 checked in')")
    first_context.close()
    second_context.close()


def test_poll_results_update_live_on_the_teams_page(page, browser, live_server, personas):
    from hearth.animation.actions import polls
    from hearth.core.actors import Actor

    poll = polls.create_poll(
        personas.workspace,
        question="Which colour next?",
        options=["Amber", "Teal"],
        by=Actor.system(),
    )
    base = live_server.url
    _login(page, base, "manon@acme.test")
    page.goto(f"{base}/animation/polls/{poll.pk}/")
    assert page.get_by_test_id("poll-results").get_attribute("data-total") == "0"
    voter_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    voter = voter_context.new_page()
    voter.goto(f"{base}/p/{poll.public_token}/")
    voter.get_by_label("Teal").check()
    voter.get_by_test_id("vote").click()
    voter.get_by_test_id("voted").wait_for()
    # No reload: the results block polls every 5 seconds (htmx).
    page.wait_for_function(
        "() => document.querySelector('[data-testid=poll-results]')?.dataset.total === '1'",
        timeout=20_000,
    )
    assert "Teal 1" in " ".join(page.get_by_test_id("poll-results").inner_text().split())
    voter_context.close()


def test_telegram_votes_show_live_on_the_teams_page(
    page, live_server, personas, make_channel, fake_platform, screenshot
):
    from django.test import Client

    from hearth.animation.actions import polls
    from hearth.channels.testing_polls import TelegramPolls

    token = "123456:ABC-DEF1234ghIkl"
    group = {"id": -1001234567890, "title": "Lumio users", "type": "supergroup"}
    channel = make_channel(
        personas.workspace,
        name="Lumio on Telegram",
        kind="telegram",
        config={"base_url": fake_platform.url, "chats": [str(group["id"])]},
        credentials={"token": token, "webhook_secret": "s3cret-token"},
    )
    telegram = TelegramPolls(fake_platform, token, group)
    manager = personas.actor("manager")
    poll = polls.create_poll(
        personas.workspace, question="Which colour next?", options=["Amber", "Teal"], by=manager
    )
    polls.publish_poll(poll, channel, by=manager)  # sent after commit, at once in tests
    base = live_server.url
    _login(page, base, "manon@acme.test")
    page.goto(f"{base}/animation/polls/{poll.pk}/")
    page.get_by_text("No vote on Telegram yet").wait_for()
    screenshot("poll-telegram-waiting-en-1280")
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.get_by_text("Aucun vote sur Telegram pour l’instant").wait_for()
    screenshot("poll-telegram-waiting-fr-390")
    # People vote on Telegram: the bot's webhook receives the poll's new state.
    pushed = Client().post(
        f"/hooks/telegram/{channel.webhook_key}",
        json.dumps(telegram.vote(500, 1, 3)),
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="s3cret-token",
    )
    assert pushed.status_code == 200 and pushed.json()["polls"] == 1
    # No reload: the results block polls every 5 seconds (htmx).
    page.wait_for_function(
        "() => document.querySelector('[data-testid=poll-results]')?.dataset.total === '3'",
        timeout=20_000,
    )
    assert "Teal 3" in " ".join(page.get_by_test_id("poll-results").inner_text().split())
    page.reload()
    screenshot("poll-telegram-live-fr-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot("poll-telegram-live-fr-1280")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page.reload()
    screenshot("poll-telegram-live-en-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("poll-telegram-live-en-390")
