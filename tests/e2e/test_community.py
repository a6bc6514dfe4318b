"""A member's profile from the inbox author card: identities across channels, timeline, trend,
consent recorded, in English and French, on a desktop and a phone; then the owner erases them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.channels.actions import create_channel
from hearth.community.models import Member
from hearth.conversations.models import Thread
from hearth.core.actions import add_member, create_workspace
from hearth.core.actors import Actor
from hearth.pipeline.ingest import ingest_batch

PASSWORD = "correct-horse-battery"  # noqa: S105 - a test login


def _item(external_id: str, text: str, author: str, handle: str, days: int) -> dict:
    return {
        "external_id": external_id,
        "kind": "post",
        "text": text,
        "author": {"external_id": author, "handle": handle, "display_name": "Ana Bell"},
        "created_at": (timezone.now() - timedelta(days=days)).isoformat(),
    }


@pytest.fixture
def community(transactional_db):
    actor = Actor.system()
    workspace = create_workspace("acme", name="Acme", by=actor)
    add_member(workspace, "olivia@acme.test", role="owner", password=PASSWORD, by=actor)
    forum, _ = create_channel(workspace, name="Forum", kind="import", by=actor)
    insta, _ = create_channel(workspace, name="Instagram", kind="demo", by=actor)
    ingest_batch(
        forum,
        [
            _item(f"f{i}", text, "ana", "@ana_bell", days)
            for i, (text, days) in enumerate(
                [
                    ("I love the new lamp, thank you!", 40),
                    ("The app is great, pairing was easy", 20),
                    ("It disconnects every night, this is annoying", 3),
                ]
            )
        ],
    )
    ingest_batch(insta, [_item("i1", "Nice photo of the lamp", "ig-ana", "ana_bell", 10)])
    return workspace


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_profile_from_the_inbox_card_then_erase(page, live_server, community, screenshot):
    member = Member.objects.get(workspace=community)
    assert member.identities.count() == 2  # same handle and name on two platforms: linked
    thread = Thread.objects.filter(workspace=community).order_by("-last_message_at").first()
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/inbox/t/{thread.pk}/")
    page.get_by_test_id("member-link").click()
    page.wait_for_url(f"{live_server.url}/community/members/{member.pk}/")
    assert page.get_by_test_id("member-name").inner_text() == "Ana Bell"
    identities = page.get_by_test_id("member-identities").inner_text()
    assert "Forum" in identities and "Instagram" in identities
    timeline = page.get_by_test_id("member-timeline").inner_text()
    assert "Nice photo of the lamp" in timeline and "disconnects every night" in timeline
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=sentiment-trend] circle').length >= 3"
    )
    page.get_by_test_id("member-consents").get_by_role("button").first.click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=member-consents]').innerText.includes('yes')"
    )
    screenshot("community-profile-en-1280")
    page.set_viewport_size({"width": 390, "height": 900})
    page.reload()
    width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    screenshot("community-profile-en-390")
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    page.reload()
    assert "Chronologie" in page.content()
    screenshot("community-profile-fr-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    screenshot("community-profile-fr-1280")
    page.goto(f"{live_server.url}/community/")
    screenshot("community-overview-fr-1280")
    page.goto(f"{live_server.url}/community/members/")
    screenshot("community-members-fr-1280")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/community/members/{member.pk}/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("member-erase").click()
    page.wait_for_url(f"{live_server.url}/community/members/")
    assert not Member.objects.filter(pk=member.pk).exists()


def test_shape_trend_chart_and_profile_panels(page, live_server, community, screenshot):
    """The shape's trend against 1/9/90 and the feedback/animation panels, EN/FR, 1280/390."""
    from hearth.animation.models import Contest, ContestEntry, Event, Registration
    from hearth.community.models import ShapeSnapshot
    from hearth.feedback.models import Idea, IdeaPerson

    member = Member.objects.get(workspace=community)
    today = timezone.localdate()
    for i in range(14):
        ShapeSnapshot.objects.create(
            workspace=community,
            day=today - timedelta(days=13 - i),
            creators=3 + i // 3,
            contributors=20 + 2 * i,
            lurkers=1200 - 10 * i,
            members=40 + 2 * i,
            audience=1250,
            audience_source="followers",
            audience_as_of=today,
        )
    idea = Idea.objects.create(
        workspace=community, title="Dark mode", vote_count=12, people_count=3
    )
    IdeaPerson.objects.create(idea=idea, person_key=f"member:{member.pk}")
    event = Event.objects.create(
        workspace=community,
        title="Paris meetup",
        starts_at=timezone.now() + timedelta(days=5),
        capacity=20,
    )
    Registration.objects.create(
        workspace=community,
        event=event,
        name="Ana",
        email="ana@example.org",
        person_key=f"member:{member.pk}",
        status="confirmed",
    )
    contest = Contest.objects.create(
        workspace=community,
        title="Spring draw",
        rules="One entry.",
        seed="s" * 64,
        seed_commitment="c" * 64,
        winners=["A1"],
    )
    ContestEntry.objects.create(
        workspace=community,
        contest=contest,
        entrant_id="A1",
        person_key=f"member:{member.pk}",
        source="form",
    )
    _sign_in(page, live_server.url)
    for lang in ("en", "fr"):
        page.context.add_cookies(
            [{"name": "django_language", "value": lang, "url": live_server.url}]
        )
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server.url}/community/")
            page.wait_for_function(
                "() => document.querySelectorAll('[data-testid=shape-chart] polyline').length === 3"
            )
            assert page.locator("[data-testid=shape-chart] .shape-rule").count() == 3
            assert "1250" in page.get_by_test_id("audience-source").inner_text()
            size = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
            assert size[0] <= size[1], size
            screenshot(f"community-shape-{lang}-{width}")
            page.goto(f"{live_server.url}/community/members/{member.pk}/")
            panels = page.get_by_test_id("member-animation").inner_text()
            assert "Paris meetup" in panels and "Spring draw" in panels
            assert "Dark mode" in page.get_by_test_id("member-ideas").inner_text()
            size = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
            assert size[0] <= size[1], size
            screenshot(f"community-panels-{lang}-{width}")


def test_second_look_before_hiding_an_influencer_and_listening_badge(
    page, live_server, community, screenshot
):
    """Hiding an influencer's message takes a second, explicit step; listening badges them."""
    from hearth.listening.actions import create_query
    from hearth.moderation.actions.netiquette import ensure_netiquette
    from hearth.moderation.models import HiddenMessage

    actor = Actor.system()
    ensure_netiquette(community)
    query = create_query(community, name="Lamp", expression="lamp OR idiot", by=actor)
    forum = community.channels.get(name="Forum")
    ingest_batch(
        forum, [_item("f9", "You are a stupid idiot about the lamp", "ana", "@ana_bell", 0)]
    )
    member = Member.objects.get(workspace=community)
    Member.objects.filter(pk=member.pk).update(is_influencer=True)
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/listening/queries/{query.pk}/")
    assert page.get_by_test_id("member-highlight").count() >= 1
    screenshot("listening-highlight-en-1280")
    for lang, width in (("fr", 390), ("en", 1280)):
        page.context.add_cookies(
            [{"name": "django_language", "value": lang, "url": live_server.url}]
        )
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/moderation/")
        entry = page.locator("[data-entry]").first
        entry.locator("details[data-panel=hide] summary").click()
        entry.locator("details[data-panel=hide] button[type=submit]").click()
        page.get_by_test_id("second-look-step").wait_for()
        assert not HiddenMessage.objects.exists()
        screenshot(f"moderation-second-look-{lang}-{width}")
        size = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert size[0] <= size[1], size
    page.get_by_test_id("confirm-influencer").click()
    page.wait_for_url(f"{live_server.url}/moderation/**")
    assert HiddenMessage.objects.count() == 1
