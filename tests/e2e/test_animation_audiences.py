"""Segments as audiences in real Chromium: a contest limited to the champions (form and public
rules page), an event invited to the champions with who could not be reached, and a poll closed
early; in English and French, on a desktop and a phone."""

from __future__ import annotations

from datetime import timedelta

from conftest import PASSWORD
from django.utils import timezone

from hearth.animation.actions import events, polls
from hearth.animation.models import Contest
from hearth.community.members import member_for_author
from hearth.community.models import Identity
from hearth.conversations.models import Author
from hearth.pipeline.ingest import ingest_batch


def _login(page, base, email):
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def _shots(page, base, path, name, screenshot, check_fr):
    """The page at 1280 and 390 px, in English then in French; no sideways scroll on a phone."""
    for lang in ("en", "fr"):
        page.context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{base}{path}")
            if lang == "fr":
                assert check_fr in page.content()
            sizes = page.evaluate("() => [document.scrollingElement.scrollWidth, innerWidth]")
            assert sizes[0] <= sizes[1], (path, width, sizes)
            screenshot(f"{name}-{lang}-{width}")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])


def test_segment_audiences_and_closing_a_poll(
    page, live_server, personas, make_channel, screenshot
):
    base = live_server.url
    forum = make_channel(personas.workspace, name="Forum", kind="import")
    ingest_batch(
        forum,
        [
            {
                "external_id": f"m{i}",
                "kind": "post",
                "text": "Hello",
                "author": {"external_id": who, "handle": f"@{who}", "display_name": who.title()},
                "created_at": (timezone.now() - timedelta(days=1)).isoformat(),
            }
            for i, who in enumerate(["ana", "ben", "cat"])
        ],
    )
    for who, email, consent in (
        ("ana", "ana@example.org", True),
        ("ben", "", True),
        ("cat", "", False),
    ):
        member = member_for_author(
            Author.objects.get(workspace=personas.workspace, external_id=who)
        )
        member.is_champion = True
        member.consent = {"contact": {"given": consent}}
        member.save(update_fields=["is_champion", "consent"])
        if email:
            Identity.objects.filter(member=member).update(email=email, email_verified=True)

    _login(page, base, "manon@acme.test")
    page.goto(f"{base}/animation/contests/new/")
    page.get_by_test_id("title").fill("Champions' giveaway")
    page.get_by_test_id("rules").fill("Win a lamp. For our champions.")
    page.get_by_test_id("segment").select_option("champion")
    screenshot("animation-contest-segment-form-en-1280")
    page.get_by_test_id("create-contest").click()
    page.wait_for_url(f"{base}/animation/contests/*/")
    contest = Contest.objects.get(title="Champions' giveaway")
    assert contest.segment == "champion"
    _shots(
        page,
        base,
        f"/animation/contests/{contest.pk}/",
        "animation-contest-team-segment",
        screenshot,
        "Réservé aux ambassadeurs",
    )
    _shots(
        page,
        base,
        "/animation/contests/new/",
        "animation-contest-form",
        screenshot,
        "Réservé à un segment",
    )
    _shots(
        page,
        base,
        f"/c/{contest.public_token}/",
        "animation-contest-public-segment",
        screenshot,
        "Réservé aux ambassadeurs de la communauté",
    )

    event = events.create_event(
        personas.workspace,
        title="Champions' dinner",
        starts_at=timezone.now() + timedelta(days=10),
        capacity=20,
        by=personas.actor("manager"),
    )
    page.goto(f"{base}/animation/events/{event.pk}/")
    page.get_by_test_id("invite-form").locator("select").select_option("champion")
    page.get_by_test_id("invite-form").get_by_role("button").click()
    page.wait_for_url(f"{base}/animation/events/{event.pk}/")
    flash = page.locator(".flash").first.inner_text()
    assert (
        "Invitations queued: 1" in flash and "1 without a known address, 1 without consent" in flash
    )
    rows = page.get_by_test_id("invitations").locator("tbody tr")
    assert rows.count() == 1
    _shots(
        page,
        base,
        f"/animation/events/{event.pk}/",
        "animation-event-invite",
        screenshot,
        "Inviter un segment",
    )

    poll = polls.create_poll(
        personas.workspace,
        question="Which colour next?",
        options=["Amber", "Teal"],
        by=personas.actor("manager"),
    )
    page.goto(f"{base}/animation/polls/{poll.pk}/")
    page.get_by_test_id("close-poll").click()
    page.wait_for_url(f"{base}/animation/polls/{poll.pk}/")
    assert page.get_by_test_id("close-poll").count() == 0
    poll.refresh_from_db()
    assert not poll.is_open
    _shots(
        page, base, f"/animation/polls/{poll.pk}/", "animation-poll-closed", screenshot, 'lang="fr"'
    )
