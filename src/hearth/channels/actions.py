"""Write paths of channels: creating them and rotating their webhook secrets."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from hearth.channels.models import Channel, ChannelKind
from hearth.core import audit
from hearth.core.actions import ActionError, check_slug
from hearth.core.actors import Actor
from hearth.core.models import Workspace


@transaction.atomic
def create_channel(
    workspace: Workspace,
    *,
    name: str,
    kind: str,
    by: Actor,
    slug: str = "",
    platform: str = "",
    config: dict[str, Any] | None = None,
    sync_interval_s: int = 0,
) -> tuple[Channel, str]:
    """Create a channel; returns it with its webhook secret (shown once; "" for other kinds).

    A channel Hearth polls is synced at once, then every `sync_interval_s` seconds (0: its
    connector's default, at least a minute).
    """
    if kind not in ChannelKind.values:
        raise ActionError(
            f"kind '{kind}' is not a channel kind: choose one of {', '.join(ChannelKind.values)}."
        )
    if not name.strip():
        raise ActionError("name is empty: give the channel a name, e.g. 'Instagram FR'.")
    if kind == ChannelKind.RSS and not str((config or {}).get("url", "")).startswith(
        ("http://", "https://")
    ):
        raise ActionError(
            "url is missing: an RSS/Atom channel needs the feed's address, e.g. https://example.org/feed.xml."
        )
    if not 0 <= sync_interval_s <= 7 * 24 * 3600 or 0 < sync_interval_s < 60:
        raise ActionError(
            "sync_interval_s must be 0 (the platform's default) or between 60 seconds and 7 days."
        )
    slug = slug or slugify(name).replace("_", "-").strip("-")[:50]
    check_slug(slug)
    if Channel.objects.filter(workspace=workspace, slug=slug).exists():
        raise ActionError(
            f"Workspace '{workspace.slug}' already has a channel '{slug}': choose another name."
        )
    channel = Channel(
        workspace=workspace,
        name=name.strip(),
        slug=slug,
        kind=kind,
        platform=platform,
        config=config or {},
        sync_interval_s=sync_interval_s,
    )
    secret = ""
    if kind == ChannelKind.WEBHOOK:
        secret = secrets.token_urlsafe(32)
        channel.set_webhook_secret(secret)
    channel.save()
    audit.record(
        "channel.create",
        by=by,
        workspace=workspace,
        target=channel,
        data={"name": channel.name, "kind": kind},
    )
    return channel, secret


@transaction.atomic
def rotate_webhook_secret(channel: Channel, *, by: Actor) -> str:
    if channel.kind != ChannelKind.WEBHOOK:
        raise ActionError(
            f"Channel '{channel.slug}' is not a webhook channel; it has no secret to rotate."
        )
    secret = secrets.token_urlsafe(32)
    channel.set_webhook_secret(secret)
    channel.save(update_fields=["webhook_secret_encrypted"])
    audit.record("channel.rotate_secret", by=by, workspace=channel.workspace, target=channel)
    return secret


def find_channel(workspace: Workspace, name_or_slug: str) -> Channel:
    """A channel of `workspace` by slug or exact name; never one of another workspace."""
    channel = (
        Channel.objects.filter(workspace=workspace, slug=name_or_slug).first()
        or Channel.objects.filter(workspace=workspace, name=name_or_slug).first()
    )
    if channel is None:
        raise LookupError(
            f"Workspace '{workspace.slug}' has no channel '{name_or_slug}'. "
            f"Create it with `hearth channel create --workspace {workspace.slug} --name ... --kind import`."
        )
    return channel
