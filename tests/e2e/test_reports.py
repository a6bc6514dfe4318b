"""Reports in real Chromium: build a report in the page, preview it in its own language, share a
read-only link and open it signed out — screenshots in English and French, 1280 and 390 px."""

from __future__ import annotations

from conftest import PASSWORD

from hearth.reports.models import Report


def _login(page, base, email):
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_build_a_report_and_open_its_share_link(
    browser, page, live_server, personas, screenshot_dir
):
    base = live_server.url
    _login(page, base, "anna@acme.test")  # an analyst
    page.goto(f"{base}/reports/")
    page.get_by_test_id("report-new").click()
    page.get_by_test_id("report-name").fill("Lumio — monthly")
    page.get_by_test_id("section-crises").check()
    page.get_by_test_id("section-top_posts").uncheck()
    page.get_by_test_id("report-language").select_option("fr")
    page.get_by_test_id("report-schedule").select_option("monthly")
    page.get_by_test_id("report-recipients").fill("client@lumio.test")
    page.screenshot(path=str(screenshot_dir / "en-1280-reports_new.png"), full_page=True)
    page.get_by_test_id("report-save").click()
    page.wait_for_function("() => document.querySelector('[data-testid=report-body]') !== null")
    report = Report.objects.get(name="Lumio — monthly")
    assert report.sections == ["kpis", "sentiment", "crises"]
    body = page.get_by_test_id("report-body")
    # The report speaks French while the page around it speaks the viewer's English.
    assert "Vue d’ensemble des indicateurs" in body.inner_text()
    assert "Download the PDF" in page.inner_text("main")
    assert page.locator("[data-section=top_posts]").count() == 0
    page.screenshot(path=str(screenshot_dir / "en-1280-reports_detail.png"), full_page=True)

    page.get_by_test_id("share-create").click()
    url = page.get_by_test_id("share-url").input_value()
    assert "/reports/shared/" in url
    path = url.split("/reports/shared/", 1)[1]

    visitor = browser.new_context(viewport={"width": 390, "height": 900}, locale="en-GB")
    public = visitor.new_page()
    public.goto(f"{base}/reports/shared/{path}")
    public.wait_for_function("() => document.querySelector('[data-section=crises]') !== null")
    assert "Lumio — monthly" in public.inner_text("h1")
    assert public.get_by_test_id("report-pdf").is_visible()
    scroll, inner = public.evaluate(
        "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    assert scroll <= inner
    public.screenshot(path=str(screenshot_dir / "fr-390-reports_shared.png"), full_page=True)

    # Revoked in the page: the visitor's next visit finds the link gone.
    page.get_by_test_id("share-revoke").click()
    page.wait_for_function("() => document.querySelector('[data-testid=share-revoke]') === null")
    public.goto(f"{base}/reports/shared/{path}")
    assert public.get_by_test_id("shared-gone").is_visible()
    visitor.close()

    for lang in ("en", "fr"):
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900})
            other = context.new_page()
            _login(other, base, "anna@acme.test")
            context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
            for name, target in (
                ("reports", "/reports/"),
                ("reports_edit", f"/reports/{report.pk}/edit/"),
                ("reports_detail", f"/reports/{report.pk}/"),
            ):
                other.goto(f"{base}{target}")
                other.wait_for_load_state("networkidle")
                scroll, inner = other.evaluate(
                    "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
                )
                assert scroll <= inner, (lang, width, target, scroll)
                other.screenshot(
                    path=str(screenshot_dir / f"{lang}-{width}-{name}.png"), full_page=True
                )
            context.close()


def test_strategy_page_in_both_languages_and_widths(
    browser, live_server, personas, actor, screenshot_dir
):
    from hearth.strategy import actions

    workspace = personas.workspace
    actions.save_persona(
        workspace,
        {
            "name": "Léa, 34",
            "demographics": "Lyon, two children",
            "goals": "A calm home",
            "tone": "warm",
        },
        by=actor,
    )
    actions.set_target_platform(
        workspace, platform="Instagram", reason="Ideas for the home", by=actor
    )
    actions.save_media_line(
        workspace,
        {
            "platform": "Instagram",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "budget": "1500",
            "actual_spend": "1200",
            "results": "600",
        },
        by=actor,
    )
    base = live_server.url
    for lang in ("en", "fr"):
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            _login(page, base, "manon@acme.test")
            context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
            page.goto(f"{base}/reports/")
            page.get_by_test_id("strategy-link").click()
            page.wait_for_function(
                "() => document.querySelector('[data-testid=media-plan]') !== null"
            )
            assert "2.00" in page.inner_text(
                "[data-testid=media-plan]"
            ) or "2,00" in page.inner_text("[data-testid=media-plan]")
            scroll, inner = page.evaluate(
                "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
            )
            assert scroll <= inner, (lang, width, scroll)
            page.screenshot(
                path=str(screenshot_dir / f"{lang}-{width}-strategy.png"), full_page=True
            )
            context.close()
