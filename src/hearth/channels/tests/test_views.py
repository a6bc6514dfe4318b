"""The Channels pages: the list (states, accounts, the capabilities matrix, counts, errors in
plain words), the guided form and its connection test, settings that never show a secret back,
pause and resume, removal that says what happens to the data — and who may do what."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from hearth.channels.models import Channel, OutboxItem
from hearth.conversations.models import Message
from hearth.core.models import AuditEvent
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.tests.feed_server import FeedServer


@pytest.fixture
def feed():
    server = FeedServer()
    yield server
    server.close()


def _page(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_list_shows_each_channel_with_its_state_account_matrix_and_counts(
    personas, fake_channel, make_channel, workspace
):
    ingest_batch(
        fake_channel,
        [
            {
                "external_id": f"m{i}",
                "kind": "post",
                "author": {"external_id": "u1"},
                "text": "Bonjour",
                "created_at": timezone.now().isoformat(),
            }
            for i in range(3)
        ],
    )
    broken = make_channel(workspace, name="Old feed", kind="rss", config={"url": "https://x.test/"})
    Channel.objects.filter(pk=broken.pk).update(
        last_sync_error="Feed https://x.test/ answered HTTP 404: check the URL.",
        last_sync_error_at=timezone.now(),
    )
    page = _page(personas.client("viewer").get("/channels/"))
    card = page[page.index('data-channel="lumio-on-fakebook"') :]
    card = card[: card.index("</article>")]
    assert 'data-state="connected"' in card and "@lumio" in card
    assert "3 messages, 3 this week" in card
    assert re.search(r'class="yes" data-cap="reply"', card)
    assert re.search(r'class="no" data-cap="dm"', card), "what the platform cannot do is shown"
    assert "/docs/channels/README.md" in card
    assert 'data-state="failing"' in page and "answered HTTP 404: check the URL." in page
    assert 'data-testid="read-only"' in page and 'data-testid="add-channel"' not in page
    assert "Lumio" not in _page(personas.client("outsider").get("/channels/"))


def test_the_list_costs_the_same_queries_for_twice_the_channels(
    personas, workspace, make_channel, lock_queries
):
    added = 0

    def seed():
        nonlocal added
        for i in range(added, added + 4):
            channel = make_channel(workspace, name=f"Import {i}", kind="import")
            make_channel(workspace, name=f"Feed {i}", kind="rss", config={"url": f"https://f/{i}"})
            ingest_batch(
                channel,
                [
                    {
                        "external_id": f"m{i}",
                        "kind": "post",
                        "author": {"external_id": f"u{i}"},
                        "text": "Hello",
                        "created_at": timezone.now().isoformat(),
                    }
                ],
            )
            OutboxItem.objects.create(
                workspace=workspace, channel=channel, action="reply", idempotency_key=f"k{i}"
            )
        added += 4

    client = personas.client("owner")
    lock_queries(
        5,  # session, user, memberships, the channels with their counts, the banner
        lambda: client.get("/channels/"),
        seed,
        lambda r: (r.content.decode().count('data-testid="channel-card"'),),
    )


def test_adding_an_rss_channel_tests_the_feed_then_syncs_it(
    personas, workspace, feed, django_capture_on_commit_callbacks
):
    feed.add("a1", "Lumio Halo review")
    feed.add("a2", "Lumio Dusk review")
    client = personas.client("manager")
    page = _page(client.get("/channels/add/"))
    assert 'href="/channels/add/rss/"' in page
    form = _page(client.get("/channels/add/rss/"))
    assert 'name="cfg_url"' in form and "Feed address" in form
    assert 'name="brand_author_ids"' not in form, "a feed has no account of the brand"
    assert 'name="brand_author_ids"' in _page(client.get("/channels/add/import/"))

    checks = _page(
        client.post(
            "/channels/add/rss/test/", {"name": "", "cfg_url": feed.url}, HTTP_HX_REQUEST="true"
        )
    )
    assert 'data-ok="1"' in checks and "2 entries can be read" in checks
    assert not Channel.objects.filter(workspace=workspace).exists(), "testing stores nothing"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/channels/add/rss/", {"name": "Lamp news", "cfg_url": feed.url, "interval_min": "30"}
        )
    channel = Channel.objects.get(workspace=workspace)
    assert response.status_code == 302 and response["Location"] == f"/channels/{channel.pk}/"
    assert channel.config == {"url": feed.url} and channel.sync_interval_s == 1800

    from hearth.pipeline import sync

    sync.sync(channel.pk)
    assert Message.objects.filter(channel=channel).count() == 2
    detail = _page(client.get(f"/channels/{channel.pk}/"))
    assert "2 messages" in detail and 'data-state="connected"' in detail


def test_a_form_error_says_which_field_and_keeps_the_values(personas):
    client = personas.client("owner")
    page = _page(client.post("/channels/add/rss/", {"name": "News", "cfg_url": "feed.example"}))
    assert 'data-testid="form-error"' in page
    assert "url must be an address starting with https://" in page
    assert 'value="News"' in page


def test_secrets_are_never_shown_back_and_an_empty_one_keeps_the_stored_token(
    personas, fake_channel
):
    client = personas.client("owner")
    page = _page(client.get(f"/channels/{fake_channel.pk}/edit/"))
    assert "tok-1" not in page and 'name="cfg_access_token"' in page
    assert "leave empty to keep it" in page
    assert "tok-1" not in _page(client.get(f"/channels/{fake_channel.pk}/"))
    response = client.post(
        f"/channels/{fake_channel.pk}/edit/",
        {
            "name": "Lumio FR",
            "cfg_base_url": "https://fakebook.example",
            "cfg_access_token": "",
            "cfg_follow": ["mentions", "dms"],
            "cfg_backfill": "50",
            "cfg_hashtags": "lumio, halo",
            "interval_min": "0",
        },
    )
    assert response.status_code == 302
    fake_channel.refresh_from_db()
    assert fake_channel.name == "Lumio FR"
    assert fake_channel.credentials == {"access_token": "tok-1"}
    assert fake_channel.config["follow"] == ["mentions", "dms"]
    assert fake_channel.config["backfill"] == 50 and fake_channel.config["nsfw"] is False
    assert fake_channel.config["hashtags"] == ["lumio", "halo"]


def test_the_connection_test_button_shows_each_check(personas, fake_channel, fake_connector):
    page = _page(
        personas.client("manager").post(
            f"/channels/{fake_channel.pk}/test/", HTTP_HX_REQUEST="true"
        )
    )
    assert "Connected as @lumio" in page and "Replies can be posted." in page
    assert page.count('class="ok"') == 2


def test_pause_resume_and_learn_the_account(personas, fake_channel, fake_connector):
    client = personas.client("manager")
    client.post(f"/channels/{fake_channel.pk}/pause/")
    fake_channel.refresh_from_db()
    assert fake_channel.state == "paused"
    assert 'data-testid="resume"' in _page(client.get(f"/channels/{fake_channel.pk}/"))
    client.post(f"/channels/{fake_channel.pk}/resume/")
    fake_channel.refresh_from_db()
    assert fake_channel.is_active
    client.post(f"/channels/{fake_channel.pk}/brand/", {"brand_author_ids": "brand-1, team-7"})
    fake_channel.refresh_from_db()
    assert fake_channel.brand_author_ids == ["brand-1", "team-7"]
    response = client.post(f"/channels/{fake_channel.pk}/identity/", follow=True)
    assert "Connected as @lumio" in _page(response)


def test_removal_says_what_happens_to_the_data_before_confirming(personas, fake_channel):
    ingest_batch(
        fake_channel,
        [
            {
                "external_id": "m1",
                "kind": "post",
                "author": {"external_id": "u1"},
                "text": "Bonjour",
                "created_at": timezone.now().isoformat(),
            }
        ],
    )
    client = personas.client("owner")
    page = _page(client.get(f"/channels/{fake_channel.pk}/delete/"))
    assert "This channel brought 1 message in 1 conversations." in page
    assert 'value="keep" checked' in page, "keeping the messages is the default"
    assert "deleted for good" in page
    response = client.post(f"/channels/{fake_channel.pk}/delete/", {"messages": "keep"})
    assert response.status_code == 302
    fake_channel.refresh_from_db()
    assert fake_channel.state == "removed"
    assert Message.objects.filter(channel=fake_channel).count() == 1
    listing = _page(client.get("/channels/"))
    assert "1 removed channel whose messages are kept" in listing


@pytest.mark.parametrize(
    "name, get, post",
    [("owner", 200, 302), ("manager", 200, 302), ("moderator", 403, 403), ("viewer", 403, 403)],
)
def test_roles_on_the_pages_that_change_a_channel(personas, fake_channel, name, get, post):
    client = personas.client(name)
    assert client.get("/channels/add/").status_code == get
    assert client.get(f"/channels/{fake_channel.pk}/edit/").status_code == get
    assert client.get(f"/channels/{fake_channel.pk}/delete/").status_code == get
    assert client.post(f"/channels/{fake_channel.pk}/pause/").status_code == post
    assert client.get(f"/channels/{fake_channel.pk}/").status_code == 200, "everyone reads"


def test_another_workspace_can_never_read_or_change_a_channel(personas, fake_channel):
    client = personas.client("outsider")
    before = AuditEvent.objects.count()
    pk = fake_channel.pk
    for url in (f"/channels/{pk}/", f"/channels/{pk}/edit/", f"/channels/{pk}/delete/"):
        assert client.get(url).status_code == 404, url
    for verb in ("test", "pause", "resume", "identity", "brand", "sync", "delete", "edit"):
        assert client.post(f"/channels/{pk}/{verb}/", {"name": "X"}).status_code == 404, verb
    fake_channel.refresh_from_db()
    assert fake_channel.is_active and fake_channel.name == "Lumio on Fakebook"
    assert fake_channel.deleted_at is None
    assert AuditEvent.objects.count() == before


def test_the_platform_docs_are_served_and_nothing_else(personas):
    client = personas.client("viewer")
    page = _page(client.get("/docs/channels/README.md"))
    assert "needs re-authorisation" in page
    assert client.get("/docs/../pyproject.toml").status_code == 404
    assert client.get("/docs/../README.md").status_code == 404
    assert client.get("/docs/nope.md").status_code == 404


def test_a_reply_shows_sent_with_the_platforms_link_or_held_in_its_thread(
    personas, fake_channel, fake_connector, django_capture_on_commit_callbacks
):
    from hearth.channels import health
    from hearth.conversations.actions.reply import reply_to_thread
    from hearth.conversations.models import Thread

    ingest_batch(
        fake_channel,
        [
            {
                "external_id": "q1",
                "kind": "post",
                "author": {"external_id": "marie"},
                "text": "Where is my order?",
                "created_at": timezone.now().isoformat(),
            }
        ],
    )
    thread = Thread.objects.get(channel=fake_channel)
    with django_capture_on_commit_callbacks(execute=True):
        reply_to_thread(thread, "It left this morning.", by=personas.actor("moderator"))
    page = _page(personas.client("moderator").get(f"/inbox/t/{thread.pk}/"))
    assert 'data-status="sent"' in page
    assert 'href="https://fakebook.example/p/1"' in page, "sent only with the platform's link"

    health.record_auth_failure(fake_channel, "401")
    health.record_auth_failure(fake_channel, "401")
    with django_capture_on_commit_callbacks(execute=True):
        reply_to_thread(thread, "And a tracking link.", by=personas.actor("moderator"))
    page = _page(personas.client("moderator").get(f"/inbox/t/{thread.pk}/"))
    assert 'data-status="held"' in page and "Waiting for the channel to be reconnected." in page


def test_every_page_of_the_workspace_shows_the_banner_and_only_there(fake_channel, personas):
    from hearth.channels import health

    revoked = fake_channel
    health.record_auth_failure(revoked, "401")
    health.record_auth_failure(revoked, "401")
    page = personas.client("viewer").get("/inbox/").content.decode()
    assert 'data-testid="reauth-banner"' in page
    assert "The channel Lumio on Fakebook needs re-authorisation" in page
    assert "an owner or a manager can reconnect it" in page
    page = personas.client("manager").get("/listening/").content.decode()
    assert "Reconnect it" in page
    page = personas.client("outsider").get("/inbox/").content.decode()
    assert "reauth-banner" not in page and "Lumio on Fakebook" not in page


def test_held_actions_and_the_rate_limit_wait_are_shown(personas, fake_channel):
    from datetime import timedelta

    from hearth.channels import health

    health.record_auth_failure(fake_channel, "401")
    health.record_auth_failure(fake_channel, "401")
    for key in ("r1", "r2"):
        OutboxItem.objects.create(
            workspace=fake_channel.workspace,
            channel=fake_channel,
            action="reply",
            payload={"text": "Merci !"},
            idempotency_key=key,
            status="held",
        )
    page = _page(personas.client("viewer").get(f"/channels/{fake_channel.pk}/"))
    assert page.count('<li data-status="held"') == 2
    assert "Waiting for the channel to be reconnected." in page
    assert 'data-testid="reauth"' in page
    listing = _page(personas.client("viewer").get("/channels/"))
    assert "2 held" in listing and 'data-state="needs_reauth"' in listing

    Channel.objects.filter(pk=fake_channel.pk).update(
        rate_limited_until=timezone.now() + timedelta(minutes=2), rate_limit=300, rate_remaining=0
    )
    listing = _page(personas.client("viewer").get("/channels/"))
    assert 'data-testid="rate-wait"' in listing and "0 of 300 calls left" in listing
