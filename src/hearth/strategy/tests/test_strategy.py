"""The strategy workspace: personas, line, platforms, competitors and their benchmark, media plan."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from hearth.core.actions import ActionError
from hearth.listening.actions import create_query
from hearth.listening.rollups import roll_up
from hearth.pipeline.ingest import ingest_batch
from hearth.strategy import actions
from hearth.strategy.benchmark import benchmark
from hearth.strategy.models import MediaPlanLine


def msg(ext, author, text, when, likes=0):
    return {
        "external_id": ext,
        "kind": "post",
        "author": {"external_id": author, "handle": author, "display_name": author},
        "text": text,
        "created_at": when.isoformat(),
        "url": f"https://example.org/{ext}",
        "metrics": {"likes": likes, "shares": 0, "replies": 0, "views": 0},
    }


def test_benchmark_side_by_side_by_month(workspace, make_channel, actor):
    forum = make_channel(workspace, name="Forum", kind="demo")
    brand_q = create_query(workspace, name="Us", expression="acme", category="brand", by=actor)
    rival_q = create_query(
        workspace, name="Brillo", expression="brillo", category="competitor", by=actor
    )
    actions.save_competitor(
        workspace, name="Brillo", accounts=["@brillo_official"], query_id=rival_q.pk, by=actor
    )
    nov = datetime(2026, 11, 10, 12, tzinfo=UTC)
    dec = datetime(2026, 12, 2, 12, tzinfo=UTC)
    ingest_batch(
        forum,
        [
            msg("1", "a", "acme is great", nov),
            msg("2", "b", "acme again", nov),
            msg("3", "c", "brillo lamp", nov),
            msg("4", "d", "brillo and acme", dec),
            msg("5", "brillo_official", "New Brillo lamp out", dec, likes=30),
            msg("6", "brillo_official", "Brillo sale", dec, likes=10),
        ],
    )
    roll_up()
    result = benchmark(
        workspace, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)
    )
    assert result["months"] == ["2026-11", "2026-12"]
    us, rival = result["sides"]
    assert us["name"] == "Acme" and rival["name"] == "Brillo"
    assert us["mentions"] == [2, 1]
    assert rival["mentions"] == [1, 3]  # "brillo and acme" and the two own posts mention it
    assert us["share_of_voice"] == [round(2 / 3, 3), 0.25]
    assert rival["posts"] == [0, 2] and rival["engagement_per_post"] == [None, 20.0]
    assert rival["followers"] == [None, None]  # not collected: never invented
    assert brand_q.pk != rival_q.pk


def test_a_competitor_query_must_be_of_the_workspace(workspace, other_workspace, actor):
    foreign = create_query(other_workspace, name="X", expression="x", by=actor)
    with pytest.raises(ActionError, match="not a listening query of this workspace"):
        actions.save_competitor(workspace, name="X", accounts=[], query_id=foreign.pk, by=actor)


def test_media_plan_and_csv_import_of_actual_spend(workspace, actor):
    actions.save_media_line(
        workspace,
        {
            "platform": "Instagram",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "budget": "1500",
            "objective": "clicks to the shop",
            "target_results": "3000",
        },
        by=actor,
    )
    csv_text = "platform,period_start,actual_spend,results\nInstagram,2026-11-01,1234.50,2469\n"
    assert actions.import_actuals(workspace, csv_text, by=actor) == 1
    line = MediaPlanLine.objects.get()
    assert line.actual_spend == Decimal("1234.50") and line.results == 2469
    assert line.cost_per_result == Decimal("0.50")
    with pytest.raises(ActionError, match="Line 2: actual_spend 'lots' is not an amount"):
        actions.import_actuals(
            workspace,
            "platform,period_start,actual_spend,results\nInstagram,2026-11-01,lots,1\n",
            by=actor,
        )
    with pytest.raises(ActionError, match="no plan line for TikTok"):
        actions.import_actuals(
            workspace,
            "platform,period_start,actual_spend,results\nTikTok,2026-11-01,1,1\n",
            by=actor,
        )
    with pytest.raises(ActionError, match="lacks the column"):
        actions.import_actuals(workspace, "platform;spend\n", by=actor)
    line.refresh_from_db()
    assert line.actual_spend == Decimal("1234.50")  # a refused file changes nothing


def test_api_and_tenancy(personas, actor):
    client, auth = personas.client("manager"), personas.auth("manager")
    made = client.post(
        "/api/v1/workspaces/acme/strategy/personas",
        data=json.dumps({"name": "Léa, 34", "goals": "a calm home", "tone": "warm, tutoiement"}),
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201, made.content
    client.put(
        "/api/v1/workspaces/acme/strategy/editorial-line",
        data=json.dumps({"line": "Light that helps you rest", "tone_guide": "Short sentences."}),
        content_type="application/json",
        **auth,
    )
    client.put(
        "/api/v1/workspaces/acme/strategy/platforms",
        data=json.dumps({"platform": "Instagram", "reason": "Where our buyers look for ideas"}),
        content_type="application/json",
        **auth,
    )
    everything = client.get("/api/v1/workspaces/acme/strategy", **auth).json()
    assert everything["personas"][0]["name"] == "Léa, 34"
    assert everything["editorial_line"]["line"] == "Light that helps you rest"
    assert everything["target_platforms"] == [
        {"platform": "Instagram", "reason": "Where our buyers look for ideas"}
    ]
    bench = client.get(
        "/api/v1/workspaces/acme/strategy/benchmark?date_from=2026-11-01&date_to=2026-11-30", **auth
    )
    assert bench.status_code == 200 and bench.json()["months"] == ["2026-11"]
    pid = made.json()["id"]
    outsider = personas.auth("outsider")
    assert client.get("/api/v1/workspaces/acme/strategy", **outsider).status_code == 404
    assert (
        client.delete(f"/api/v1/workspaces/acme/strategy/personas/{pid}", **outsider).status_code
        == 404
    )
    # An analyst reads the strategy but does not change it.
    analyst = personas.auth("analyst")
    assert client.get("/api/v1/workspaces/acme/strategy", **analyst).status_code == 200
    assert (
        client.delete(f"/api/v1/workspaces/acme/strategy/personas/{pid}", **analyst).status_code
        == 403
    )
    assert (
        client.delete(f"/api/v1/workspaces/acme/strategy/personas/{pid}", **auth).status_code == 204
    )
    assert date(2026, 11, 1)  # the API's dates are ISO days


def test_the_page_shows_this_workspace_only_and_imports_actuals(personas, actor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    actions.save_persona(personas.workspace, {"name": "Léa"}, by=actor)
    actions.save_persona(personas.other_workspace, {"name": "Globex buyer"}, by=actor)
    actions.save_media_line(
        personas.workspace,
        {
            "platform": "Instagram",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "budget": "100",
        },
        by=actor,
    )
    manager = personas.client("manager")
    page = manager.get("/strategy/").content.decode()
    assert "Léa" in page and "Globex buyer" not in page
    upload = SimpleUploadedFile(
        "ads.csv", b"platform,period_start,actual_spend,results\nInstagram,2026-11-01,80,40\n"
    )
    assert manager.post("/strategy/media-plan/import/", {"csv": upload}).status_code == 302
    assert MediaPlanLine.objects.get(workspace=personas.workspace).cost_per_result == Decimal(
        "2.00"
    )
    assert personas.client("viewer").get("/strategy/").status_code == 403
    analyst = personas.client("analyst")
    assert analyst.get("/strategy/").status_code == 200
    assert analyst.post("/strategy/media-plan/import/", {"csv": upload}).status_code == 403
