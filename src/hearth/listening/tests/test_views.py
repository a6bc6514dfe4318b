"""The listening pages: editor with live preview, trends and CSV, crisis room, alerts — and tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hearth.core.models import AuditEvent
from hearth.listening.models import CrisisRoom, ListeningQuery
from hearth.listening.tests.conftest import at
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture
def room(workspace, queries, now):
    return CrisisRoom.objects.create(
        workspace=workspace,
        query=queries["brand"],
        kind="volume",
        onset_at=now - timedelta(minutes=40),
        detected_at=now - timedelta(minutes=30),
        last_alarm_at=now - timedelta(minutes=30),
        observed=6.2,
        expected=0.4,
    )


@pytest.fixture
def owner_client(personas):
    return personas.client("owner")


def test_home_lists_queries_and_rooms(owner_client, queries, room):
    page = owner_client.get("/listening/").content.decode()
    assert "Brand" in page and "Rival" in page and f"/listening/crisis/{room.pk}/" in page


def test_preview_shows_the_syntax_error_at_its_column(owner_client, queries):
    page = owner_client.post(
        "/listening/queries/preview/", {"expression": "acme AND (lamp"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "unclosed &#x27;(&#x27; at column 10" in page
    assert "acme AND <mark>(</mark>lamp" in page


def test_preview_lists_the_latest_matching_messages(owner_client, channel, now):
    ingest_batch(
        channel,
        [
            at(now - timedelta(minutes=3), "1", "Halo is glowing"),
            at(now - timedelta(minutes=2), "2", "nothing"),
        ],
    )
    page = owner_client.post(
        "/listening/queries/preview/", {"expression": "halo"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert (
        "Halo is glowing" in page
        and "nothing" not in page
        and "1 match among the last 2 messages" in page
    )


def test_create_and_edit_a_query_from_the_editor(owner_client, workspace):
    response = owner_client.post(
        "/listening/queries/new/",
        {"name": "Halo", "category": "product", "expression": "halo -halogen", "is_active": "on"},
    )
    assert response.status_code == 302
    query = ListeningQuery.objects.get(workspace=workspace, name="Halo")
    bad = owner_client.post(
        f"/listening/queries/{query.pk}/",
        {"name": "Halo", "category": "product", "expression": "halo OR"},
    )
    assert bad.status_code == 400 and "at column 8" in bad.content.decode()
    query.refresh_from_db()
    assert query.expression == "halo -halogen"


def test_viewer_cannot_save_a_query(personas):
    client = personas.client("viewer")
    assert (
        client.post(
            "/listening/queries/new/", {"name": "X", "expression": "x", "category": "topic"}
        ).status_code
        == 403
    )
    assert not ListeningQuery.objects.exists()


def test_trends_page_and_csv_export(owner_client, channel, queries, now):
    ingest_batch(
        channel,
        [
            at(now - timedelta(hours=2), "1", "acme rocks"),
            at(now - timedelta(hours=1), "2", "globex or acme?"),
        ],
    )
    page = owner_client.get("/listening/trends/?range=24h").content.decode()
    assert 'id="trend-data"' in page and "uPlot.iife.min.js" in page and "Share of voice" in page
    partial = owner_client.get(
        "/listening/trends/?range=1y", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in partial and 'data-range="1y"' in partial
    csv_text = owner_client.get("/listening/trends.csv?range=24h").content.decode()
    lines = csv_text.strip().splitlines()
    assert lines[0] == "bucket_start,query,category,positive,neutral,negative,total"
    assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:] if ",Brand," in line) == 2


def test_crisis_room_shows_the_spike_and_status_changes_are_audited(
    owner_client, channel, room, now
):
    ingest_batch(
        channel,
        [
            at(
                now - timedelta(minutes=35 - i % 10),
                f"s{i}",
                f"acme update broke my lamp #acmefail {i}",
                author=f"a{i % 3}",
            )
            for i in range(12)
        ],
    )
    page = owner_client.get(f"/listening/crisis/{room.pk}/").content.decode()
    assert "Crisis room" in page and "acme update broke my lamp" in page
    assert "acmefail" in page  # a dominant term
    assert "L’équipe Acme" in page and "The Acme team" in page  # fr/en holding statements
    response = owner_client.post(
        f"/listening/crisis/{room.pk}/status/", {"status": "communicating"}
    )
    assert response.status_code == 302
    room.refresh_from_db()
    assert room.status == "communicating"
    owner_client.post(
        f"/listening/crisis/{room.pk}/checklist/",
        {"item": "acknowledge", "done": "on"},
        HTTP_HX_REQUEST="true",
    )
    room.refresh_from_db()
    assert room.checklist == {"acknowledge": True}
    assert set(
        AuditEvent.objects.filter(
            target_type="listening.crisisroom", target_id=str(room.pk)
        ).values_list("action", flat=True)
    ) == {"crisis.status", "crisis.checklist"}


def test_viewer_sees_the_room_but_cannot_change_it(personas, room):
    client = personas.client("viewer")
    assert client.get(f"/listening/crisis/{room.pk}/").status_code == 200
    assert (
        client.post(f"/listening/crisis/{room.pk}/status/", {"status": "resolved"}).status_code
        == 403
    )


def test_another_workspace_gets_404_on_queries_and_rooms(personas, queries, room):
    client = personas.client("outsider")
    brand = queries["brand"]
    assert client.get(f"/listening/queries/{brand.pk}/").status_code == 404
    assert client.post(f"/listening/queries/{brand.pk}/delete/").status_code == 404
    assert client.get(f"/listening/crisis/{room.pk}/").status_code == 404
    assert (
        client.post(f"/listening/crisis/{room.pk}/status/", {"status": "resolved"}).status_code
        == 404
    )
    assert client.get(f"/listening/trends/?query={brand.pk}").status_code == 404
    assert "Brand" not in client.get("/listening/").content.decode()
    room.refresh_from_db()
    assert room.status == "open" and ListeningQuery.objects.filter(pk=brand.pk).exists()


def test_alerts_page_settings_and_destinations(owner_client, workspace):
    owner_client.post(
        "/listening/alerts/",
        {"form": "settings", "sensitivity": "high", "quiet_period_minutes": "30"},
    )
    page = owner_client.post(
        "/listening/alerts/",
        {
            "form": "destination",
            "name": "Hook",
            "kind": "webhook",
            "target": "https://hooks.example/x",
        },
    ).content.decode()
    assert "Signing secret of the new webhook" in page
    assert workspace.listening_settings.sensitivity == "high"
    assert "No alert yet." in owner_client.get("/listening/alerts/").content.decode()
