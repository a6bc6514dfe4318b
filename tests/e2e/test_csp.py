"""The browser tests would notice a Content-Security-Policy violation: this one provokes one."""

from __future__ import annotations

from typing import Any

from conftest import PASSWORD

from hearth.publishing.models import PublishingSettings


def test_an_inline_script_is_blocked_and_reported(
    page: Any, live_server: Any, transactional_db: Any, _no_csp_violation_or_script_error: list[str]
) -> None:
    page.goto(f"{live_server.url}/login/")
    ran = page.evaluate(
        """() => { window.ranInline = false; const s = document.createElement("script");
                   s.textContent = "window.ranInline = true"; document.body.appendChild(s);
                   return window.ranInline; }"""
    )
    assert ran is False
    page.wait_for_timeout(300)  # the report is an event queued after the script
    reported = list(_no_csp_violation_or_script_error)
    assert any("script-src" in text for text in reported), reported
    _no_csp_violation_or_script_error.clear()  # expected here; any other test fails on it


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_shared_behaviours_work_from_static_files(
    page: Any, live_server: Any, personas: Any
) -> None:
    base = live_server.url
    _sign_in(page, base)

    # data-autosubmit: choosing a language submits the switcher.
    page.locator("#language-switcher select").select_option("fr")
    page.wait_for_function("() => document.documentElement.lang === 'fr'")
    page.locator("#language-switcher select").select_option("en")
    page.wait_for_function("() => document.documentElement.lang === 'en'")

    # data-confirm: a dismissed question sends nothing; an accepted one removes the teammate.
    page.goto(f"{base}/team/")
    row = page.locator("tr[data-member='victor@acme.test']")
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Remove").click()
    page.wait_for_timeout(500)
    assert personas.workspace.memberships.filter(user=personas.viewer).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove").click()
    page.wait_for_load_state("load")
    page.wait_for_function("() => !document.querySelector(\"tr[data-member='victor@acme.test']\")")
    assert not personas.workspace.memberships.filter(user=personas.viewer).exists()

    # data-confirm on a submit button: the publishing brake asks first.
    page.goto(f"{base}/publishing/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_test_id("pause").click()
    page.wait_for_timeout(500)
    assert not PublishingSettings.objects.filter(
        workspace=personas.workspace, paused_at__isnull=False
    ).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_test_id("pause").click()
    assert PublishingSettings.objects.filter(
        workspace=personas.workspace, paused_at__isnull=False
    ).exists()

    # data-autoselect: a click selects the token shown once.
    page.goto(f"{base}/account/tokens/")
    page.get_by_label("Name").fill("ci")
    page.get_by_role("button", name="Create the token").click()
    field = page.get_by_label("The new token")
    field.click()
    selected = page.evaluate(
        "() => { const f = document.activeElement; return f.value.slice(f.selectionStart, f.selectionEnd); }"
    )
    assert selected and selected == field.input_value()

    # The API's documentation (Swagger UI, from ninja's own files) runs under the policy.
    page.goto(f"{base}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=30_000)


def test_the_phone_menu_opens_from_the_keyboard(
    browser: Any, live_server: Any, personas: Any
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, live_server.url)
        page.locator(".nav-burger").focus()
        page.keyboard.press("Enter")
        assert page.locator("#nav-toggle").is_checked()
        assert page.get_by_role("link", name="Inbox").is_visible()
    finally:
        context.close()


def test_the_demo_button_signs_in(
    page: Any, live_server: Any, make_workspace: Any, actor: Any
) -> None:
    from hearth.core.actions import add_member
    from hearth.demo.loader import DEMO_EMAIL, DEMO_PASSWORD

    add_member(make_workspace("lumio"), DEMO_EMAIL, role="owner", password=DEMO_PASSWORD, by=actor)
    page.goto(f"{live_server.url}/login/")
    with page.expect_navigation():
        page.get_by_role("button", name="Use the demo account").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_test_id("user-menu").is_visible()
