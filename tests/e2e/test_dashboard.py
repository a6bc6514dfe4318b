"""Log in, switch workspace, watch the dashboard count the live trickle as it arrives."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from hearth.conversations.stats import workspace_stats
from hearth.core.models import Workspace
from hearth.demo.loader import DEMO_EMAIL, DEMO_PASSWORD, load_demo
from hearth.demo.tasks import trickle_once


@pytest.fixture
def demo(transactional_db, settings):
    from hearth.demo import loader

    # Two small demo workspaces: the real generator and pipeline, at a size a test can afford.
    small = tuple(
        spec.__class__(spec.slug, spec.name, spec.seed, members=300, role=spec.role)
        for spec in loader.DEMO_WORKSPACES
    )
    settings.HEARTH_DEMO_TRICKLE_SECONDS = 5
    original = loader.DEMO_WORKSPACES
    loader.DEMO_WORKSPACES = small
    try:
        yield load_demo(now=timezone.now())
    finally:
        loader.DEMO_WORKSPACES = original


def _total(page) -> int:
    return int(re.sub(r"\D", "", page.get_by_test_id("total-messages").inner_text()))


def test_login_switch_workspace_and_see_live_counts(page, live_server, demo, screenshot):
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.get_by_label("E-mail address").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Lumio"

    with page.expect_navigation():
        page.locator("#ws-select").select_option("lumio-agency-client")
    assert page.locator("h1").inner_text() == "Lumio Pro (client)"
    screenshot("dashboard-other-workspace")
    with page.expect_navigation():
        page.locator("#ws-select").select_option("lumio")
    assert page.locator("h1").inner_text() == "Lumio"

    before = _total(page)
    assert before > 0
    screenshot("dashboard-before-trickle")
    lumio = Workspace.objects.get(slug="lumio")
    created = sum(trickle_once(lumio.pk, max_items=6) for _ in range(3))
    assert created > 0
    # The trickle may write brand replies too, which the community's total leaves out: the page
    # must reach the total of what is stored now, without a reload.
    expected = workspace_stats(lumio)["messages"]
    assert expected > before
    page.wait_for_function(
        f"() => parseInt(document.querySelector('[data-testid=total-messages]')?.innerText.replace(/\\D/g, '')) >= {expected}",
        timeout=30_000,
    )
    assert _total(page) == expected
    screenshot("dashboard-after-trickle")


def test_dashboard_in_french(page, live_server, demo, screenshot):
    page.goto(f"{live_server.url}/login/")
    with page.expect_navigation():
        page.locator("select[name=language]").select_option("fr")
    page.get_by_label("Adresse e-mail").fill(DEMO_EMAIL)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_text("En attente de réponse").is_visible()
    screenshot("dashboard-fr")
