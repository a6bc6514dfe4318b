"""From a suggestion in the inbox to a shipped idea, in real Chromium: one click makes the idea,
the status change tells the member in their thread (through the outbox), the public page shows
it, and the member's next message shows "this member's idea shipped"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import PASSWORD, item
from django.utils import timezone

from hearth.channels.actions import create_channel
from hearth.conversations.models import Message
from hearth.core.actions import add_member, create_workspace
from hearth.core.actors import Actor
from hearth.feedback import actions
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture
def lumio(transactional_db, settings):
    settings.HEARTH_FEEDBACK_MATCHER = "features"
    workspace = create_workspace("lumio", name="Lumio", by=Actor.system())
    add_member(workspace, "olivia@lumio.test", role="owner", password=PASSWORD, by=Actor.system())
    channel, _secret = create_channel(workspace, name="Lumio forum", kind="demo", by=Actor.system())
    now = timezone.now() - timedelta(minutes=30)
    first = item("s1", "Please add a dark mode to the app, my eyes hurt at night", author="ana")
    first["created_at"] = now.isoformat()
    ingest_batch(channel, [first])
    actions.create_idea(workspace, title="Export reports to PDF", area="Reports", by=Actor.system())
    return workspace, channel


def _login(page, base):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "olivia@lumio.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_suggestion_to_shipped_idea_and_the_members_notice(page, live_server, lumio, screenshot):
    workspace, channel = lumio
    base = live_server.url
    message = Message.objects.get(channel=channel, external_id="s1")
    _login(page, base)
    page.goto(f"{base}/inbox/t/{message.thread_id}/")
    page.get_by_test_id(f"make-idea-{message.pk}").click()
    page.wait_for_url(re.compile(r"/feedback/\d+/$"))
    assert "dark mode" in page.get_by_test_id("idea-title").inner_text()
    idea_url = page.url
    screenshot("idea-new")

    page.get_by_test_id("status-select").select_option("shipped")
    page.fill("textarea[name=reason]", "Dark mode is out in version 2.4.")
    page.get_by_test_id("set-status").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=idea-status]').textContent.trim() === 'Shipped'"
    )
    assert "1 notice sent" in page.locator("hgroup").inner_text()
    screenshot("idea-shipped")

    # The member is told in their thread: the reply went out through the outbox and is shown.
    page.goto(f"{base}/inbox/t/{message.thread_id}/")
    brand = page.locator("li.msg.brand")
    assert brand.count() == 1
    assert "Dark mode is out in version 2.4." in brand.inner_text()
    assert "shipped" in brand.inner_text()

    # The public page shows the change, with its reason.
    idea_id = idea_url.rstrip("/").rsplit("/", 1)[1]
    page.goto(f"{base}/ideas/{workspace.slug}/{idea_id}/")
    assert page.get_by_test_id("public-status").inner_text().strip() == "Shipped"
    assert "version 2.4" in page.get_by_test_id("public-reason").inner_text()
    screenshot("idea-public")

    # The member writes again: the inbox says their idea shipped.
    again = item("s2", "Thanks, love it!", author="ana", parent="s1")
    again["created_at"] = timezone.now().isoformat()
    ingest_batch(channel, [again])
    page.goto(f"{base}/inbox/t/{message.thread_id}/")
    news = page.get_by_test_id("idea-news")
    assert "shipped" in news.inner_text() and "they were told" in news.inner_text()
    screenshot("idea-inbox-news")


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("width", [1280, 390])
def test_idea_pages_screenshots(browser, live_server, lumio, screenshot_dir, lang, width):
    workspace, channel = lumio
    base = live_server.url
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang)
    page = context.new_page()
    context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
    _login(page, base)
    message = Message.objects.get(channel=channel, external_id="s1")
    idea = actions.idea_from_message(message, by=Actor.system(), title="Dark mode", area="App")
    for name, path in [
        ("home", "/feedback/"),
        ("board", "/feedback/board/"),
        ("idea", f"/feedback/{idea.pk}/"),
        ("settings", "/feedback/settings/"),
        ("public", f"/ideas/{workspace.slug}/"),
        ("public-idea", f"/ideas/{workspace.slug}/{idea.pk}/"),
        ("thread", f"/inbox/t/{message.thread_id}/"),
    ]:
        page.goto(base + path)
        sideways = page.evaluate(
            "() => document.documentElement.scrollWidth > window.innerWidth + 1"
        )
        page.screenshot(
            path=str(screenshot_dir / f"ideas-{name}-{lang}-{width}.png"), full_page=True
        )
        assert not sideways, f"{path} scrolls sideways at {width} px"
    context.close()
