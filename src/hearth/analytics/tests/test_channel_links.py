"""Clicks on tracked links and conversions per channel: a short link knows its post, and the
post's variant on the link's platform is the channel (test_kpis.py has the campaign side).

2026-03-02: one post on the forum (demo) and on the shop app (import); its "demo" link has 7
clicks and one conversion worth 20, its "import" link 3 clicks and one conversion worth 5; a
link made outside any post 4 clicks and one conversion worth 1. Totals: 14 clicks, 3
conversions, 26; forum: 7, 1, 20; shop app: 3, 1, 5.
"""

from __future__ import annotations

from datetime import date

import pytest

from hearth.analytics import kpis
from hearth.analytics.actions import record_conversion
from hearth.analytics.rollups import roll_up_days
from hearth.analytics.tests.conftest import at
from hearth.publishing.models import Post, PostVariant, ShortLink, ShortLinkDay

D1, D3 = date(2026, 3, 2), date(2026, 3, 4)


@pytest.fixture
def links(workspace, forum, make_channel):
    app = make_channel(workspace, name="Shop app", kind="import")
    post = Post.objects.create(workspace=workspace, title="Spring", campaign="Spring")
    published = at("2026-03-02T09:00:00")
    PostVariant.objects.create(post=post, channel=forum, published_at=published)
    PostVariant.objects.create(post=post, channel=app, published_at=published)
    for code, source, clicks, value, with_post in (
        ("dem", "demo", 7, 20, True),
        ("imp", "import", 3, 5, True),
        ("off", "demo", 4, 1, False),
    ):
        link = ShortLink.objects.create(
            workspace=workspace,
            code=code,
            url="https://x.test",
            target=f"https://x.test/?{code}",
            source=source,
            campaign="Spring",
            post=post if with_post else None,
        )
        ShortLinkDay.objects.create(link=link, day=D1, clicks=clicks)
        record_conversion(
            workspace,
            goal="signup",
            source="endpoint",
            value=value,
            link_code=code,
            occurred_at=at("2026-03-02T12:00:00"),
        )
    roll_up_days(workspace, D1, D3)
    return {"forum": forum, "app": app}


def test_clicks_and_conversions_per_channel(workspace, links):
    assert kpis.total(workspace, "link_clicks", D1, D3) == 14.0
    assert kpis.total(workspace, "link_clicks", D1, D3, channel=links["forum"]) == 7.0
    assert kpis.total(workspace, "link_clicks", D1, D3, channel=links["app"]) == 3.0
    assert kpis.total(workspace, "conversions", D1, D3, channel=links["forum"]) == 1.0
    assert kpis.total(workspace, "conversions", D1, D3, channel=links["app"]) == 1.0
    assert kpis.total(workspace, "conversions", D1, D3) == 3.0
    assert kpis.total(workspace, "conversion_value", D1, D3, channel=links["forum"]) == 20.0
    assert kpis.series(workspace, "link_clicks", D1, D3, channel=links["app"]) == [
        (D1, 3.0),
        (date(2026, 3, 3), 0.0),
        (D3, 0.0),
    ]
    # Recomputing the day gives the same figures (absolute writes).
    roll_up_days(workspace, D1, D3)
    assert kpis.total(workspace, "link_clicks", D1, D3, channel=links["forum"]) == 7.0


def test_the_dashboard_filters_clicks_and_conversions_by_channel(personas, make_channel):
    from hearth.analytics.tests.conftest import at as at_

    ws = personas.workspace
    forum = make_channel(ws, name="Forum", kind="demo")
    other = make_channel(ws, name="Other", kind="import")
    post = Post.objects.create(workspace=ws, title="P")
    PostVariant.objects.create(post=post, channel=forum, published_at=at_("2026-03-02T09:00:00"))
    link = ShortLink.objects.create(
        workspace=ws,
        code="zz",
        url="https://x.test",
        target="https://x.test",
        source="demo",
        post=post,
    )
    ShortLinkDay.objects.create(link=link, day=D1, clicks=9)
    roll_up_days(ws, D1, D3)
    client = personas.client("analyst")
    page = client.get(
        f"/analytics/?from=2026-03-01&to=2026-03-05&channel={forum.pk}&compare=none"
    ).content.decode()
    card = page[page.index('data-testid="card-link_clicks"') :]
    assert "<strong>9</strong>" in card[: card.index("</a>")]
    assert 'data-testid="figure-conversions"' in page
    page = client.get(
        f"/analytics/?from=2026-03-01&to=2026-03-05&channel={other.pk}&compare=none"
    ).content.decode()
    card = page[page.index('data-testid="card-link_clicks"') :]
    assert "<strong>0</strong>" in card[: card.index("</a>")]


def test_another_workspace_channel_is_refused(personas, make_channel):
    elsewhere = make_channel(personas.other_workspace, name="Globex", kind="demo")
    page = personas.client("analyst").get(f"/analytics/?channel={elsewhere.pk}").content.decode()
    assert "channel is not one of this workspace" in page
