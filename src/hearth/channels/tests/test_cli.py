"""`hearth channel …`: the same lifecycle from the command line, as the operator or `--as` a
teammate whose role is checked (and who can never reach another workspace's channel)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hearth.channels.models import Channel
from hearth.channels.tests.fakes import KIND
from hearth.core.models import AuditEvent


def hearth(*args: str) -> str:
    out = StringIO()
    call_command("channel", *args, stdout=out)
    return out.getvalue()


def test_the_lifecycle_from_the_command_line(
    personas, fake_connector, tmp_path, django_capture_on_commit_callbacks
):
    token = tmp_path / "token.txt"
    token.write_text("tok-from-file\n")
    with django_capture_on_commit_callbacks(execute=True):
        out = hearth(
            "create",
            "--workspace",
            "acme",
            "--name",
            "Lumio on Fakebook",
            "--kind",
            KIND,
            "--config",
            "base_url=https://fakebook.example",
            "--config",
            "follow=mentions,dms",
            "--secret",
            f"access_token=@{token}",
            "--as",
            "manon@acme.test",
        )
    assert "Created channel lumio-on-fakebook" in out
    channel = Channel.objects.get(slug="lumio-on-fakebook")
    assert channel.credentials == {"access_token": "tok-from-file"}
    assert channel.config["follow"] == ["mentions", "dms"]
    assert AuditEvent.objects.get(action="channel.create").actor == personas.manager

    shown = json.loads(hearth("show", "--workspace", "acme", "--channel", channel.slug, "--json"))
    assert shown["account"] == "@lumio" and shown["credentials_set"] == ["access_token"]
    assert "tok-from-file" not in json.dumps(shown)
    assert shown["capabilities"]["reply"] and not shown["capabilities"]["dm"]

    test = hearth("test", "--workspace", "acme", "--channel", channel.slug)
    assert "ok  read" in test and "Connected as @lumio" in test
    assert "Paused" in hearth("pause", "--workspace", "acme", "--channel", channel.slug)
    listing = hearth("list", "--workspace", "acme")
    assert "paused" in listing and "lumio-on-fakebook" in listing
    assert "Resumed" in hearth("resume", "--workspace", "acme", "--channel", channel.slug)
    hearth("rename", "--workspace", "acme", "--channel", channel.slug, "--name", "Lumio FR")
    hearth("set", "--workspace", "acme", "--channel", channel.slug, "--secret", "access_token=t2")
    hearth("brand", "--workspace", "acme", "--channel", channel.slug, "--ids", "brand-1,care-2")
    channel.refresh_from_db()
    assert channel.name == "Lumio FR" and channel.credentials == {"access_token": "t2"}
    assert channel.brand_author_ids == ["brand-1", "care-2"]

    out = hearth("delete", "--workspace", "acme", "--channel", channel.slug)
    assert "messages in 0 conversations are kept" in out
    channel.refresh_from_db()
    assert channel.state == "removed"
    assert json.loads(hearth("list", "--workspace", "acme", "--json")) == []
    assert len(json.loads(hearth("list", "--workspace", "acme", "--removed", "--json"))) == 1


def test_a_failed_connection_test_exits_with_an_error(personas, fake_connector):
    with pytest.raises(CommandError, match="connection test failed"):
        hearth(
            "test",
            "--workspace",
            "acme",
            "--kind",
            KIND,
            "--config",
            "base_url=https://f.example",
            "--secret",
            "access_token=revoked",
        )


def test_roles_are_checked_with_as(personas, fake_channel):
    assert "lumio-on-fakebook" in hearth("list", "--workspace", "acme", "--as", "victor@acme.test")
    with pytest.raises(CommandError, match="may not do this"):
        hearth(
            "pause",
            "--workspace",
            "acme",
            "--channel",
            fake_channel.slug,
            "--as",
            "victor@acme.test",
        )


def test_another_workspace_can_never_read_or_change_a_channel(personas, fake_channel):
    before = AuditEvent.objects.count()
    for verb in ("show", "pause", "delete", "test", "rename"):
        extra = ["--name", "X"] if verb == "rename" else []
        with pytest.raises(CommandError, match="not a member"):
            hearth(
                verb,
                "--workspace",
                "acme",
                "--channel",
                fake_channel.slug,
                "--as",
                "oscar@globex.test",
                *extra,
            )
    # Through its own workspace, the channel is not found.
    with pytest.raises(CommandError, match="has no channel"):
        hearth(
            "pause",
            "--workspace",
            "globex",
            "--channel",
            fake_channel.slug,
            "--as",
            "oscar@globex.test",
        )
    fake_channel.refresh_from_db()
    assert fake_channel.is_active and fake_channel.name == "Lumio on Fakebook"
    assert AuditEvent.objects.count() == before


def test_the_kinds_say_what_each_platform_asks(db):
    out = hearth("kinds")
    assert "rss" in out and "--config url" in out
