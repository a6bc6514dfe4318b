"""Planning in real Chromium: set a channel's slots, compose a post, take a suggested time, add
another post to the queue, see slots, notes and the editorial line on the week view, and a
published post's figures — in English and French, at 1280 and 390 px (nothing scrolls sideways).
"""

from __future__ import annotations

import re
from datetime import timedelta

from conftest import PASSWORD
from django.utils import timezone

from hearth.core.actors import Actor
from hearth.publishing import metrics
from hearth.publishing.actions.planning import NoteIn, create_note, set_themes
from hearth.publishing.actions.posts import PostIn, VariantIn, create_post, schedule_post
from hearth.publishing.actions.publish import publish_due
from hearth.publishing.models import Post, PostState, PostVariant


def _login(page, base, email):
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_slots_queue_suggestions_notes_themes_and_figures(
    page,
    browser,
    live_server,
    personas,
    make_channel,
    screenshot_dir,
    django_capture_on_commit_callbacks,
):
    base = live_server.url
    demo = make_channel(personas.workspace, name="Demo", kind="demo")
    other = make_channel(personas.workspace, name="Community", kind="demo")
    tips, product, events = set_themes(
        personas.workspace, [("Tips", 50), ("Product", 20), ("Events", 20)], by=Actor.system()
    )
    _login(page, base, "manon@acme.test")

    # The slots of a channel, written as people say them.
    page.goto(f"{base}/publishing/planning/")
    page.get_by_test_id(f"slots-text-{demo.slug}").fill("mon 09:30, wed 09:30, fri 17:00")
    page.get_by_test_id(f"slots-save-{demo.slug}").click()
    page.wait_for_url(f"{base}/publishing/planning/")
    assert "Next free slots" in page.get_by_test_id(f"slots-{demo.slug}").inner_text()
    page.get_by_test_id(f"slots-text-{other.slug}").fill("tue 12:00, thu 18:30")
    page.get_by_test_id(f"slots-save-{other.slug}").click()
    page.wait_for_url(f"{base}/publishing/planning/")

    # A suggested time fills "Publish at".
    page.goto(f"{base}/publishing/compose/")
    page.get_by_test_id("title").fill("Lamp care tips")
    page.get_by_test_id(f"channel-{demo.slug}").check()
    page.get_by_test_id(f"text-{demo.slug}").fill("Five ways to make your lamp last.")
    page.get_by_test_id("theme").select_option(str(tips.pk))
    suggested = page.get_by_test_id(f"suggestions-{demo.slug}").locator("[data-suggest]").first
    suggested.wait_for()
    assert "default grid" in page.get_by_test_id(f"suggestions-{demo.slug}").inner_text()
    chosen = suggested.get_attribute("data-suggest")
    suggested.click()
    assert page.get_by_test_id("scheduled-at").input_value() == chosen
    page.get_by_test_id("schedule").click()
    page.wait_for_url(re.compile(rf"{base}/publishing/posts/\d+/$"))
    scheduled = Post.objects.get(title="Lamp care tips")
    assert scheduled.state == PostState.SCHEDULED
    assert timezone.localtime(scheduled.scheduled_at).strftime("%Y-%m-%dT%H:%M") == chosen

    # "Add to queue": two channels, each at its next free slot.
    page.goto(f"{base}/publishing/compose/")
    page.get_by_test_id("title").fill("Halo launch")
    page.get_by_test_id(f"channel-{demo.slug}").check()
    page.get_by_test_id(f"channel-{other.slug}").check()
    page.get_by_test_id(f"text-{demo.slug}").fill("Halo is here.")
    page.get_by_test_id(f"text-{other.slug}").fill("Halo is here — tell us what you think!")
    page.get_by_test_id("theme").select_option(str(product.pk))
    page.get_by_test_id("queue").click()
    page.wait_for_url(re.compile(rf"{base}/publishing/posts/\d+/$"))
    queued = list(Post.objects.filter(title="Halo launch").order_by("scheduled_at"))
    assert len(queued) == 2 and all(p.queued and p.state == PostState.SCHEDULED for p in queued)
    local = [timezone.localtime(p.scheduled_at) for p in queued]
    assert {(t.weekday(), t.strftime("%H:%M")) for t in local} <= {
        (0, "09:30"),
        (2, "09:30"),
        (4, "17:00"),
        (1, "12:00"),
        (3, "18:30"),
    }

    # Notes and key dates, and a few more posts for the editorial line.
    week_of = local[0].date()
    create_note(
        personas.workspace,
        NoteIn("Lighting fair", week_of, week_of + timedelta(days=2), kind="event"),
        by=personas.actor("manager"),
    )
    create_note(
        personas.workspace,
        NoteIn("Halo launch day", week_of, kind="launch"),
        by=personas.actor("manager"),
    )
    for i, theme in enumerate([events, product, product]):
        post = create_post(
            personas.workspace,
            PostIn(
                title=f"Planned {i}",
                variants=[VariantIn(channel_id=other.pk, text="Soon")],
                theme_id=theme.pk,
            ),
            by=personas.actor("manager"),
        )
        schedule_post(
            post,
            timezone.localtime(queued[0].scheduled_at) + timedelta(hours=2 + i),
            by=personas.actor("manager"),
        )

    # A published post with its figures.
    published = create_post(
        personas.workspace,
        PostIn(title="Spring guide", variants=[VariantIn(channel_id=demo.pk, text="Our guide")]),
        by=personas.actor("manager"),
    )
    soon = timezone.now() + timedelta(minutes=2)
    schedule_post(published, soon, by=personas.actor("manager"))
    with django_capture_on_commit_callbacks(execute=True):
        publish_due(now=soon + timedelta(seconds=5))
    variant = published.variants.get()
    # The demo's simulated audience grows with the post's real age: age it between readings.
    for hours in (1.1, 3.1, 6.1, 24.1, 48.1):
        now = timezone.now()
        PostVariant.objects.filter(pk=variant.pk).update(
            published_at=now - timedelta(hours=hours), metrics_due_at=now
        )
        assert metrics.collect_due(now=now)["read"] == 1

    pages = {
        "week": f"/publishing/?view=week&date={week_of.isoformat()}",
        "planning": "/publishing/planning/",
        "post": f"/publishing/posts/{published.pk}/",
    }
    overflowing = []
    for lang in ("en", "fr"):
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900})
            shot = context.new_page()
            shot.set_default_timeout(30_000)
            _login(shot, base, "manon@acme.test")
            context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
            for name, path in pages.items():
                shot.goto(f"{base}{path}")
                shot.wait_for_load_state("networkidle")
                scroll, inner = shot.evaluate(
                    "[document.scrollingElement.scrollWidth, window.innerWidth]"
                )
                if scroll > inner:
                    overflowing.append((lang, width, name, scroll))
                shot.screenshot(
                    path=str(screenshot_dir / f"planning-{name}-{lang}-{width}.png"),
                    full_page=True,
                )
            if lang == "en" and width == 1280:
                shot.goto(f"{base}{pages['week']}")
                assert shot.locator("[data-testid=slot]").count() >= 3
                assert "Lighting fair" in shot.get_by_test_id("week").inner_text()
                assert shot.locator(".theme-row").count() == 3
                shot.goto(f"{base}{pages['post']}")
                assert "Reach" in shot.get_by_test_id(f"metrics-{demo.slug}").inner_text()
            context.close()
    assert overflowing == []
