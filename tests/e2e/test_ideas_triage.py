"""The triage board's segment filter and influence sort, the idea page's product area select
and the ideas settings (direct messages, deleting a target), in real Chromium, in English and
French at 1280 and 390 px (screenshots in var/screenshots/ideas-*)."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, item

from hearth.channels.actions import create_channel
from hearth.community.models import Member
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
    ingest_batch(
        channel,
        [
            item("s1", "Please add an export of the reports to PDF", author="ana"),
            item("s2", "PDF export please", author="bob"),
            item("s3", "We really need a dark mode for the app", author="dan"),
        ],
    )
    by = Actor.system()
    actions.save_settings(workspace, by=by, areas="Reports, Mobile")
    msg = {m.external_id: m for m in Message.objects.filter(channel=channel)}
    export = actions.idea_from_message(msg["s1"], by=by, title="Export reports to PDF")
    actions.link_message(export, msg["s2"], by=by)
    actions.update_idea(export, by=by, area="Reports")
    dark = actions.idea_from_message(msg["s3"], by=by, title="Dark mode", area="Mobile")
    Member.objects.filter(workspace=workspace).update(is_newcomer=False)
    people = {p.message.external_id: p.person_key for p in export.people.all()}
    people.update({p.message.external_id: p.person_key for p in dark.people.all()})
    member = {ext: int(key.split(":")[1]) for ext, key in people.items()}
    Member.objects.filter(pk=member["s1"]).update(is_champion=True, influence=12.0)
    Member.objects.filter(pk=member["s2"]).update(is_newcomer=True, influence=1.5)
    Member.objects.filter(pk=member["s3"]).update(is_at_risk=True, is_influencer=True, influence=80)
    legacy = actions.create_idea(workspace, title="Offline mode", area="Legacy app", by=by)
    actions.add_target(
        workspace,
        by=by,
        kind="github",
        name="Roadmap",
        base_url="https://api.github.com",
        project="lumio/roadmap",
        token="ghp_x",
    )
    return workspace, export, dark, legacy


def _login(page, base):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "olivia@lumio.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_board_filters_area_select_and_settings(browser, live_server, lumio, screenshot_dir):
    workspace, export, dark, legacy = lumio
    base = live_server.url
    for lang in ("en", "fr"):
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.set_default_timeout(30_000)
            _login(page, base)
            context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
            page.goto(f"{base}/feedback/board/")
            page.get_by_test_id("sort-select").select_option("influence")
            page.locator("[data-testid=board-filters] button").click()
            page.wait_for_url("**sort=influence**")
            shots = [("board", page)]
            assert page.get_by_test_id("idea-segments").count() == 2
            page.screenshot(
                path=str(screenshot_dir / f"ideas-board-{lang}-{width}.png"), full_page=True
            )
            page.goto(f"{base}/feedback/board/?segment=at_risk")
            assert "Dark mode" in page.get_by_test_id("board").inner_text()
            assert "Export reports" not in page.get_by_test_id("board").inner_text()
            page.goto(f"{base}/feedback/{legacy.pk}/")
            options = page.get_by_test_id("area-select").locator("option").all_inner_texts()
            assert options[1:] == ["Reports", "Mobile", "Legacy app"]
            page.screenshot(
                path=str(screenshot_dir / f"ideas-idea-{lang}-{width}.png"), full_page=True
            )
            page.goto(f"{base}/feedback/settings/")
            page.screenshot(
                path=str(screenshot_dir / f"ideas-settings-{lang}-{width}.png"), full_page=True
            )
            for _name, p in shots:
                scroll, inner = p.evaluate(
                    "[document.scrollingElement.scrollWidth, window.innerWidth]"
                )
                assert scroll <= inner, (lang, width, scroll)
            context.close()

    # Choosing an area and ticking "prefer direct messages" in English at 1280.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    _login(page, base)
    page.goto(f"{base}/feedback/{legacy.pk}/")
    page.get_by_test_id("area-select").select_option("Mobile")
    page.locator("form:has([data-testid=area-select]) button[type=submit]").click()
    page.wait_for_url(f"**/feedback/{legacy.pk}/")
    legacy.refresh_from_db()
    assert legacy.area == "Mobile"
    page.goto(f"{base}/feedback/settings/")
    page.check("input[name=prefer_dm]")
    page.locator("form:has(input[name=prefer_dm]) button[type=submit]").click()
    page.wait_for_url("**/feedback/settings/")
    assert actions.feedback_settings(workspace).prefer_dm is True
    page.get_by_test_id("delete-target").click()
    page.wait_for_url("**/feedback/settings/")
    assert page.get_by_test_id("delete-target").count() == 0
    context.close()
