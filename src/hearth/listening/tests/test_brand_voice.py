"""The brand's own posts and replies are its voice, not the community's: they never wait for an
answer, are no mention, do not count in share of voice, rising terms, crisis drivers or the
community's KPIs — on every channel kind; rising terms can include them on demand."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from hearth.channels.actions import set_brand_accounts
from hearth.conversations.metrics import response_times
from hearth.conversations.models import Message, Thread
from hearth.conversations.stats import workspace_stats
from hearth.listening import insights
from hearth.listening.models import CrisisRoom, Mention, MinuteCount
from hearth.listening.tests.conftest import at
from hearth.pipeline.ingest import ingest_batch
from hearth.web.dashboard import dashboard_data

BRAND_TIP = "Acme tip of the day: zyxglow lamps zyxglow scenes zyxglow acme"
MEMBER = "acme lamp keeps blinking, help"


@pytest.fixture(params=["demo", "import", "webhook", "rss"])
def voiced(request, workspace, make_channel, queries, now):
    """A brand post and a member's comment under it, on a channel of each kind."""
    channel = make_channel(
        workspace,
        name=f"Chan {request.param}",
        kind=request.param,
        config={
            "brand_author_ids": ["acmehq"],
            **({"url": "https://example.org/feed.xml"} if request.param == "rss" else {}),
        },
    )
    ingest_batch(
        channel,
        [
            at(now - timedelta(minutes=30), "b1", BRAND_TIP, author="acmehq"),
            at(
                now - timedelta(minutes=20), "m1", MEMBER, author="zoe", parent="b1", kind="comment"
            ),
            at(
                now - timedelta(minutes=10),
                "b2",
                "Acme here: try a reset",
                author="acmehq",
                parent="m1",
                kind="reply",
            ),
        ],
    )
    return channel


def test_the_brand_post_never_waits(voiced):
    brand_only = Thread.objects.get(root_external_id="b1")
    assert brand_only.waiting_since is None  # answered by the brand's own reply
    assert Message.objects.filter(from_brand=True).count() == 2


def test_brand_posts_are_no_mentions_and_no_community_volume(voiced, queries):
    assert list(Mention.objects.values_list("message__external_id", flat=True)) == ["m1"]
    assert sum(MinuteCount.objects.values_list("count", flat=True)) == 1


def test_rising_terms_leave_the_brand_out_unless_asked(voiced, workspace, now):
    ingest_batch(
        voiced,
        [
            at(now - timedelta(minutes=5 + i), f"tip{i}", f"zyxglow tip {i}", author="acmehq")
            for i in range(6)
        ],
    )
    community = insights.trending(workspace, now=now + timedelta(minutes=1))
    owned = insights.trending(workspace, now=now + timedelta(minutes=1), include_owned=True)
    assert "zyxglow" not in [t["term"] for t in community["terms"]]
    assert "zyxglow" in [t["term"] for t in owned["terms"]]


def test_crisis_drivers_are_the_community(voiced, workspace, queries, now):
    room = CrisisRoom.objects.create(
        workspace=workspace,
        query=queries["brand"],
        kind="volume",
        onset_at=now - timedelta(hours=1),
        detected_at=now,
        last_alarm_at=now,
        observed=5,
        expected=1,
    )
    summary = insights.crisis_summary(room, now=now + timedelta(minutes=1))
    assert [m.external_id for m in summary["top_messages"]] == ["m1"]
    assert summary["mentions"] == 1


def test_community_kpis_count_the_community(voiced, workspace):
    data = dashboard_data(workspace)
    assert sum(b["total"] for b in data["hourly"]) == 1
    row = next(r for r in data["stats"]["per_channel"] if r.get("last_24h"))
    assert row["last_24h"] == 1


def test_the_trends_page_toggle(voiced, personas):
    client = personas.client("owner")
    page = client.get("/listening/trends/?range=24h").content.decode()
    assert "Include the brand" in page and "owned=1" in page
    assert "Community only" in client.get("/listening/trends/?range=24h&owned=1").content.decode()


def _brand_only_post(channel, now):
    """A brand post nobody answered (the "tip of the day"): no conversation with the community."""
    ingest_batch(
        channel, [at(now - timedelta(minutes=5), "b3", "Acme tip: dim at night", author="acmehq")]
    )


def test_all_time_totals_leave_the_brand_out(voiced, workspace, now):
    _brand_only_post(voiced, now)
    stats = workspace_stats(workspace)
    assert (stats["messages"], stats["authors"], stats["threads"]) == (1, 1, 1)
    assert stats["owned_messages"] == 3
    assert next(r for r in stats["per_channel"] if r["slug"] == voiced.slug)["messages"] == 1
    owned = workspace_stats(workspace, include_owned=True)
    assert (owned["messages"], owned["authors"], owned["threads"]) == (4, 2, 2)


def test_an_account_declared_the_brand_later_is_no_community_author(
    workspace, make_channel, actor, now
):
    channel = make_channel(workspace, name="Late", kind="import")
    ingest_batch(
        channel, [at(now, "x1", "hello", author="late-hq"), at(now, "x2", "hi", author="bob")]
    )
    before = workspace_stats(workspace)
    assert (before["authors"], before["messages"]) == (2, 2)
    set_brand_accounts(channel, ["late-hq"], by=actor)
    after = workspace_stats(workspace)
    assert (after["authors"], after["messages"], after["threads"]) == (1, 1, 1)
    assert after["owned_messages"] == 1


def test_the_dashboard_totals_and_their_toggle(voiced, personas, now):
    _brand_only_post(voiced, now)
    client = personas.client("owner")
    page = client.get("/").content.decode()
    assert '<span data-testid="total-messages">1</span>' in page
    assert "?owned=1" in page and "left out" in page
    owned = client.get("/?owned=1").content.decode()
    assert '<span data-testid="total-messages">4</span>' in owned
    assert "Community only" in owned
    assert 'hx-get="/?owned=1"' in owned  # the live refresh keeps the choice
    fr = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Inclure les publications de la marque" in fr


def test_the_api_and_cli_totals_leave_the_brand_out(voiced, workspace, personas, now):
    client = personas.client("analyst")
    auth = personas.auth("analyst")
    url = f"/api/v1/workspaces/{workspace.slug}/stats"
    assert client.get(url, **auth).json()["messages"] == 1
    assert client.get(url + "?owned=true", **auth).json()["messages"] == 3
    assert client.get(url, **personas.auth("outsider")).status_code in (403, 404)
    out = StringIO()
    call_command("stats", "--workspace", workspace.slug, "--json", stdout=out)
    assert json.loads(out.getvalue())["messages"] == 1
    out = StringIO()
    call_command("stats", "--workspace", workspace.slug, "--json", "--owned", stdout=out)
    assert json.loads(out.getvalue())["messages"] == 3


def test_the_trends_api_leaves_the_brand_out_unless_asked(voiced, workspace, personas, now):
    ingest_batch(
        voiced,
        [
            at(now - timedelta(minutes=5 + i), f"tip{i}", f"zyxglow tip {i}", author="acmehq")
            for i in range(6)
        ],
    )
    auth = personas.auth("analyst")
    url = f"/api/v1/workspaces/{workspace.slug}/listening/trends?range=24h"
    community = personas.client("analyst").get(url, **auth).json()
    assert "zyxglow" not in [t["term"] for t in community["trending"]["terms"]]
    assert sum(r["mentions"] for r in community["share_of_voice"]) <= 1
    owned = personas.client("analyst").get(url + "&owned=true", **auth).json()
    assert "zyxglow" in [t["term"] for t in owned["trending"]["terms"]]


def test_first_response_is_timed_from_the_community_s_first_message(workspace, make_channel, now):
    """Under the brand's own post, a member comments two days later and the brand answers in
    30 minutes: the first response took 30 minutes, not two days."""
    channel = make_channel(
        workspace, name="Tips", kind="import", config={"brand_author_ids": ["acmehq"]}
    )
    start = now - timedelta(days=3)
    ingest_batch(
        channel,
        [
            at(start, "t1", "Acme tip of the day", author="acmehq"),
            at(
                start + timedelta(days=2),
                "c1",
                "Does it work on the old lamp?",
                author="zoe",
                parent="t1",
                kind="comment",
            ),
            at(
                start + timedelta(days=2, minutes=30),
                "r1",
                "Yes it does",
                author="acmehq",
                parent="c1",
                kind="reply",
            ),
        ],
    )
    row = response_times(workspace, since=start - timedelta(minutes=1))[0]
    assert row["first_response"]["count"] == 1
    assert row["first_response"]["median_s"] == 1800
