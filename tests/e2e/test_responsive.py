"""Every main page is usable on a phone (390 px) and on a desktop (1280 px): nothing scrolls
sideways, the navigation collapses to a menu on the phone; Enter in the tags field adds a tag."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.community.models import Member
from hearth.conversations.models import Thread
from hearth.core.actors import Actor
from hearth.demo.loader import DEMO_EMAIL, DEMO_PASSWORD, load_demo
from hearth.listening.models import CrisisRoom


@pytest.fixture
def demo(transactional_db):
    from hearth.demo import loader

    small = tuple(
        spec.__class__(spec.slug, spec.name, spec.seed, members=300, role=spec.role)
        for spec in loader.DEMO_WORKSPACES[:1]
    )
    original = loader.DEMO_WORKSPACES
    loader.DEMO_WORKSPACES = small
    try:
        yield load_demo(now=timezone.now())
    finally:
        loader.DEMO_WORKSPACES = original


def _pages(workspace) -> list[str]:
    thread = Thread.objects.filter(workspace=workspace).order_by("-last_message_at").first()
    pages = [
        "/",
        "/inbox/",
        f"/inbox/t/{thread.pk}/",
        "/moderation/",
        "/moderation/sanctions/",
        "/moderation/log/",
        "/moderation/rules/",
        "/listening/",
        "/listening/trends/",
        "/listening/alerts/",
        "/channels/",
        "/channels/apps/tiktok/",
        "/channels/apps/pinterest/",
        "/channels/apps/x/",
        "/channels/add/whatsapp/",
        "/settings/hours/",
        "/settings/alerts/",
        "/settings/thresholds/",
        "/settings/audit/",
        "/feedback/",
        "/feedback/board/",
        "/feedback/settings/",
        f"/ideas/{workspace.slug}/",
        "/analytics/",
        "/analytics/kpis/",
        "/analytics/kpis/first_response_time/",
        "/analytics/behaviour/",
        "/analytics/objectives/",
        "/analytics/objectives/new/",
        "/analytics/conversions/",
    ]
    from hearth.core.actors import Actor
    from hearth.reports.actions import create_report

    report = create_report(
        workspace,
        {
            "name": "Monthly",
            "sections": ["kpis", "top_posts", "top_members"],
            "period": "last_30_days",
        },
        by=Actor.system(),
    )
    pages += ["/reports/", "/reports/new/", f"/reports/{report.pk}/", "/strategy/"]
    pages += ["/community/", "/community/members/", "/community/settings/"]
    member = Member.objects.filter(workspace=workspace).order_by("-message_count").first()
    if member is not None:
        pages.append(f"/community/members/{member.pk}/")
    room = CrisisRoom.objects.filter(workspace=workspace).first()
    if room is not None:
        pages.append(f"/listening/crisis/{room.pk}/")
    return pages + _animation_pages(workspace)


def _animation_pages(workspace) -> list[str]:
    """A drawn contest, a full event with a waiting list and a poll, with their public pages."""
    from hearth.animation.actions import contests, events, polls

    by = Actor.system()
    contest = contests.create_contest(
        workspace, title="Spring lamp giveaway", rules="Win a lamp.", winners_count=2, by=by
    )
    for n in range(6):
        contests.enter_by_form(
            contest, name=f"Entrant {n}", email=f"e{n}@example.org", accept_rules=True
        )
    contests.freeze_contest(contest, by=by)
    contests.draw_contest(contest, by=by)
    event = events.create_event(
        workspace,
        title="Repair café",
        starts_at=timezone.now() + timedelta(days=3),
        capacity=2,
        by=by,
    )
    registrations = [
        events.register(event, name=f"Guest {n}", email=f"g{n}@example.org") for n in range(3)
    ]
    poll = polls.create_poll(
        workspace, question="Which colour next?", options=["Amber", "Teal"], by=by
    )
    return [
        "/animation/",
        "/animation/contests/new/",
        f"/animation/contests/{contest.pk}/",
        "/animation/events/new/",
        f"/animation/events/{event.pk}/",
        "/animation/polls/new/",
        f"/animation/polls/{poll.pk}/",
        f"/c/{contest.public_token}/",
        f"/e/{event.public_token}/",
        f"/e/r/{registrations[2].token}/",
        f"/p/{poll.public_token}/",
        "/animation/faq/",
        f"/faq/{workspace.slug}/",
    ]


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", DEMO_EMAIL)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")


# Full-page screenshots of every page cost more than the check itself: they are taken for the
# pages that overflow, and for all of them with HEARTH_RESPONSIVE_SCREENSHOTS=1 (to look at them).
ALL_SCREENSHOTS = os.environ.get("HEARTH_RESPONSIVE_SCREENSHOTS") == "1"


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_page_scrolls_sideways_on_a_phone_or_a_desktop(
    browser, live_server, demo, lang, width, screenshot_dir
):
    overflowing = []
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    _sign_in(page, live_server.url)
    context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    for path in _pages(demo[0]):
        # `goto` returns once the page and its style sheets have loaded: enough to measure.
        page.goto(f"{live_server.url}{path}")
        scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            overflowing.append((width, path, scroll))
        if scroll > inner or ALL_SCREENSHOTS:
            name = path.strip("/").replace("/", "_") or "dashboard"
            page.screenshot(path=str(screenshot_dir / f"{lang}-{width}-{name}.png"), full_page=True)
    context.close()
    assert overflowing == []


def test_navigation_collapses_to_a_menu_on_a_phone(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server.url)
    inbox = page.locator(".nav-main a", has_text="Inbox")
    assert page.locator(".nav-burger").is_visible() and not inbox.is_visible()
    page.locator(".nav-burger").click()
    assert inbox.is_visible()
    inbox.click()
    page.wait_for_url(f"{live_server.url}/inbox/")
    context.close()
    desktop = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desktop.new_page()
    _sign_in(page, live_server.url)
    assert not page.locator(".nav-burger").is_visible()
    assert page.locator(".nav-main a", has_text="Inbox").is_visible()
    desktop.close()


def test_enter_in_the_tags_field_adds_a_tag_and_keeps_the_others(page, live_server, demo):
    thread = Thread.objects.filter(workspace=demo[0]).order_by("-last_message_at").first()
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/inbox/t/{thread.pk}/")
    field = page.get_by_label("Add tags")
    field.fill("first")
    with page.expect_navigation():
        field.press("Enter")
    field = page.get_by_label("Add tags")
    field.fill("second")
    with page.expect_navigation():
        field.press("Enter")
    tags = page.locator(".tag-list .tag").all_inner_texts()
    assert any("#first" in t for t in tags) and any("#second" in t for t in tags)


def test_the_criticism_removed_only_checkbox_is_a_real_checkbox(page, live_server, demo):
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/moderation/log/")
    box = page.locator("input[name=criticism]").bounding_box()
    assert box is not None and box["width"] >= 12 and box["height"] >= 12
    page.locator("input[name=criticism]").check()
    assert page.locator("input[name=criticism]").is_checked()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_top_menu_holds_on_one_line_on_a_desktop(
    browser, live_server, demo, lang, screenshot_dir
):
    # Sections split over two rows at 1280 px push every page down and read as two menus.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server.url)
    context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    page.goto(f"{live_server.url}/")
    # Items are on one line when every one overlaps every other vertically.
    one_line = """(sel) => {
        const boxes = [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect());
        return Math.max(...boxes.map(b => b.top)) < Math.min(...boxes.map(b => b.bottom));
    }"""
    sections = page.evaluate(one_line, ".topnav .nav-main > li")
    tools = page.evaluate(one_line, ".topnav .nav-tools > li")
    page.screenshot(path=str(screenshot_dir / f"topnav-{lang}-1280.png"))
    context.close()
    assert sections, f"the sections run over more than one line at 1280 px ({lang})"
    assert tools, f"the workspace, language and account menus break their line ({lang})"
