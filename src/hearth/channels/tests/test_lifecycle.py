"""A channel's lifecycle through its actions: add (guided fields, secrets), learn the brand's
account, rename, reconfigure, test, pause, resume, remove (messages kept or deleted)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from hearth.channels import actions
from hearth.channels.connectors.base import FetchResult, Identity, ReauthRequired
from hearth.channels.models import Channel, OutboxItem
from hearth.channels.tests.fakes import KIND
from hearth.conversations.models import Author, Message, Thread
from hearth.core.actions import ActionError
from hearth.core.models import AuditEvent
from hearth.pipeline import sync
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.tests.feed_server import FeedServer


@pytest.fixture
def feed():
    server = FeedServer()
    yield server
    server.close()


def test_secrets_are_stored_encrypted_and_never_in_the_config_or_the_audit(
    workspace, fake_connector, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        channel, _ = actions.create_channel(
            workspace,
            name="Lumio on Fakebook",
            kind=KIND,
            config={"base_url": "https://fakebook.example", "hashtags": "lumio, halo"},
            credentials={"access_token": "s3cret-token"},
            by=personas.actor("manager"),
        )
    channel.refresh_from_db()
    assert channel.credentials == {"access_token": "s3cret-token"}
    assert "s3cret-token" not in channel.credentials_encrypted
    assert channel.config == {
        "base_url": "https://fakebook.example",
        "hashtags": ["lumio", "halo"],
        "follow": ["mentions"],  # the field's default
        "backfill": 20,
        "nsfw": False,
        "brand_author_ids": ["brand-1"],  # learnt on connect
    }
    events = AuditEvent.objects.filter(workspace=workspace, action__startswith="channel.")
    assert "s3cret" not in str(list(events.values_list("data", flat=True)))
    create = events.get(action="channel.create")
    assert create.actor == personas.manager and create.data["credentials"] == ["access_token"]


def test_the_guided_fields_are_checked_with_what_to_do(workspace, fake_connector, actor):
    def create(**kwargs):
        return actions.create_channel(workspace, name="F", kind=KIND, by=actor, **kwargs)

    with pytest.raises(ActionError, match="access_token is missing"):
        create(config={"base_url": "https://f.example"})
    with pytest.raises(ActionError, match="base_url must be an address starting with https://"):
        create(config={"base_url": "f.example"}, credentials={"access_token": "t"})
    with pytest.raises(ActionError, match="follow cannot hold likes"):
        create(
            config={"base_url": "https://f.example", "follow": ["likes"]},
            credentials={"access_token": "t"},
        )
    with pytest.raises(ActionError, match="backfill must be a whole number"):
        create(
            config={"base_url": "https://f.example", "backfill": "lots"},
            credentials={"access_token": "t"},
        )
    with pytest.raises(ActionError, match="not a channel kind"):
        actions.create_channel(workspace, name="F", kind="myspace", by=actor)
    assert not Channel.objects.filter(workspace=workspace).exists()


def test_only_owners_and_managers_manage_channels(workspace, personas, fake_channel):
    for name in ("moderator", "analyst", "viewer", "outsider"):
        by = personas.actor(name)
        with pytest.raises(PermissionDenied):
            actions.create_channel(workspace, name="X", kind="import", by=by)
        with pytest.raises(PermissionDenied):
            actions.pause_channel(fake_channel, by=by)
        with pytest.raises(PermissionDenied):
            actions.rename_channel(fake_channel, "Hacked", by=by)
        with pytest.raises(PermissionDenied):
            actions.delete_channel(fake_channel, by=by)
        with pytest.raises(PermissionDenied):
            actions.try_connection(fake_channel, by=by)
    fake_channel.refresh_from_db()
    assert fake_channel.name == "Lumio on Fakebook" and fake_channel.is_active
    actions.rename_channel(fake_channel, "Lumio FR", by=personas.actor("owner"))
    fake_channel.refresh_from_db()
    assert fake_channel.name == "Lumio FR" and fake_channel.slug == "lumio-on-fakebook"


def test_the_account_is_learnt_on_connect_and_can_be_learnt_again(
    fake_channel, fake_connector, personas
):
    fake_channel.refresh_from_db()
    assert fake_channel.identity["external_id"] == "brand-1"
    assert fake_channel.identity["handle"] == "@lumio"
    assert fake_channel.brand_author_ids == ["brand-1"]

    # Another account of the brand is typed in; then the token is for a new account.
    actions.set_brand_accounts(fake_channel, "brand-1, support-2", by=personas.actor("manager"))
    fake_connector.identity.append(Identity(external_id="brand-9", handle="@lumio_new"))
    actions.refresh_identity(fake_channel, by=personas.actor("manager"))
    fake_channel.refresh_from_db()
    assert fake_channel.brand_author_ids == ["brand-9", "support-2"], "the old account is replaced"
    assert AuditEvent.objects.filter(action="channel.identity").count() == 2


def test_a_platform_that_cannot_say_leaves_the_account_to_type(
    fake_connector, workspace, make_channel, personas, django_capture_on_commit_callbacks
):
    fake_connector.identity.append(ReauthRequired("Fakebook answered HTTP 401."))
    with django_capture_on_commit_callbacks(execute=True) as jobs:
        channel = make_channel(
            workspace,
            kind=KIND,
            config={"base_url": "https://f.example"},
            credentials={"access_token": "tok"},
        )
    assert len(jobs) == 1, "the account was asked for on connect"
    channel.refresh_from_db()
    assert channel.identity == {} and channel.brand_author_ids == []
    fake_connector.identity.append(ReauthRequired("Fakebook answered HTTP 401."))
    with pytest.raises(ActionError, match="did not say which account"):
        actions.refresh_identity(channel, by=personas.actor("owner"))


def test_an_import_channel_gets_the_brand_accounts_as_a_setting(workspace, make_channel, personas):
    channel = make_channel(workspace, name="Forum export", kind="import")
    with pytest.raises(ActionError, match="no account to learn"):
        actions.refresh_identity(channel, by=personas.actor("owner"))
    actions.set_brand_accounts(channel, ["lumio_team", "lumio_team"], by=personas.actor("owner"))
    channel.refresh_from_db()
    assert channel.brand_author_ids == ["lumio_team"]


def test_new_credentials_keep_the_other_settings_and_an_empty_secret_keeps_the_stored_one(
    fake_channel, personas
):
    by = personas.actor("manager")
    changed = actions.update_channel(fake_channel, config={"hashtags": ["halo"]}, by=by)
    fake_channel.refresh_from_db()
    assert changed == ["config"]
    assert fake_channel.config["hashtags"] == ["halo"]
    assert fake_channel.config["base_url"] == "https://fakebook.example"
    assert fake_channel.credentials == {"access_token": "tok-1"}
    assert fake_channel.brand_author_ids == ["brand-1"], "the brand's accounts are not settings"

    changed = actions.update_channel(fake_channel, credentials={"access_token": ""}, by=by)
    fake_channel.refresh_from_db()
    assert changed == [] and fake_channel.credentials == {"access_token": "tok-1"}

    changed = actions.update_channel(fake_channel, credentials={"access_token": "tok-2"}, by=by)
    fake_channel.refresh_from_db()
    assert changed == ["credentials"] and fake_channel.credentials == {"access_token": "tok-2"}


def test_testing_the_connection_says_what_works(fake_channel, fake_connector, personas, workspace):
    checks = actions.try_connection(fake_channel, by=personas.actor("manager"))
    assert [(c.capability, c.ok) for c in checks] == [("read", True), ("reply", True)]
    assert "Connected as @lumio" in checks[0].message

    checks = actions.try_new_connection(
        workspace,
        kind=KIND,
        config={"base_url": "https://f.example"},
        credentials={"access_token": "revoked"},
        by=personas.actor("manager"),
    )
    assert checks[0].ok is False and "refused the token" in checks[0].message
    assert Channel.objects.filter(workspace=workspace).count() == 1, "a test stores nothing"
    tests = AuditEvent.objects.filter(action="channel.test").order_by("pk")
    assert [e.data["failed"] for e in tests] == [[], ["read"]]


def test_an_rss_feed_is_tested_before_it_is_added(workspace, personas, feed):
    feed.add("a1", "Lumio Halo review")
    checks = actions.try_new_connection(
        workspace, kind="rss", config={"url": feed.url}, by=personas.actor("owner")
    )
    assert checks[0].ok and "1 entries" in checks[0].message
    feed.status = 404
    checks = actions.try_new_connection(
        workspace, kind="rss", config={"url": feed.url}, by=personas.actor("owner")
    )
    assert not checks[0].ok and "HTTP 404" in checks[0].message


def test_pause_stops_syncs_and_resume_continues_from_the_cursor(
    workspace, make_channel, personas, feed
):
    feed.add("a1", "First")
    channel = make_channel(workspace, name="News", kind="rss", config={"url": feed.url})
    assert sync.sync(channel.pk) == 1
    actions.pause_channel(channel, by=personas.actor("manager"))
    feed.add("a2", "Second")
    Channel.objects.filter(pk=channel.pk).update(next_sync_at=None)
    assert sync.sync_due() == 0 and sync.sync(channel.pk) == 0
    channel.refresh_from_db()
    assert channel.state == "paused"
    actions.resume_channel(channel, by=personas.actor("manager"))
    channel.refresh_from_db()
    assert channel.state == "connected"
    assert sync.sync(channel.pk) == 1
    events = AuditEvent.objects.filter(target_id=str(channel.pk)).order_by("pk")
    assert [e.action for e in events][-2:] == [
        "channel.pause",
        "channel.resume",
    ]


def test_the_syncing_state_shows_while_a_sync_runs(fake_channel, fake_connector):
    seen = []

    class Spy(list):
        def pop(self, index=-1):
            seen.append(Channel.objects.get(pk=fake_channel.pk).state)
            return super().pop(index)

    fake_connector.fetch = Spy([FetchResult(items=[], cursor="c1")])
    sync.sync(fake_channel.pk)
    assert seen == ["syncing"]
    fake_channel.refresh_from_db()
    assert fake_channel.state == "connected" and fake_channel.syncing_since is None


def _messages(channel, n=3):
    ingest_batch(
        channel,
        [
            {
                "external_id": f"m{i}",
                "kind": "post",
                "author": {"external_id": f"u{i}", "display_name": f"U{i}"},
                "text": f"Hello {i}",
                "created_at": "2026-11-01T09:00:00+00:00",
            }
            for i in range(n)
        ],
    )


def test_removing_a_channel_keeps_its_messages_by_default(
    fake_channel, personas, django_capture_on_commit_callbacks
):
    _messages(fake_channel)
    OutboxItem.objects.create(
        workspace=fake_channel.workspace,
        channel=fake_channel,
        action="reply",
        idempotency_key="k-held",
        status="held",
    )
    counts = actions.delete_channel(fake_channel, by=personas.actor("owner"))
    assert counts == {"messages": 3, "threads": 3, "pending": 1, "failed": 1}
    fake_channel.refresh_from_db()
    assert fake_channel.state == "removed" and not fake_channel.is_active
    assert fake_channel.credentials == {} and fake_channel.slug.endswith(
        f"-removed-{fake_channel.pk}"
    )
    assert Message.objects.filter(channel=fake_channel).count() == 3
    item = OutboxItem.objects.get(idempotency_key="k-held")
    assert item.status == "failed" and "removed" in item.last_error
    assert sync.sync(fake_channel.pk) == 0
    with pytest.raises(ActionError, match="was removed"):
        actions.resume_channel(fake_channel, by=personas.actor("owner"))
    # The name and slug are free again.
    actions.create_channel(
        fake_channel.workspace, name="Lumio on Fakebook", kind="import", by=personas.actor("owner")
    )
    # Later, its messages are deleted too (by a job, after commit).
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_channel(fake_channel, keep_messages=False, by=personas.actor("owner"))
    assert not Channel.objects.filter(pk=fake_channel.pk).exists()
    assert not Message.objects.filter(channel_id=fake_channel.pk).exists()


def test_removing_a_channel_with_its_messages_deletes_them(
    fake_channel, personas, django_capture_on_commit_callbacks
):
    _messages(fake_channel, n=2)
    with django_capture_on_commit_callbacks(execute=True):
        counts = actions.delete_channel(
            fake_channel, keep_messages=False, by=personas.actor("owner")
        )
    assert counts["messages"] == 2
    assert not Channel.objects.filter(pk=fake_channel.pk).exists()
    assert not Message.objects.filter(channel_id=fake_channel.pk).exists()
    assert not Thread.objects.filter(channel_id=fake_channel.pk).exists()
    assert not Author.objects.filter(channel_id=fake_channel.pk).exists()
    event = AuditEvent.objects.get(action="channel.delete")
    assert event.data["keep_messages"] is False and event.data["messages"] == 2
