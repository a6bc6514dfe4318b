"""The Settings area's writes are allowed to the same roles whichever way they come: the page,
the API and the action itself (which the CLI and tasks call) agree. Owners and managers
(MANAGE_CHANNELS) change thresholds and detection, alert destinations, the quiet period,
business hours and the handoff; moderators, analysts and viewers do not."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from hearth.analysis.actions import set_thresholds
from hearth.analysis.models import WorkspaceAnalysisSettings
from hearth.conversations.actions.settings import update_inbox_settings
from hearth.conversations.models import InboxSettings
from hearth.listening.actions import update_settings
from hearth.notify.actions import add_destination, set_quiet_period
from hearth.notify.models import Destination

ROLES = [
    ("owner", True),
    ("manager", True),
    ("moderator", False),
    ("analyst", False),
    ("viewer", False),
]


@pytest.mark.parametrize(("role", "allowed"), ROLES)
def test_the_actions_check_the_role(personas, workspace, role, allowed):
    by = personas.actor(role)
    writes = [
        lambda: set_thresholds(workspace, abuse=0.8, by=by),
        lambda: update_settings(workspace, sensitivity="high", quiet_period_minutes=10, by=by),
        lambda: set_quiet_period(workspace, 20, by=by),
        lambda: add_destination(
            workspace, name="Ops", kind="email", target="ops@example.org", by=by
        ),
        lambda: update_inbox_settings(workspace, timezone="Europe/Berlin", by=by),
    ]
    for write in writes:
        if allowed:
            write()
        else:
            with pytest.raises(PermissionDenied):
                write()
    assert WorkspaceAnalysisSettings.objects.filter(abuse_threshold=0.8).exists() is allowed
    assert Destination.objects.filter(workspace=workspace).exists() is allowed
    assert InboxSettings.objects.filter(timezone="Europe/Berlin").exists() is allowed


@pytest.mark.parametrize(("role", "allowed"), ROLES)
def test_thresholds_page_and_api_agree(personas, workspace, client, role, allowed):
    page = personas.client(role).post(
        "/settings/thresholds/",
        {
            "abuse_threshold": "0.7",
            "spam_threshold": "0.8",
            "sensitivity": "high",
            "quiet_period_minutes": "45",
        },
    )
    api = client.put(
        "/api/v1/workspaces/acme/analysis/settings",
        {"spam_threshold": 0.6},
        content_type="application/json",
        **personas.auth(role),
    )
    if allowed:
        assert (page.status_code, api.status_code) == (302, 200)
        row = WorkspaceAnalysisSettings.objects.get(workspace=workspace)
        assert (row.abuse_threshold, row.spam_threshold) == (0.7, 0.6)
    else:
        assert (page.status_code, api.status_code) == (403, 403)
        assert not WorkspaceAnalysisSettings.objects.exists()


@pytest.mark.parametrize(("role", "allowed"), ROLES)
def test_alert_destinations_and_hours_pages_agree(personas, workspace, role, allowed):
    client = personas.client(role)
    added = client.post(
        "/settings/alerts/",
        {"name": "Ops", "kind": "email", "target": "ops@example.org"},
    )
    hours = client.post("/settings/hours/", {"timezone": "Europe/Berlin"})
    if allowed:
        assert added.status_code == 302 and hours.status_code == 302
        assert Destination.objects.filter(workspace=workspace, name="Ops").exists()
    else:
        assert (added.status_code, hours.status_code) == (403, 403)
        assert not Destination.objects.exists()
        assert not InboxSettings.objects.filter(timezone="Europe/Berlin").exists()


def test_another_workspaces_thresholds_cannot_be_changed(personas, other_workspace, client):
    response = client.put(
        "/api/v1/workspaces/globex/analysis/settings",
        {"abuse_threshold": 0.9},
        content_type="application/json",
        **personas.auth("owner"),
    )
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        set_thresholds(other_workspace, abuse=0.9, by=personas.actor("manager"))
    assert not WorkspaceAnalysisSettings.objects.exists()
