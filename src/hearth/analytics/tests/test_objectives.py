"""SMART objectives: baseline, progress, forecast, status, the drift alert; API and CLI."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hearth.analytics.actions import check_objective, create_objective
from hearth.analytics.models import ChannelDay, Objective
from hearth.analytics.objectives import progress
from hearth.core.actions import ActionError
from hearth.notify.models import Alert


def _days(workspace, channel, values: dict[date, int]) -> None:
    for day, n in values.items():
        ChannelDay.objects.update_or_create(
            channel=channel, day=day, defaults={"workspace": workspace, "messages_in": n}
        )


def _objective(workspace, actor, **kw):
    base = dict(
        name="Talk more",
        specific="More member messages on the forum",
        kpi="messages_in",
        target=100,
        business_goal="A livelier community retains customers",
        start=date(2026, 3, 1),
        deadline=date(2026, 3, 10),
        by=actor,
    )
    base.update(kw)
    return create_objective(workspace, **base)


def test_baseline_is_the_same_length_before_the_start(workspace, forum, actor):
    _days(workspace, forum, {date(2026, 2, 20): 7, date(2026, 2, 28): 5, date(2026, 2, 18): 99})
    objective = _objective(workspace, actor)
    assert objective.baseline == 12.0  # 19–28 February: 7 + 5 (the 18th is outside)
    assert objective.direction == "increase"


def test_count_progress_forecasts_the_pace_and_alerts_once_when_off_course(workspace, forum, actor):
    objective = _objective(workspace, actor)
    # 4 of 10 days, 30 messages: pace 7.5/day → 75 at the deadline, short of 100 − 10 %.
    _days(workspace, forum, {date(2026, 3, 1): 10, date(2026, 3, 2): 5, date(2026, 3, 4): 15})
    result = progress(objective, date(2026, 3, 4))
    assert result.current == 30.0 and result.forecast == 75.0
    assert [v for _, v in result.actual] == [10.0, 15.0, 15.0, 30.0]
    check_objective(objective, today=date(2026, 3, 4))
    objective.refresh_from_db()
    assert objective.status == "off_course"
    alerts = Alert.objects.filter(workspace=workspace, source="analytics", kind="objective")
    assert alerts.count() == 1 and "Talk more" in alerts.get().title
    check_objective(objective, today=date(2026, 3, 4))  # still off course: no second alert
    assert alerts.count() == 1
    _days(workspace, forum, {date(2026, 3, 4): 40})  # 55 in 4 days → 137.5
    check_objective(objective, today=date(2026, 3, 4))
    objective.refresh_from_db()
    assert objective.status == "on_track" and objective.forecast == 137.5


def test_level_objective_uses_the_least_squares_line(workspace, forum, actor):
    objective = _objective(
        workspace,
        actor,
        kpi="net_sentiment",
        target=50,
        start=date(2026, 3, 1),
        deadline=date(2026, 3, 5),
    )
    for day, pos, neg in ((1, 1, 1), (2, 2, 1), (3, 3, 1)):  # net 0, 33.33, 50
        ChannelDay.objects.update_or_create(
            channel=forum,
            day=date(2026, 3, day),
            defaults={
                "workspace": workspace,
                "messages_in": pos + neg,
                "positive": pos,
                "negative": neg,
            },
        )
    result = progress(objective, date(2026, 3, 3))
    # Fit through (0, 0), (1, 33.33), (2, 50): slope 25, intercept 2.7778 → x=4: 102.78.
    assert result.current == 50.0
    assert result.forecast == pytest.approx(102.78, abs=0.01)
    assert result.status == "on_track"


def test_finished_objectives_are_achieved_or_missed(workspace, forum, actor):
    objective = _objective(workspace, actor, target=20)
    _days(workspace, forum, {date(2026, 3, 5): 25})
    assert progress(objective, date(2026, 3, 20)).status == "achieved"
    objective.target = 30
    assert progress(objective, date(2026, 3, 20)).status == "missed"
    assert progress(objective, date(2026, 2, 1)).status == "pending"


def test_each_smart_field_is_required_with_a_clear_error(workspace, actor):
    with pytest.raises(ActionError, match="business_goal is empty"):
        _objective(workspace, actor, business_goal=" ")
    with pytest.raises(ActionError, match="deadline must come after start"):
        _objective(workspace, actor, deadline=date(2026, 2, 1))
    with pytest.raises(ActionError, match="unknown"):
        _objective(workspace, actor, kpi="vibes")
    with pytest.raises(ActionError, match="no figures yet"):
        _objective(workspace, actor, kpi="community_shape")


def test_web_form_creates_the_objective_and_shows_the_baseline(personas, forum):
    client = personas.client("analyst")
    page = client.get(
        "/analytics/objectives/new/?kpi=messages_in&start=2026-03-01&deadline=2026-03-10"
    )
    assert 'data-testid="baseline"' in page.content.decode()
    bad = client.post(
        "/analytics/objectives/new/",
        {
            "name": "x",
            "specific": "y",
            "kpi": "messages_in",
            "target": "lots",
            "business_goal": "z",
            "start": "2026-03-01",
            "deadline": "2026-03-10",
        },
    )
    assert bad.status_code == 400 and "target is not a number" in bad.content.decode()
    done = client.post(
        "/analytics/objectives/new/",
        {
            "name": "Talk more",
            "specific": "y",
            "kpi": "messages_in",
            "target": "1 500",
            "business_goal": "z",
            "start": "2026-03-01",
            "deadline": "2026-03-10",
        },
    )
    objective = Objective.objects.get(workspace=personas.workspace)
    assert done.status_code == 302 and objective.target == 1500
    detail = client.get(f"/analytics/objectives/{objective.pk}/").content.decode()
    assert 'data-testid="objective-status"' in detail


def test_api_series_equals_the_csv_and_objectives_are_scoped(personas, small):
    client = personas.client("analyst")
    api = client.get(
        "/api/v1/workspaces/acme/analytics/kpis/net_sentiment/series?start=2026-03-01&end=2026-03-04",
        **personas.auth("analyst"),
    )
    assert api.status_code == 200, api.content
    points = [(p["bucket"], p["value"]) for p in api.json()["points"]]
    assert points == [
        ("2026-03-01", None),
        ("2026-03-02", 25.0),
        ("2026-03-03", None),
        ("2026-03-04", -100.0),
    ]
    csv_text = client.get(
        "/analytics/kpis/net_sentiment.csv?from=2026-03-01&to=2026-03-04"
    ).content.decode()
    assert csv_text.splitlines()[1:] == [
        "2026-03-01,",
        "2026-03-02,25",
        "2026-03-03,",
        "2026-03-04,-100",
    ]
    made = client.post(
        "/api/v1/workspaces/acme/analytics/objectives",
        json.dumps(
            {
                "name": "N",
                "specific": "S",
                "kpi": "messages_in",
                "target": 10,
                "business_goal": "G",
                "start": "2026-03-01",
                "deadline": "2026-03-31",
            }
        ),
        content_type="application/json",
        **personas.auth("analyst"),
    )
    assert made.status_code == 201, made.content
    oid = made.json()["id"]
    assert client.get(
        f"/api/v1/workspaces/acme/analytics/objectives/{oid}", **personas.auth("analyst")
    ).json()["actual"]
    outsider = personas.client("outsider")
    assert (
        outsider.get(
            f"/api/v1/workspaces/acme/analytics/objectives/{oid}", **personas.auth("outsider")
        ).status_code
        == 404
    )
    assert (
        outsider.get(
            "/api/v1/workspaces/acme/analytics/kpis", **personas.auth("outsider")
        ).status_code
        == 404
    )
    assert (
        client.get("/api/v1/workspaces/acme/analytics/kpis", **personas.auth("viewer")).status_code
        == 403
    )
    bad = client.get(
        "/api/v1/workspaces/acme/analytics/kpis/messages_in/series?start=2026-03-05&end=2026-03-01",
        **personas.auth("analyst"),
    )
    assert bad.status_code == 400 and "before the start" in bad.json()["detail"]


def test_cli_series_backfill_and_objectives(workspace, small, personas):
    out = StringIO()
    call_command(
        "kpi",
        "backfill",
        "--workspace",
        "acme",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-04",
        stdout=out,
    )
    assert "4 day(s)" in out.getvalue()
    out = StringIO()
    call_command(
        "kpi",
        "series",
        "messages_in",
        "--workspace",
        "acme",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-04",
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue()) == [
        {"bucket": "2026-03-02", "value": 4.0},
        {"bucket": "2026-03-03", "value": 0.0},
        {"bucket": "2026-03-04", "value": 1.0},
    ]
    out = StringIO()
    call_command(
        "objective",
        "create",
        "--workspace",
        "acme",
        "--name",
        "N",
        "--specific",
        "S",
        "--kpi",
        "messages_in",
        "--target",
        "10",
        "--goal",
        "G",
        "--start",
        "2026-03-01",
        "--deadline",
        "2026-03-31",
        "--json",
        stdout=out,
    )
    oid = json.loads(out.getvalue())["id"]
    with pytest.raises(CommandError, match="may not"):
        call_command("objective", "list", "--workspace", "acme", "--as", "victor@acme.test")
    with pytest.raises(CommandError, match="not a member"):
        call_command(
            "objective",
            "show",
            "--workspace",
            "acme",
            "--id",
            str(oid),
            "--as",
            "oscar@globex.test",
        )
    with pytest.raises(CommandError, match="No objective"):
        call_command("objective", "show", "--workspace", "globex", "--id", str(oid))
