"""The analytics pages: permissions, tenancy, CSV equals chart, drill-down, exports."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import date

from hearth.analytics.actions import conversion_secret, conversion_settings, sign_conversion
from hearth.analytics.models import Conversion, Objective
from hearth.conversations.models import Thread

SCOPE = "from=2026-03-01&to=2026-03-07&compare=previous"


def test_dashboard_for_analyst_refused_to_viewer(personas, small):
    page = personas.client("analyst").get(f"/analytics/?{SCOPE}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="chart-messages_in"' in html
    assert "Content-Security" not in html and "style=" not in html and "<script>" not in html
    assert personas.client("viewer").get("/analytics/").status_code == 403


def test_bad_range_is_explained_and_falls_back(personas, small):
    page = personas.client("owner").get("/analytics/?from=2026-03-09&to=2026-03-01")
    assert page.status_code == 200
    assert "before the start date" in page.content.decode()
    page = personas.client("owner").get("/analytics/?from=yesterday")
    assert "from &#x27;yesterday&#x27; is not a date" in page.content.decode()


def _svg_values(html: str, code: str) -> list[tuple[str, str]]:
    svg = html.split(f'data-testid="chart-{code}"', 1)[1].split("</svg>", 1)[0]
    return re.findall(r'data-day="([0-9-]+)" data-value="([^"]*)"', svg)


def test_csv_has_exactly_the_numbers_the_chart_draws(personas, small):
    client = personas.client("analyst")
    html = client.get(f"/analytics/?{SCOPE}").content.decode()
    for code in ("messages_in", "net_sentiment"):
        drawn = _svg_values(html, code)
        assert len(drawn) == 7
        exported = list(
            csv.reader(
                io.StringIO(client.get(f"/analytics/kpis/{code}.csv?{SCOPE}").content.decode())
            )
        )
        assert exported[0] == ["day", code]
        assert [tuple(r) for r in exported[1:]] == drawn
    assert ("2026-03-02", "4") in _svg_values(html, "messages_in")
    assert ("2026-03-02", "25") in _svg_values(html, "net_sentiment")
    assert ("2026-03-03", "") in _svg_values(html, "net_sentiment")


def test_a_bar_leads_to_the_messages_behind_it(personas, small):
    client = personas.client("analyst")
    html = client.get(f"/analytics/?{SCOPE}").content.decode()
    link = re.search(
        r'<a href="([^"]+)"><rect class="bar"[^>]*data-day="2026-03-02"',
        html.split("chart-messages_in")[1],
    )
    assert link
    page = client.get(link.group(1).replace("&amp;", "&"))
    body = page.content.decode()
    assert page.status_code == 200
    rows = body.split('data-testid="drill-rows"')[1].split("</table>")[0]
    assert rows.count("<tr>") == 1 + 4  # the header and the four member messages of the day
    assert "message a" in rows and "message d" not in rows  # the brand's reply is not "in"


def test_other_workspace_sees_none_of_it(personas, small, other_workspace):
    from hearth.analytics.actions import create_objective

    objective = create_objective(
        personas.workspace,
        name="More talk",
        specific="More messages on the forum",
        kpi="messages_in",
        target=100,
        business_goal="Community health",
        start=date(2026, 3, 1),
        deadline=date(2026, 4, 1),
        by=personas.actor("owner"),
    )
    outsider = personas.client("outsider")
    assert outsider.get(f"/analytics/objectives/{objective.pk}/").status_code == 404
    assert outsider.post(f"/analytics/objectives/{objective.pk}/delete/").status_code == 404
    html = outsider.get(f"/analytics/?{SCOPE}").content.decode()
    assert all(v in ("0", "") for _, v in _svg_values(html, "messages_in"))
    assert "More talk" not in outsider.get("/analytics/objectives/").content.decode()
    exported = outsider.get(f"/analytics/export/conversations.csv?{SCOPE}")
    assert b"".join(exported.streaming_content).decode().count("\n") == 1  # the header alone
    # A channel of the other workspace cannot be chosen either.
    forum = small["forum"]
    page = outsider.get(f"/analytics/?{SCOPE}&channel={forum.pk}")
    assert "not one of this workspace" in page.content.decode()
    assert Objective.objects.filter(pk=objective.pk).exists()


def test_conversations_export_is_one_row_per_conversation(personas, small):
    thread = Thread.objects.get(channel=small["forum"], root_external_id="a")
    response = personas.client("analyst").get(f"/analytics/export/conversations.csv?{SCOPE}")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "thread_id"
    ids = [r[0] for r in rows[1:]]
    assert len(ids) == len(set(ids)) == Thread.objects.filter(workspace=personas.workspace).count()
    row = next(r for r in rows if r[0] == str(thread.pk))
    assert row[7] == "1" and row[8] == "1"  # zoe's message and the brand's reply


def test_signed_conversion_is_counted_and_a_bad_signature_refused(client, workspace):
    key = conversion_settings(workspace).conversion_key
    secret = conversion_secret(workspace)
    body = json.dumps({"goal": "signup", "value": 12.5, "id": "order-1"}).encode()
    stamp = str(int(time.time()))
    headers = {
        "HTTP_X_HEARTH_TIMESTAMP": stamp,
        "HTTP_X_HEARTH_SIGNATURE": "sha256=" + sign_conversion(secret, stamp, body),
    }
    first = client.post(f"/goal/{key}", body, content_type="application/json", **headers)
    assert first.status_code == 201
    again = client.post(f"/goal/{key}", body, content_type="application/json", **headers)
    assert again.status_code == 200 and again.json()["created"] is False
    forged = client.post(
        f"/goal/{key}",
        body,
        content_type="application/json",
        HTTP_X_HEARTH_TIMESTAMP=stamp,
        HTTP_X_HEARTH_SIGNATURE="sha256=00",
    )
    assert forged.status_code == 401 and "X-Hearth-Signature" in forged.json()["detail"]
    old = str(int(time.time()) - 3600)
    stale = client.post(
        f"/goal/{key}",
        body,
        content_type="application/json",
        HTTP_X_HEARTH_TIMESTAMP=old,
        HTTP_X_HEARTH_SIGNATURE="sha256=" + sign_conversion(secret, old, body),
    )
    assert stale.status_code == 401
    pixel = client.get(f"/goal/{key}/pixel.gif?goal=newsletter")
    assert pixel.status_code == 200 and pixel["Content-Type"] == "image/gif"
    assert sorted(
        Conversion.objects.filter(workspace=workspace).values_list("source", flat=True)
    ) == ["endpoint", "pixel"]
    assert client.get("/goal/not-a-key/pixel.gif").status_code == 404


def test_catalogue_and_definition_pages(personas, small):
    client = personas.client("analyst")
    assert "Active members ratio" in client.get("/analytics/kpis/").content.decode()
    page = client.get(f"/analytics/kpis/first_response_time_business/?{SCOPE}").content.decode()
    assert "business hours" in page and 'data-testid="definition"' in page
    assert "community app" in client.get("/analytics/kpis/community_shape/").content.decode()
    assert client.get("/analytics/kpis/nope/").status_code == 404
