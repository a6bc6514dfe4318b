"""A spike replayed through the real pipeline opens a crisis room; the team sees it and answers."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.channels.actions import create_channel
from hearth.core.actions import add_member, create_workspace
from hearth.core.actors import Actor
from hearth.core.models import AuditEvent
from hearth.listening.actions import create_query
from hearth.listening.models import CrisisRoom
from hearth.listening.tasks import detect_all, roll_up
from hearth.pipeline.ingest import ingest_batch

PASSWORD = "correct-horse-battery"


def _item(moment, external_id, text, author):
    return {
        "external_id": external_id,
        "kind": "post",
        "text": text,
        "created_at": moment.isoformat(),
        "author": {"external_id": author, "handle": author, "display_name": author.title()},
        "metrics": {"likes": hash(external_id) % 40, "shares": hash(external_id) % 7},
    }


@pytest.fixture
def spike(transactional_db):
    actor = Actor.system()
    workspace = create_workspace("acme", name="Acme", brand_name="Acme", by=actor)
    add_member(workspace, "olivia@acme.test", role="owner", password=PASSWORD, by=actor)
    forum, _ = create_channel(workspace, name="Forum", kind="import", by=actor)
    reviews, _ = create_channel(workspace, name="Reviews", kind="import", by=actor)
    create_query(
        workspace, name="Acme", category="brand", expression="acme OR #acme OR @acmehq", by=actor
    )
    create_query(workspace, name="Globex", category="competitor", expression="globex", by=actor)
    now = timezone.now().replace(second=0, microsecond=0)
    calm = [
        "acme lamp works great, love it",
        "how do I pair my acme lamp?",
        "globex or acme for a bedroom?",
        "acme support answered quickly, thanks",
    ]
    history = [
        _item(
            now - timedelta(days=2) + timedelta(minutes=5 * i),
            f"n{i}",
            calm[i % 4],
            f"user{i % 50}",
        )
        for i in range(2 * 288 - 6)
    ]
    for start in range(0, len(history), 200):
        ingest_batch(forum, history[start : start + 200])
    angry = [
        "@acmehq the 4.2 update bricked my lamp!! #acmefail",
        "acme lamp dead after the update, terrible",
        "DO NOT install the acme update, blinking red #acmefail",
        "acme bricked three lamps at once, refund now",
    ]
    burst = [
        _item(
            now - timedelta(minutes=14) + timedelta(seconds=8 * i),
            f"s{i}",
            angry[i % 4],
            f"angry{i % 25}",
        )
        for i in range(90)
    ]
    ingest_batch(forum, burst[:45])
    ingest_batch(reviews, burst[45:])
    roll_up()
    detect_all()  # what the periodic job runs every minute
    return workspace


def test_detector_opens_a_crisis_room_the_team_answers(page, live_server, spike, screenshot):
    room = CrisisRoom.objects.get(workspace=spike)
    assert room.query.name == "Acme" and room.status == "open"

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Listening").click()
    page.wait_for_url(f"{live_server.url}/listening/")
    rooms = page.get_by_test_id("crisis-rooms")
    assert "Acme" in rooms.inner_text() and "Open" in rooms.inner_text().title()
    screenshot("listening-home")

    rooms.get_by_role("link", name="Acme").click()
    page.wait_for_selector("[data-testid=crisis-chart] .uplot canvas")
    assert page.get_by_test_id("crisis-status").inner_text() == "open"
    assert "bricked" in page.get_by_test_id("top-messages").inner_text()
    assert "acmefail" in page.get_by_test_id("crisis-terms").inner_text()
    assert "Acme" in page.get_by_test_id("statement-en").input_value()
    screenshot("crisis-room-open")

    # The copy button (crisis.js) puts the statement on the clipboard and says so.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_test_id("copy-statement").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=copy-statement]').textContent === 'Copied'"
    )
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.get_by_test_id("statement-en").input_value()

    page.get_by_role("button", name="Mark communicating").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=crisis-status]').innerText === 'communicating'"
    )
    page.get_by_label("Acknowledge publicly that we have seen the problem").check()
    deadline = time.monotonic() + 30  # the checkbox posts in the background: wait for it to land
    while True:
        room.refresh_from_db()
        if room.checklist == {"acknowledge": True} or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    screenshot("crisis-room-communicating")
    assert room.status == "communicating" and room.checklist == {"acknowledge": True}
    assert AuditEvent.objects.filter(
        action="crisis.status", target_id=str(room.pk), actor__email="olivia@acme.test"
    ).exists()


def test_query_editor_preview_and_trends(page, live_server, spike, screenshot):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/listening/queries/new/")
    box = page.get_by_test_id("expression")
    box.press_sequentially("acme AND (update", delay=20)
    page.wait_for_selector("[data-testid=syntax-error]")
    assert "unclosed '(' at column 10" in page.get_by_test_id("syntax-error").inner_text()
    screenshot("query-editor-error")
    box.press_sequentially(" OR firmware) #acmefail", delay=20)
    page.wait_for_selector("[data-testid=preview-matches] li")
    assert "#acmefail" in page.get_by_test_id("preview-matches").inner_text()
    screenshot("query-editor-preview")

    page.goto(f"{live_server.url}/listening/trends/?range=24h")
    page.wait_for_selector("[data-testid=volume-chart] .uplot canvas")
    assert "Acme" in page.get_by_test_id("share-of-voice").inner_text()
    page.locator("[data-range='7d']").click()
    page.wait_for_function("() => location.search.includes('range=7d')")
    page.wait_for_selector("[data-testid=volume-chart] .uplot canvas")
    # Choosing a query reloads the charts for it alone (htmx, no inline handler).
    query = page.locator("#trends-body select[name=query]")
    value = query.locator("option").nth(1).get_attribute("value")
    page.evaluate(
        "() => { window.oldChart = document.querySelector('[data-testid=volume-chart]'); }"
    )
    query.select_option(value)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=volume-chart]') !== window.oldChart"
        " && document.querySelector('[data-testid=volume-chart] .uplot canvas')"
    )
    assert page.locator("#trends-body select[name=query]").input_value() == value
    screenshot("listening-trends")
