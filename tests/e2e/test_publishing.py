"""Publishing in real Chromium: compose a post with two variants (one on a real Mastodon-API
server), drag it to another day on the calendar, have the client approve it through the review
link (no account), then see it published on the server's timeline with its id."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import PASSWORD
from django.utils import timezone

from hearth.channels.tests import conftest as channel_fixtures
from hearth.core.actors import Actor
from hearth.publishing.actions.approvals import configure_approvals
from hearth.publishing.actions.posts import PostIn, VariantIn, create_post, schedule_post
from hearth.publishing.actions.publish import publish_due
from hearth.publishing.models import ContentClass, Post, PostState

pytestmark = pytest.mark.platform_server

# The real Mastodon-API server of the channel tests (mastodon-mock on a free loopback port).
mastodon_server = channel_fixtures.mastodon_server
mastodon = channel_fixtures.mastodon
mastodon_channel = channel_fixtures.mastodon_channel


def _login(page, base, email):
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_compose_drag_approve_by_the_client_and_publish(
    page,
    browser,
    live_server,
    personas,
    make_channel,
    mastodon,
    mastodon_channel,
    screenshot,
):
    base = live_server.url
    demo = make_channel(personas.workspace, name="Demo", kind="demo")
    masto = mastodon_channel(name="Lumio on Mastodon")
    configure_approvals(
        personas.workspace, "one", [{"name": "Client", "by_client": True}], by=Actor.system()
    )
    _login(page, base, "manon@acme.test")
    page.get_by_role("link", name="Calendar").click()
    page.get_by_test_id("new-post").click()
    page.wait_for_url(f"{base}/publishing/compose/")

    page.get_by_test_id("title").fill("Spring guide")
    page.get_by_test_id(f"channel-{demo.slug}").check()
    page.get_by_test_id(f"channel-{masto.slug}").check()
    page.get_by_test_id(f"text-{demo.slug}").fill("Our full spring lighting guide, with every tip.")
    page.get_by_test_id(f"text-{masto.slug}").fill("x" * 510)
    problems = page.get_by_test_id(f"problems-{masto.slug}")
    assert "10 characters too many" in problems.inner_text()  # live validation, Mastodon: 500
    page.get_by_test_id(f"text-{masto.slug}").fill("Spring guide is out 🌷 #lighting")
    assert problems.inner_text() == ""
    assert "Spring guide is out" in page.get_by_test_id(f"preview-{masto.pk}").inner_text()
    when = (timezone.localtime() + timedelta(days=8)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    page.get_by_test_id("scheduled-at").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.wait_for_selector("[data-testid=autosave][data-saved]")  # the draft saved itself
    assert Post.objects.count() == 1
    screenshot("publishing-composer-en-1280")
    page.get_by_test_id("submit").click()
    page.wait_for_url(re.compile(rf"{base}/publishing/posts/\d+/$"))
    post = Post.objects.get()
    assert post.state == PostState.IN_REVIEW and post.variants.count() == 2
    assert Post.objects.count() == 1  # autosave and submit made one post

    # Drag it to the neighbouring day in the week view.
    target = when + timedelta(days=1 if when.weekday() < 6 else -1)
    page.goto(f"{base}/publishing/?view=week&date={when.date().isoformat()}")
    chip = page.get_by_test_id(f"chip-{post.pk}")
    chip.drag_to(page.get_by_test_id(f"day-{target.date().isoformat()}"))
    page.wait_for_selector(f"[data-testid=day-{target.date().isoformat()}] [data-post='{post.pk}']")
    page.wait_for_load_state("load")
    post.refresh_from_db()
    local = timezone.localtime(post.scheduled_at)
    assert (local.date(), local.hour) == (target.date(), 10)
    screenshot("publishing-calendar-week-en-1280")

    # The client's review link, opened without an account.
    page.goto(f"{base}/publishing/posts/{post.pk}/")
    page.get_by_text("Send to the client for review").click()
    page.get_by_test_id("link-name").fill("Marie, Lumio")
    page.get_by_test_id("link-create").click()
    url = page.get_by_test_id("new-link-url").input_value()
    client = browser.new_context(locale="en-GB").new_page()
    client.goto(url)
    assert "Spring guide is out" in client.get_by_test_id(f"review-post-{post.pk}").inner_text()
    client.get_by_test_id(f"client-approve-{post.pk}").click()
    client.wait_for_selector("text=Thank you, your answer was recorded.")
    assert client.get_by_test_id(f"review-state-{post.pk}").inner_text() == "scheduled"
    client.context.close()
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED

    # When it is due, the worker publishes it: on the server's timeline, with its id.
    publish_due(now=post.scheduled_at + timedelta(seconds=30))
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED, post.state_detail
    variant = post.variants.get(channel=masto)
    status = mastodon.client("ana").status(variant.external_id)
    assert "Spring guide is out" in status["content"]
    page.goto(f"{base}/publishing/posts/{post.pk}/")
    assert variant.external_id in page.get_by_test_id(f"variant-{masto.slug}").inner_text()
    assert page.get_by_test_id("post-state").inner_text() == "published"


def test_screenshots_of_the_composer_and_the_calendar(browser, live_server, personas, make_channel):
    """French and English, desktop and phone, with a month that drifts towards promotion."""
    base = live_server.url
    demo = make_channel(personas.workspace, name="Lumio Demo", kind="demo")
    other = make_channel(personas.workspace, name="Lumio Forum", kind="demo")
    start = (timezone.localtime() + timedelta(days=3)).replace(hour=9, minute=0)
    by = Actor.system()
    titles = [
        "Halo tips",
        "Ask us anything",
        "Winter sale -30%",
        "Dusk night mode",
        "Black Friday",
        "User stories",
    ]
    classes = [
        ContentClass.VALUE,
        ContentClass.ENGAGEMENT,
        ContentClass.PROMOTION,
        ContentClass.VALUE,
        ContentClass.PROMOTION,
        ContentClass.ENGAGEMENT,
    ]
    for i in range(12):
        post = create_post(
            personas.workspace,
            PostIn(
                title=titles[i % 6],
                content_class=classes[i % 6] if i < 6 else ContentClass.PROMOTION,
                variants=[
                    VariantIn(channel_id=demo.pk, text=f"{titles[i % 6]} — post {i}"),
                    VariantIn(channel_id=other.pk, text=f"{titles[i % 6]} (forum)"),
                ],
            ),
            by=by,
        )
        schedule_post(post, start + timedelta(days=i // 2, hours=3 * (i % 2)), by=by)
    session = personas.client("manager").cookies["sessionid"].value
    for lang, locale in (("en", "en-GB"), ("fr", "fr-FR")):
        for width in (1280, 390):
            context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
            context.add_cookies(
                [
                    {"name": "sessionid", "value": session, "url": base},
                    {"name": "django_language", "value": lang, "url": base},
                ]
            )
            page = context.new_page()
            page.goto(f"{base}/publishing/?date={start.date().isoformat()}")
            assert page.get_by_test_id("mix-warning").is_visible()
            page.screenshot(path=str(_path(f"publishing-calendar-{lang}-{width}")), full_page=True)
            page.goto(f"{base}/publishing/compose/")
            page.get_by_test_id(f"channel-{demo.slug}").check()
            page.get_by_test_id(f"channel-{other.slug}").check()
            page.get_by_test_id(f"text-{demo.slug}").fill(
                "Our Halo lamp now dims to 1% — perfect for reading at night. https://lumio.example/halo"
            )
            page.get_by_test_id(f"text-{other.slug}").fill("x" * 2010)
            page.screenshot(path=str(_path(f"publishing-composer-{lang}-{width}")), full_page=True)
            context.close()


def _path(name):
    folder = Path(os.environ.get("HEARTH_SCREENSHOTS", "var/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"
