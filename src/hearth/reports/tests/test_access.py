"""Tenancy and roles through the pages, the API and the CLI."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hearth.reports.actions import create_report, create_share_link
from hearth.reports.models import Report

BODY = {"name": "Monthly", "sections": ["kpis", "sentiment"], "period": "last_month"}


@pytest.fixture
def report(personas, actor):
    return create_report(personas.workspace, dict(BODY), by=actor)


@pytest.fixture
def foreign(personas, actor):
    return create_report(personas.other_workspace, {**BODY, "name": "Globex secret"}, by=actor)


def test_the_outsider_cannot_read_or_change_another_workspace_report(personas, report):
    client = personas.client("outsider")
    for url in (
        f"/reports/{report.pk}/",
        f"/reports/{report.pk}/edit/",
        f"/reports/{report.pk}/report.pdf",
        f"/reports/{report.pk}/brand.css",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/reports/{report.pk}/delete/").status_code == 404
    assert client.post(f"/reports/{report.pk}/share/", {"days": 5}).status_code == 404
    assert Report.objects.filter(pk=report.pk).exists()
    assert not report.share_links.exists()
    assert "Monthly" not in client.get("/reports/").content.decode()


def test_the_outsider_cannot_revoke_another_workspace_link(personas, report, actor):
    link, _token = create_share_link(report, days=5, by=actor)
    assert personas.client("outsider").post(f"/reports/links/{link.pk}/revoke/").status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_a_viewer_may_not_see_reports(personas, report):
    client = personas.client("viewer")
    assert client.get("/reports/").status_code == 403
    assert client.get(f"/reports/{report.pk}/").status_code == 403


def test_an_analyst_builds_a_report_in_the_page(personas):
    client = personas.client("analyst")
    page = client.post(
        "/reports/new/",
        {
            "name": "Weekly for Lumio",
            "sections": ["kpis", "moderation"],
            "period": "last_week",
            "language": "fr",
            "color_primary": "#224466",
            "color_accent": "#ee8800",
            "schedule": "weekly",
            "recipients": "client@lumio.test",
        },
    )
    assert page.status_code == 302
    report = Report.objects.get(name="Weekly for Lumio")
    assert report.workspace == personas.workspace
    assert report.sections == ["kpis", "moderation"] and report.language == "fr"
    detail = client.get(page["Location"])
    assert detail.status_code == 200
    assert "Vue d’ensemble des indicateurs" in detail.content.decode()  # the report's language


def test_bad_input_names_the_field(personas):
    client = personas.client("analyst")
    page = client.post("/reports/new/", {"name": "X", "sections": ["kpis"], "color_primary": "red"})
    assert page.status_code == 400
    assert "color_primary &#x27;red&#x27; is not a colour" in page.content.decode()


def test_api_crud_and_tenancy(personas, foreign):
    client = personas.client("analyst")  # a session works too; the token is checked below
    auth = personas.auth("analyst")
    created = client.post(
        "/api/v1/workspaces/acme/reports",
        data=json.dumps({**BODY, "recipients": ["a@b.test"], "schedule": "monthly"}),
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    assert created.json()["recipients"] == ["a@b.test"]
    listed = client.get("/api/v1/workspaces/acme/reports", **auth).json()
    assert [r["id"] for r in listed] == [rid]
    changed = client.put(
        f"/api/v1/workspaces/acme/reports/{rid}",
        data=json.dumps({**BODY, "name": "Renamed", "language": "fr"}),
        content_type="application/json",
        **auth,
    )
    assert changed.status_code == 200 and changed.json()["name"] == "Renamed"
    bad = client.post(
        "/api/v1/workspaces/acme/reports",
        data=json.dumps({**BODY, "sections": ["kpis", "gossip"]}),
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 400 and "'gossip' is not a section" in bad.json()["detail"]
    link = client.post(
        f"/api/v1/workspaces/acme/reports/{rid}/links",
        data=json.dumps({"days": 3}),
        content_type="application/json",
        **auth,
    )
    assert link.status_code == 201 and "/reports/shared/" in link.json()["url"]
    # Another workspace's report, through this workspace's URL or its own: not found / forbidden.
    assert client.get(f"/api/v1/workspaces/acme/reports/{foreign.pk}", **auth).status_code == 404
    assert client.get("/api/v1/workspaces/globex/reports", **auth).status_code == 404
    outsider = personas.auth("outsider")
    assert client.get(f"/api/v1/workspaces/acme/reports/{rid}", **outsider).status_code == 404
    assert client.delete(f"/api/v1/workspaces/acme/reports/{rid}", **outsider).status_code == 404
    assert client.delete(f"/api/v1/workspaces/acme/reports/{rid}", **auth).status_code == 204
    assert not Report.objects.filter(pk=rid).exists()


def test_api_renders_the_pdf_over_a_range(personas, report):
    auth = personas.auth("analyst")
    response = personas.client("analyst").get(
        f"/api/v1/workspaces/acme/reports/{report.pk}/render?format=pdf&date_from=2026-11-01&date_to=2026-11-30",
        **auth,
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert "2026-11-01-2026-11-30.pdf" in response["Content-Disposition"]
    bad = personas.client("analyst").get(
        f"/api/v1/workspaces/acme/reports/{report.pk}/render?format=docx", **auth
    )
    assert bad.status_code == 400


def test_api_logo_must_be_an_image(personas, report):
    from PIL import Image

    auth = personas.auth("analyst")
    client = personas.client("analyst")
    url = f"/api/v1/workspaces/acme/reports/{report.pk}"
    junk = base64.b64encode(b"<script>alert(1)</script>").decode()
    bad = client.put(
        url, data=json.dumps({**BODY, "logo_base64": junk}), content_type="application/json", **auth
    )
    assert bad.status_code == 400 and "logo is not a readable image" in bad.json()["detail"]
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    good = client.put(
        url,
        data=json.dumps({**BODY, "logo_base64": base64.b64encode(buffer.getvalue()).decode()}),
        content_type="application/json",
        **auth,
    )
    assert good.status_code == 200 and good.json()["has_logo"] is True


def test_cli_makes_a_pdf_and_refuses_outsiders(personas, data, tmp_path: Path):
    out = tmp_path / "r.pdf"
    call_command(
        "report",
        "--workspace",
        "acme",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-03",
        "--format",
        "pdf",
        "--lang",
        "fr",
        "--out",
        str(out),
    )
    assert out.read_bytes().startswith(b"%PDF-")
    html = tmp_path / "r.html"
    call_command(
        "report",
        "--workspace",
        "acme",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-03",
        "--format",
        "html",
        "--out",
        str(html),
    )
    assert "Our new lamp is here" in html.read_text()
    with pytest.raises(CommandError, match="may not do this"):
        call_command(
            "report",
            "--workspace",
            "acme",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-03",
            "--as",
            "victor@acme.test",
            "--out",
            str(out),
        )
    with pytest.raises(CommandError, match="is not a member"):
        call_command(
            "report",
            "--workspace",
            "acme",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-03",
            "--as",
            "oscar@globex.test",
            "--out",
            str(out),
        )
    with pytest.raises(CommandError, match="--from '2026-13-01' is not a date"):
        call_command("report", "--workspace", "acme", "--from", "2026-13-01", "--to", "2026-11-03")
