"""The settings area: business hours as a weekly grid, alert destinations that can be edited,
tested, disabled and deleted, thresholds, the audit log — and the roles and tenancy around them."""

from __future__ import annotations

import pytest

from hearth.analysis.models import WorkspaceAnalysisSettings
from hearth.channels.models import OutboxItem
from hearth.conversations.models import InboxSettings
from hearth.listening.actions import listening_settings
from hearth.notify.actions import add_destination, alert_settings
from hearth.notify.models import Destination


@pytest.fixture
def destination(personas, workspace):
    found, _secret = add_destination(
        workspace, name="On call", kind="email", target="ops@acme.test", by=personas.actor("owner")
    )
    return found


def test_hours_grid_saves_the_week_and_the_time_zone(personas, workspace):
    client = personas.client("manager")
    page = client.get("/settings/hours/").content.decode()
    assert 'data-testid="hours-grid"' in page and "Monday" in page and "<textarea" not in page
    form = {"timezone": "Europe/Brussels", "open_0": "on", "start_0": "08:00", "end_0": "17:30"}
    form |= {"open_5": "on", "start_5": "10:00", "end_5": "12:00", "start_1": "09:00"}
    assert client.post("/settings/hours/", form).status_code == 302
    settings = InboxSettings.objects.get(workspace=workspace)
    assert settings.timezone == "Europe/Brussels"
    assert settings.hours == {"0": ["08:00", "17:30"], "5": ["10:00", "12:00"]}


def test_hours_grid_refuses_a_closing_before_the_opening(personas, workspace):
    client = personas.client("owner")
    response = client.post(
        "/settings/hours/",
        {"timezone": "Europe/Paris", "open_2": "on", "start_2": "18:00", "end_2": "09:00"},
        follow=True,
    )
    assert "must be after opening time" in response.content.decode()
    assert InboxSettings.objects.get(workspace=workspace).hours["2"] == ["09:00", "18:00"]


def test_moderator_reads_the_hours_but_cannot_change_them(personas):
    client = personas.client("moderator")
    assert "disabled" in client.get("/settings/hours/").content.decode()
    assert client.post("/settings/hours/", {"timezone": "UTC"}).status_code == 403


def test_destination_is_edited_tested_disabled_and_deleted(personas, destination):
    client = personas.client("owner")
    base = f"/settings/alerts/{destination.pk}"
    client.post(
        f"{base}/edit/", {"name": "Night shift", "target": "night@acme.test", "is_active": "on"}
    )
    destination.refresh_from_db()
    assert (destination.name, destination.target, destination.is_active) == (
        "Night shift",
        "night@acme.test",
        True,
    )
    client.post(f"{base}/test/")
    assert OutboxItem.objects.filter(transport="email", payload__to=["night@acme.test"]).exists()
    client.post(f"{base}/disable/")
    destination.refresh_from_db()
    assert destination.is_active is False
    assert "disabled" in client.get("/settings/alerts/").content.decode()
    client.post(f"{base}/delete/")
    assert not Destination.objects.filter(pk=destination.pk).exists()


def test_bad_target_is_refused_with_a_message(personas, destination):
    client = personas.client("owner")
    page = client.post(
        f"/settings/alerts/{destination.pk}/edit/",
        {"name": "x", "target": "not-an-address"},
        follow=True,
    ).content.decode()
    assert "e-mail addresses" in page
    destination.refresh_from_db()
    assert destination.target == "ops@acme.test"


def test_destinations_of_another_workspace_are_out_of_reach(personas, destination):
    client = personas.client("outsider")
    assert client.post(f"/settings/alerts/{destination.pk}/delete/").status_code == 404
    assert "On call" not in client.get("/settings/alerts/").content.decode()
    assert (
        personas.client("analyst").post(f"/settings/alerts/{destination.pk}/delete/").status_code
        == 403
    )
    assert Destination.objects.filter(pk=destination.pk).exists()


def test_thresholds_save_analysis_and_detection(personas, workspace):
    client = personas.client("owner")
    client.post(
        "/settings/thresholds/",
        {
            "abuse_threshold": "0.7",
            "spam_threshold": "0.8",
            "sensitivity": "high",
            "quiet_period_minutes": "45",
        },
    )
    row = WorkspaceAnalysisSettings.objects.get(workspace=workspace)
    assert (row.abuse_threshold, row.spam_threshold) == (0.7, 0.8)
    assert listening_settings(workspace).sensitivity == "high"
    assert alert_settings(workspace).quiet_period_minutes == 45
    assert personas.client("moderator").post("/settings/thresholds/", {}).status_code == 403


def test_settings_navigation_follows_the_role(personas):
    owner = personas.client("owner").get("/settings/hours/").content.decode()
    for link in (
        "/settings/alerts/",
        "/settings/thresholds/",
        "/inbox/settings/",
        "/channels/",
        "/settings/audit/",
    ):
        assert f'href="{link}"' in owner
    moderator = personas.client("moderator").get("/settings/hours/").content.decode()
    assert 'href="/settings/audit/"' not in moderator and 'href="/inbox/settings/"' not in moderator
    assert personas.client("owner").get("/audit/").status_code == 301


def test_login_page_shows_the_demo_credentials_only_when_the_demo_is_loaded(
    client, workspace, make_member
):
    from hearth.core.actions import add_member, create_workspace
    from hearth.core.actors import Actor
    from hearth.demo.loader import DEMO_EMAIL, DEMO_PASSWORD

    assert 'data-testid="demo-banner"' not in client.get("/login/").content.decode()
    demo = create_workspace("lumio", name="Lumio", by=Actor.system())
    add_member(demo, DEMO_EMAIL, role="owner", password=DEMO_PASSWORD, by=Actor.system())
    page = client.get("/login/").content.decode()
    assert 'data-testid="demo-banner"' in page and DEMO_EMAIL in page and DEMO_PASSWORD in page


def test_dashboard_tiles_open_the_matching_lists(personas):
    page = personas.client("moderator").get("/").content.decode()
    assert 'href="/inbox/?view=unanswered"' in page and 'href="/moderation/"' in page
    assert 'href="/inbox/?view=negative"' in page
    assert 'href="/moderation/"' not in personas.client("analyst").get("/").content.decode()
