"""The inbox in real Chromium: filter, open, reply with a saved reply (queued → sent), collision
warning in a second session, keyboard navigation."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.models import OutboxItem
from hearth.core.actions import add_member
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.demo.loader import DEMO_EMAIL, DEMO_PASSWORD, load_demo

SAM_EMAIL = "sam@hearth.local"
SAM_PASSWORD = "sam-is-a-teammate"  # noqa: S105 - a test login


@pytest.fixture
def demo(transactional_db, settings):
    from hearth.demo import loader

    small = (loader.DEMO_WORKSPACES[0].__class__("lumio", "Lumio", 42, members=300, role="owner"),)
    original = loader.DEMO_WORKSPACES
    loader.DEMO_WORKSPACES = small
    try:
        workspaces = load_demo(now=timezone.now())
    finally:
        loader.DEMO_WORKSPACES = original
    add_member(
        workspaces[0],
        SAM_EMAIL,
        role="moderator",
        password=SAM_PASSWORD,
        name="Sam Teammate",
        by=Actor.system(),
    )
    return workspaces[0]


def login(page, base, email, password):
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_triage_reply_with_saved_reply_and_collision(page, browser, live_server, demo, screenshot):
    from hearth.celery import app

    base = live_server.url
    login(page, base, DEMO_EMAIL, DEMO_PASSWORD)
    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url(re.compile(r"/inbox/"))
    assert page.locator(".thread-row").count() > 0
    screenshot("inbox-default")

    # Filter to unanswered neutral questions (a plain question is neutral, docs/analysis.md): the
    # list is replaced by htmx, the URL follows.
    page.locator("select[name=sentiment]").select_option("neutral")
    page.wait_for_url(re.compile(r"sentiment=neutral"))
    page.locator("select[name=intent]").select_option("question")
    page.wait_for_url(re.compile(r"intent=question"))
    page.get_by_label("Unanswered question").check()
    page.wait_for_url(re.compile(r"unanswered=1"))
    rows = page.locator(".thread-row")
    assert rows.count() > 0
    for i in range(min(rows.count(), 5)):
        row = rows.nth(i)
        assert row.locator(".badge.s-neutral").count() == 1
        assert row.locator(".badge.i-question").count() == 1
        assert row.locator(".badge.unanswered").count() == 1
    screenshot("inbox-filtered-negative-questions")

    # Keyboard: j/k move the selection, ? opens the help, Enter opens the conversation.
    page.locator("body").click(position={"x": 5, "y": 5})
    first_id = rows.nth(0).get_attribute("data-thread-id")
    if rows.count() > 1:
        page.keyboard.press("j")
        assert page.locator(".thread-row.selected").get_attribute("data-thread-id") == rows.nth(
            1
        ).get_attribute("data-thread-id")
        page.keyboard.press("k")
    assert page.locator(".thread-row.selected").get_attribute("data-thread-id") == first_id
    page.keyboard.press("?")
    assert page.locator("#key-help").is_visible()
    screenshot("inbox-keyboard-help")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/inbox/t/{first_id}/")
    thread_url = page.url

    # A second teammate opens the same conversation in another browser session.
    other = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    sam = other.new_page()
    sam.set_default_timeout(30_000)
    try:
        login(sam, base, SAM_EMAIL, SAM_PASSWORD)
        sam.goto(thread_url)

        # Camille picks a saved reply: its variables are filled for this author and brand.
        page.locator("#saved-reply").select_option(label="Pairing help")
        page.wait_for_function("() => document.getElementById('reply-text').value.length > 20")
        text = page.locator("#reply-text").input_value()
        assert "{{" not in text and text.startswith("Hi ") and "Lumio" in text
        sam.wait_for_selector("text=Camille is replying…", timeout=30_000)
        screenshot("thread-collision-camille-side")
        sam.screenshot(path="var/screenshots/thread-collision-seen-by-sam.png", full_page=True)

        # Send: without a running worker the reply waits, visibly queued, in the outbox…
        app.conf.task_always_eager = False
        try:
            page.locator("#send-reply").click()
            page.wait_for_selector("[data-testid=outbox] [data-status=queued]")
        finally:
            app.conf.task_always_eager = True
        screenshot("thread-reply-queued")
        # (The demo's own moderation loop has already queued a sanction notice elsewhere.)
        item = OutboxItem.objects.get(workspace=demo, action="reply", payload__text=text)
        assert item.status == "queued" and item.payload["text"] == text

        # …then the worker sends it; the page polls and shows it sent.
        outbox.send(item.pk)
        page.wait_for_selector("[data-testid=outbox] [data-status=sent]", timeout=30_000)
        page.reload()
        assert page.locator(".msg.brand").filter(has_text=text[:30]).count() == 1
        screenshot("thread-reply-sent")

        # Keyboard in the conversation: e closes it.
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("e")
        page.wait_for_load_state()
        page.wait_for_selector("text=Status changed.")
        assert Workspace.objects.get(pk=demo.pk).threads.get(pk=int(first_id)).status == "closed"
    finally:
        other.close()


def test_bulk_bar_shows_the_chosen_field_and_the_poll_keeps_a_selection(page, live_server, demo):
    from hearth.conversations.models import Thread

    base = live_server.url
    login(page, base, DEMO_EMAIL, DEMO_PASSWORD)
    page.goto(f"{base}/inbox/")
    bar = page.get_by_test_id("bulk-bar")
    assert bar.locator("[data-bulk-for=status]").is_visible()
    assert not bar.locator("[data-bulk-for=tag]").is_visible()
    bar.locator("select[name=action]").select_option("tag")
    assert bar.locator("[data-bulk-for=tag]").is_visible()
    assert not bar.locator("[data-bulk-for=status]").is_visible()

    # A ticked row survives the list's 10-second refresh (inbox.js holds the poll back).
    box = page.locator("#thread-list input[name=ids]").first
    thread_id = int(box.get_attribute("value"))
    box.check()
    page.wait_for_timeout(11_000)
    assert page.locator("#thread-list input[name=ids]").first.is_checked()

    bar.locator("[data-bulk-for=tag]").fill("csp-check")
    with page.expect_navigation():
        bar.get_by_role("button", name="Apply").click()
    assert Thread.objects.get(pk=thread_id).tags.filter(name="csp-check").exists()
