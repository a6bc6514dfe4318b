"""The analytics and reports MCP tools through the SDK's client: the token's workspace only,
roles checked, read-only tokens cannot write, every call audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hearth.analytics.models import ChannelDay, Objective
from hearth.core.models import AuditEvent
from hearth.mcp.tests.test_mcp import data, error, run, token
from hearth.reports.actions import create_report
from hearth.reports.models import ShareLink

DAY = date(2026, 11, 1)


@pytest.fixture
def world(personas, make_channel, actor):
    acme = make_channel(personas.workspace, name="Acme forum")
    globex = make_channel(personas.other_workspace, name="Globex forum")
    for i in range(3):
        ChannelDay.objects.create(
            workspace=personas.workspace,
            channel=acme,
            day=DAY + timedelta(days=i),
            messages_in=i + 1,
        )
        ChannelDay.objects.create(
            workspace=personas.other_workspace,
            channel=globex,
            day=DAY + timedelta(days=i),
            messages_in=1000,
        )
    common = {
        "specific": "x",
        "kpi": "messages_in",
        "direction": "increase",
        "target": 10,
        "business_goal": "y",
        "start": DAY,
        "deadline": DAY + timedelta(days=29),
    }
    Objective.objects.create(workspace=personas.workspace, name="Acme goal", **common)
    Objective.objects.create(workspace=personas.other_workspace, name="Globex secret", **common)
    fields = {
        "name": "Week",
        "sections": ["comparison"],
        "period": "custom",
        "date_from": DAY,
        "date_to": DAY + timedelta(days=2),
    }
    return {
        "acme": acme,
        "globex": globex,
        "report": create_report(personas.workspace, fields, by=actor),
        "foreign": create_report(personas.other_workspace, fields, by=actor),
    }


def test_read_tools_see_only_the_token_workspace(personas, world):
    listing, series, weekly, goals = run(
        token(personas, "analyst", scope="read"),
        [
            ("kpi_list", {}),
            ("kpi_series", {"code": "messages_in", "start": "2026-11-01", "end": "2026-11-03"}),
            (
                "kpi_series",
                {
                    "code": "messages_in",
                    "start": "2026-11-01",
                    "end": "2026-11-03",
                    "channel": world["acme"].slug,
                    "interval": "week",
                },
            ),
            ("objectives", {}),
        ],
    )
    assert "messages_in" in {k["code"] for k in data(listing)}
    got = data(series)
    assert [p["value"] for p in got["points"]] == [1, 2, 3] and got["total"] == 6
    assert [p["value"] for p in data(weekly)["points"]] == [1, 5]  # Sun 1 Nov; Mon 2–Tue 3
    assert [o["name"] for o in data(goals)] == ["Acme goal"]
    assert data(goals)[0]["current"] is not None


def test_bad_input_and_other_workspaces_channels_are_refused(personas, world):
    foreign, bad_day, unknown = run(
        token(personas, "analyst", scope="read"),
        [
            (
                "kpi_series",
                {
                    "code": "messages_in",
                    "start": "2026-11-01",
                    "end": "2026-11-03",
                    "channel": world["globex"].slug,
                },
            ),
            ("kpi_series", {"code": "messages_in", "start": "1 Nov", "end": "2026-11-03"}),
            ("kpi_series", {"code": "likes", "start": "2026-11-01", "end": "2026-11-03"}),
        ],
    )
    assert "not a channel of this workspace" in error(foreign)
    assert "start '1 Nov' is not a date" in error(bad_day)
    assert "kpi 'likes' is unknown" in error(unknown)


def test_render_report_returns_a_share_link_to_the_pdf(personas, world, client):
    (made,) = run(
        token(personas, "analyst"), [("render_report", {"report_id": world["report"].pk})]
    )
    out = data(made)
    assert out["pdf_bytes"] > 1000 and out["period"] == {
        "first": "2026-11-01",
        "last": "2026-11-03",
    }
    path = out["pdf_url"][out["pdf_url"].index("/reports/") :]
    response = client.get(path)
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    link = ShareLink.objects.get(report=world["report"])
    assert link.is_valid and round((link.expires_at - link.created_at).total_seconds() / 86400) == 7
    assert AuditEvent.objects.filter(
        action="mcp.render_report", workspace=personas.workspace, data__outcome="ok"
    ).exists()


def test_another_workspace_report_is_unreachable(personas, world):
    (result,) = run(
        token(personas, "analyst"), [("render_report", {"report_id": world["foreign"].pk})]
    )
    assert "No such report" in error(result)
    assert not ShareLink.objects.exists()


def test_read_only_tokens_and_roles_without_analytics_cannot_write(personas, world):
    (read_only,) = run(
        token(personas, "analyst", scope="read"),
        [("render_report", {"report_id": world["report"].pk})],
    )
    assert "read-only" in error(read_only)
    (viewer,) = run(
        token(personas, "viewer"), [("render_report", {"report_id": world["report"].pk})]
    )
    assert "does not allow" in error(viewer)
    (viewer_read,) = run(token(personas, "viewer"), [("objectives", {})])
    assert "does not allow" in error(viewer_read)
    assert not ShareLink.objects.exists()
    assert AuditEvent.objects.filter(action="mcp.render_report", data__outcome="read_only").exists()
