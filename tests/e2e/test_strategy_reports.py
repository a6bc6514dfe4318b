"""The strategy page's forms and a report's new sections in real Chromium — screenshots in
English and French, at 1280 and 390 px (var/screenshots)."""

from __future__ import annotations

from datetime import timedelta

from conftest import PASSWORD

from hearth.analytics.models import ChannelDay, Objective
from hearth.analytics.rollups import local_today
from hearth.community.models import Member
from hearth.reports.actions import create_report
from hearth.strategy import actions

NNBSP = "\u202f"


def _login(page, base, email):
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/")


def _data(personas, make_channel, actor):
    ws = personas.workspace
    manager = personas.actor("manager")
    actions.save_media_line(
        ws,
        {
            "platform": "Instagram",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "budget": "1500",
            "objective": "Clicks to the shop",
            "target_results": "400",
            "actual_spend": "1234.5",
            "results": "321",
        },
        by=manager,
    )
    actions.set_target_platform(ws, platform="Instagram", reason="Our buyers are there", by=manager)
    actions.set_editorial_line(
        ws, line="Warm, useful, never pushy.", tone_guide="We say “you”.", by=manager
    )
    for i in range(5):
        Member.objects.create(workspace=ws, person_key=f"m{i}", is_champion=True)
    forum = make_channel(ws, name="Forum", kind="demo")
    today = local_today(ws)
    for i in range(28):
        day = today - timedelta(days=28 - i)
        ChannelDay.objects.create(
            workspace=ws,
            channel=forum,
            day=day,
            messages_in=900 + 40 * i,
            messages_out=120,
            first_responses=3,
            first_response_s=3 * 3600.0 * (2 if i < 14 else 1.5),
        )
    first = today - timedelta(days=14)
    Objective.objects.create(
        workspace=ws,
        name="Livelier forum",
        specific="More member messages",
        kpi="messages_in",
        direction="increase",
        baseline=12000,
        target=30000,
        business_goal="Members who talk buy again",
        start=first,
        deadline=first + timedelta(days=29),
    )
    return create_report(
        ws,
        {
            "name": "Fortnight",
            "sections": ["comparison", "objectives", "kpi_catalogue"],
            "kpis": ["messages_in", "first_response_time", "messages_out"],
            "period": "custom",
            "date_from": first,
            "date_to": today - timedelta(days=1),
        },
        by=actor,
    )


def test_strategy_forms_and_report_sections(
    browser, live_server, personas, make_channel, actor, screenshot_dir
):
    base = live_server.url
    report = _data(personas, make_channel, actor)
    for lang, locale in (
        ("en", "en-GB"),
        ("fr", "fr-FR"),
    ):  # the page's language follows the browser
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
            page = context.new_page()
            page.set_default_timeout(30_000)
            _login(page, base, "manon@acme.test")
            if lang == "en" and width == 1280:
                # A persona created through the form, linked to the champions.
                page.goto(f"{base}/strategy/personas/new/")
                page.get_by_test_id("persona-name").fill("Léa, the loyal fan")
                page.get_by_test_id("persona-segment").select_option("champion")
                page.get_by_test_id("persona-save").click()
                page.wait_for_url(f"{base}/strategy/")
                assert "5 members now" in page.get_by_test_id("personas").inner_text()
                # A bad amount is refused with the field named.
                page.locator("summary", has_text="line of the media plan").click()
                form = page.get_by_test_id("media-form")
                form.locator("input[name=platform]").fill("TikTok")
                form.locator("input[name=period_start]").fill("2026-12-01")
                form.locator("input[name=period_end]").fill("2026-12-31")
                form.locator("input[name=budget]").fill("lots")
                form.get_by_role("button").click()
                page.wait_for_selector("[data-testid=media-form] .error")
                assert "budget" in page.get_by_test_id("media-form").inner_text()
                page.screenshot(
                    path=str(screenshot_dir / "strategy-media-error-en-1280.png"), full_page=True
                )
            page.goto(f"{base}/strategy/")
            budget = page.get_by_test_id("media-budget").first.inner_text()
            assert budget == ("1,500.00" if lang == "en" else f"1{NNBSP}500,00")
            page.screenshot(
                path=str(screenshot_dir / f"strategy-{lang}-{width}.png"), full_page=True
            )
            page.goto(f"{base}/strategy/personas/new/")
            page.screenshot(
                path=str(screenshot_dir / f"strategy-persona-{lang}-{width}.png"), full_page=True
            )
            page.goto(f"{base}/reports/{report.pk}/edit/")
            page.screenshot(
                path=str(screenshot_dir / f"reports-builder-{lang}-{width}.png"), full_page=True
            )
            page.goto(f"{base}/reports/{report.pk}/report.html")
            assert page.locator('[data-section="comparison"] tbody tr').count() == 3
            page.screenshot(
                path=str(screenshot_dir / f"reports-sections-{lang}-{width}.png"), full_page=True
            )
            context.close()
