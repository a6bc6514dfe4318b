"""Influencers and champions are highlighted in listening's mention lists (community's tag)."""

from __future__ import annotations

from typing import Any

from conftest import item

from hearth.community.members import member_for_author
from hearth.community.models import Member
from hearth.conversations.models import Author
from hearth.pipeline.ingest import ingest_batch


def test_the_latest_mentions_badge_influencers_and_champions(
    personas: Any, queries: dict[str, Any], channel: Any
) -> None:
    ingest_batch(
        channel,
        [
            item("m1", "acme lamps are great", author="star"),
            item("m2", "acme support answered fast", author="fan"),
            item("m3", "acme again", author="someone"),
        ],
    )
    star = member_for_author(Author.objects.get(channel=channel, external_id="star"))
    fan = member_for_author(Author.objects.get(channel=channel, external_id="fan"))
    Member.objects.filter(pk=star.pk).update(is_influencer=True)
    Member.objects.filter(pk=fan.pk).update(is_champion=True)
    page = personas.client("viewer").get(f"/listening/queries/{queries['brand'].pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    # Both lists of the page — the live preview and the latest mentions — badge the two.
    for testid in ("preview-matches", "latest-mentions"):
        section = html[html.index(f'data-testid="{testid}"') :]
        section = section[: section.index("</ul>")]
        assert section.count('data-testid="member-highlight"') == 2, testid
    assert f"/community/members/{star.pk}/" in html and f"/community/members/{fan.pk}/" in html
    assert ">influencer<" in html and ">champion<" in html
    # Another workspace's owner sees neither the query nor the badges.
    assert (
        personas.client("outsider").get(f"/listening/queries/{queries['brand'].pk}/").status_code
        == 404
    )
