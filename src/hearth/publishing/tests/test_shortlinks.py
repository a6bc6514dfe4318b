"""Hearth's own short links: made from the composer with the UTM of the variant's platform and
the post's campaign, served publicly at /l/<code> as a 302, counted per day without robots or
anything about the visitor, and kept to the workspace that made them."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from hearth.channels.models import Channel
from hearth.core.actions import ActionError
from hearth.publishing.actions import shortlinks
from hearth.publishing.models import Post, ShortLink, ShortLinkDay

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126 Safari/537.36"


def test_a_short_link_redirects_with_utm_and_counts_each_human_click_per_day(
    personas: Any, demo_channel: Channel, settings: Any
) -> None:
    settings.HEARTH_SHORT_LINK_BASE = "https://go.lumio.example"
    link = shortlinks.shorten(
        personas.workspace,
        "https://lumio.example/halo?color=amber&utm_source=old#specs",
        channel=demo_channel,
        campaign="Spring 2027",
        by=personas.actor("manager"),
    )
    assert shortlinks.short_url(link) == f"https://go.lumio.example/l/{link.code}"
    target = urlsplit(link.target)
    assert (target.netloc, target.path, target.fragment) == ("lumio.example", "/halo", "specs")
    assert parse_qs(target.query) == {
        "color": ["amber"],
        "utm_source": ["demo"],
        "utm_medium": ["social"],
        "utm_campaign": ["Spring 2027"],
    }
    # The same address, platform and campaign: the same link.
    again = shortlinks.shorten(
        personas.workspace,
        "https://lumio.example/halo?color=amber&utm_source=old#specs",
        channel=demo_channel,
        campaign="Spring 2027",
        by=personas.actor("manager"),
    )
    assert again.pk == link.pk

    visitor = Client()  # no account: short links are public
    answer = visitor.get(f"/l/{link.code}", HTTP_USER_AGENT=BROWSER)
    assert answer.status_code == 302 and answer["Location"] == link.target
    visitor.get(f"/l/{link.code}", HTTP_USER_AGENT=BROWSER)
    for robot in (
        "Mastodon/4.3.0 (http.rb/5.2.0; +https://mastodon.social/)",
        "Twitterbot/1.0",
        "",
    ):
        assert visitor.get(f"/l/{link.code}", HTTP_USER_AGENT=robot).status_code == 302
    days = list(ShortLinkDay.objects.values_list("link_id", "clicks"))
    assert days == [(link.pk, 2)]
    assert shortlinks.clicks_of([link]) == {link.pk: 2}
    assert visitor.get("/l/nope123", HTTP_USER_AGENT=BROWSER).status_code == 404


def test_clicks_are_counted_per_day(personas: Any, demo_channel: Channel) -> None:
    link = shortlinks.shorten(
        personas.workspace,
        "https://lumio.example/",
        channel=demo_channel,
        by=personas.actor("manager"),
    )
    shortlinks.follow(link.code, user_agent=BROWSER, day=date(2027, 3, 1))
    shortlinks.follow(link.code, user_agent=BROWSER, day=date(2027, 3, 1))
    shortlinks.follow(link.code, user_agent=BROWSER, day=date(2027, 3, 2))
    rows = sorted(ShortLinkDay.objects.values_list("day", "clicks"))
    assert rows == [(date(2027, 3, 1), 2), (date(2027, 3, 2), 1)]
    assert "utm_campaign" not in link.target  # no campaign, no empty parameter


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://files.example/x", "lumio.example/halo", "data:text/html,x"],
)
def test_only_web_addresses_are_shortened(personas: Any, demo_channel: Channel, url: str) -> None:
    with pytest.raises(ActionError, match="Only web addresses"):
        shortlinks.shorten(
            personas.workspace, url, channel=demo_channel, by=personas.actor("manager")
        )
    assert not ShortLink.objects.exists()


def test_the_composer_shortens_a_variants_links_and_the_post_counts_them(
    personas: Any, demo_channel: Channel, settings: Any
) -> None:
    settings.HEARTH_SHORT_LINK_BASE = ""
    settings.HEARTH_PUBLIC_URL = "https://hearth.lumio.example"
    client = personas.client("manager")
    answer = client.post(
        reverse("publishing:shorten"),
        {
            "channel": demo_channel.pk,
            "text": "New guide: https://lumio.example/guide. And https://lumio.example/shop!",
            "link": "https://lumio.example/halo",
            "campaign": "Spring",
        },
    )
    assert answer.status_code == 200, answer.content
    data = answer.json()
    codes = [link["code"] for link in data["links"]]
    assert len(codes) == 3
    assert data["text"] == (
        f"New guide: https://hearth.lumio.example/l/{codes[0]}. "
        f"And https://hearth.lumio.example/l/{codes[1]}!"
    )
    assert data["link"] == f"https://hearth.lumio.example/l/{codes[2]}"
    # Shortening again leaves short links as they are.
    again = client.post(
        reverse("publishing:shorten"),
        {"channel": demo_channel.pk, "text": data["text"], "link": data["link"]},
    ).json()
    assert again["text"] == data["text"] and again["links"] == []

    # The draft saved with them: the links count for the post, shown on its page.
    client.post(
        reverse("publishing:compose"),
        {
            "channels": [demo_channel.pk],
            f"v{demo_channel.pk}-text": data["text"],
            f"v{demo_channel.pk}-link": data["link"],
            "intent": "save",
        },
    )
    post = Post.objects.get()
    assert set(post.short_links.values_list("code", flat=True)) == set(codes)
    shortlinks.follow(codes[0], user_agent=BROWSER)
    page = client.get(reverse("publishing:post", args=[post.pk])).content.decode()
    assert f'data-testid="clicks-{codes[0]}">1 click<' in page


def test_the_shortener_refuses_another_workspaces_channel_and_non_publishers(
    personas: Any, demo_channel: Channel, make_channel: Any
) -> None:
    theirs = make_channel(personas.other_workspace, name="Globex demo", kind="demo")
    answer = personas.client("manager").post(
        reverse("publishing:shorten"), {"channel": theirs.pk, "text": "https://x.example"}
    )
    assert answer.status_code == 400 and not ShortLink.objects.exists()
    answer = personas.client("viewer").post(
        reverse("publishing:shorten"), {"channel": demo_channel.pk, "text": "https://x.example"}
    )
    assert answer.status_code == 403
    answer = personas.client("outsider").post(
        reverse("publishing:shorten"), {"channel": demo_channel.pk, "text": "https://x.example"}
    )
    assert answer.status_code == 400 and not ShortLink.objects.exists()
    with pytest.raises(ActionError):
        shortlinks.shorten(
            personas.workspace, "https://x.example", channel=theirs, by=personas.actor("manager")
        )
