"""Analytics in real Chromium: the dashboard's date range, a bar drilled down to its messages,
and a SMART objective created through the guided form — screenshots in English and French, at
1280 and 390 px."""

from __future__ import annotations

from datetime import date, timedelta

from conftest import PASSWORD

from hearth.analytics.rollups import local_today, roll_up_days
from hearth.analytics.tests.conftest import ingest, msg


def _login(page, base, email):
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def _data(personas, make_channel) -> tuple[date, date]:
    forum = make_channel(
        personas.workspace, name="Forum", kind="demo", config={"brand_author_ids": ["acme"]}
    )
    today = local_today(personas.workspace)
    day = today - timedelta(days=3)
    iso = f"{day.isoformat()}T10:00:00"
    ingest(
        forum,
        [
            msg("a", iso, author="zoe", sentiment="positive"),
            msg("b", iso.replace("T10", "T11"), author="yan", sentiment="negative"),
            msg("c", iso.replace("T10", "T12"), author="max", sentiment="positive"),
        ],
    )
    roll_up_days(personas.workspace, today - timedelta(days=40), today)
    return day, today


def test_date_range_drill_down_and_objective(
    page, browser, live_server, personas, make_channel, screenshot_dir
):
    base = live_server.url
    day, today = _data(personas, make_channel)
    _login(page, base, "anna@acme.test")

    # The date range: a week around the busy day, applied from the form.
    page.goto(f"{base}/analytics/")
    page.get_by_label("From").fill((day - timedelta(days=2)).isoformat())
    page.get_by_label("To").fill((day + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(lambda url: f"from={(day - timedelta(days=2)).isoformat()}" in url)
    bars = page.locator('[data-testid="chart-messages_in"] rect.bar')
    assert bars.count() == 5
    assert page.get_by_test_id("card-messages_in").locator("strong").inner_text() == "3"
    page.screenshot(path=str(screenshot_dir / "analytics-dashboard-en-1280.png"), full_page=True)

    # Drill down: the busy day's bar lists its three messages.
    page.locator(
        f'[data-testid="chart-messages_in"] a:has(rect[data-day="{day.isoformat()}"])'
    ).click()
    page.wait_for_url(lambda url: "/drill/" in url)
    rows = page.locator('[data-testid="drill-rows"] tbody tr')
    assert rows.count() == 3
    assert "message a" in page.get_by_test_id("drill-rows").inner_text()
    page.screenshot(path=str(screenshot_dir / "analytics-drill-en-1280.png"), full_page=True)

    # A SMART objective, guided: the baseline is shown before creating it.
    page.goto(f"{base}/analytics/objectives/")
    page.get_by_test_id("new-objective").click()
    page.locator("input[name=name]").fill("Livelier forum")
    page.locator("textarea[name=specific]").fill("Twice the member messages on the forum")
    page.locator("select[name=kpi]").select_option("messages_in")
    page.locator("input[name=start]").fill(today.isoformat())
    page.locator("input[name=deadline]").fill((today + timedelta(days=5)).isoformat())
    page.get_by_test_id("refresh-baseline").click()
    # The button reloads the form by GET; while the new page loads, the
    # element may not exist yet, so the check must not throw on null.
    page.wait_for_url(lambda url: "kpi=messages_in" in url)
    page.wait_for_function(
        "() => { const el = document.querySelector('[data-testid=baseline] strong');"
        " return el !== null && el.textContent.trim() === '3.0'; }"
    )
    page.locator("input[name=target]").fill("6")
    page.locator("textarea[name=business_goal]").fill("Retention: members who talk stay")
    page.screenshot(
        path=str(screenshot_dir / "analytics-objective-form-en-1280.png"), full_page=True
    )
    page.get_by_test_id("create-objective").click()
    page.wait_for_url(
        lambda url: "/analytics/objectives/" in url and url.rstrip("/").split("/")[-1].isdigit()
    )
    assert page.locator("h1").inner_text().startswith("Livelier forum")
    assert page.get_by_test_id("objective-status").inner_text() in (
        "not started",
        "off course",
        "on track",
    )
    page.screenshot(path=str(screenshot_dir / "analytics-objective-en-1280.png"), full_page=True)

    # The same pages in French and on a phone: nothing scrolls sideways.
    objective_url = page.url
    overflowing: list[tuple[str, int, str, int]] = []
    for lang in ("fr", "en"):
        for width in (390, 1280):
            context = browser.new_context(viewport={"width": width, "height": 900})
            phone = context.new_page()
            _login(phone, base, "anna@acme.test")
            context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
            for name, path in (
                (
                    "dashboard",
                    f"/analytics/?from={(day - timedelta(days=6)).isoformat()}&to={today.isoformat()}",
                ),
                ("objective", objective_url.replace(base, "")),
                ("objective-form", "/analytics/objectives/new/"),
                ("behaviour", "/analytics/behaviour/"),
                ("kpi", "/analytics/kpis/active_members_ratio/"),
            ):
                phone.goto(f"{base}{path}")
                scroll, inner = phone.evaluate(
                    "[document.scrollingElement.scrollWidth, window.innerWidth]"
                )
                assert scroll <= inner, (lang, width, name, scroll)
                phone.screenshot(
                    path=str(screenshot_dir / f"analytics-{name}-{lang}-{width}.png"),
                    full_page=True,
                )
            if lang == "fr":
                phone.goto(f"{base}/analytics/")
                assert "Statistiques" in phone.locator("h1").inner_text()
            context.close()
    assert overflowing == []
