"""The channels API: the same lifecycle as the Channels page and `hearth channel`.

Every teammate reads (VIEW); owners and managers change (MANAGE_CHANNELS). A secret given in
`credentials` is stored encrypted and never returned: `credentials_set` names the ones stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from hearth.channels import actions
from hearth.channels.access import access_channel
from hearth.channels.config import fields_of
from hearth.channels.connectors import CONNECTORS
from hearth.channels.connectors.base import Check, expires_at
from hearth.channels.listing import capabilities, docs_page, platform_label, with_counts
from hearth.channels.models import Channel
from hearth.core.access import access_workspace
from hearth.core.actors import Actor
from hearth.core.models import Membership
from hearth.core.permissions import Perm

router = Router(tags=["channels"])


class ChannelOut(Schema):
    id: int
    slug: str
    name: str
    kind: str
    platform: str
    platform_label: str  # the platform's name as people know it
    state: str  # connected | syncing | paused | needs_reauth | failing | removed
    is_active: bool
    created_at: datetime
    last_ingest_at: datetime | None
    sync_interval_s: int  # 0: the connector's default (channels Hearth polls)
    last_sync_at: datetime | None  # the last successful sync
    next_sync_at: datetime | None
    last_sync_error: str  # in plain words; empty once a sync succeeds
    last_sync_error_at: datetime | None
    account: dict[str, Any]  # the connected account (the brand): external_id, handle, …
    brand_author_ids: list[str]  # the brand's accounts: their messages are the brand's
    capabilities: dict[str, bool]  # read, reply, dm, hide, delete, ban, report, publish, metrics
    docs: str  # the platform's page under docs/
    needs_reauth_since: datetime | None
    auth_error: str
    rate_limited_until: datetime | None  # nothing is synced or sent before
    rate_limit: int | None
    rate_remaining: int | None
    message_count: int
    messages_this_week: int
    outbox_held: int  # replies and actions waiting for the channel to be reconnected
    outbox_failed: int
    deleted_at: datetime | None
    # When the platform's access lapses (an OAuth consent's end date): reconnect before.
    access_expires_at: datetime | None

    @staticmethod
    def resolve_access_expires_at(obj: Channel) -> datetime | None:
        if not obj.credentials_encrypted or obj.deleted_at is not None:
            return None
        return expires_at(obj.credentials)

    @staticmethod
    def resolve_platform_label(obj: Channel) -> str:
        return platform_label(obj.kind)

    @staticmethod
    def resolve_account(obj: Channel) -> dict[str, Any]:
        return dict(obj.identity or {})

    @staticmethod
    def resolve_capabilities(obj: Channel) -> dict[str, bool]:
        return dict(capabilities(obj.kind))

    @staticmethod
    def resolve_docs(obj: Channel) -> str:
        return docs_page(obj.kind)

    @staticmethod
    def resolve_message_count(obj: Channel) -> int:
        return int(getattr(obj, "message_total", 0))

    @staticmethod
    def resolve_messages_this_week(obj: Channel) -> int:
        return int(getattr(obj, "message_week", 0))

    @staticmethod
    def resolve_outbox_held(obj: Channel) -> int:
        return int(getattr(obj, "outbox_held", 0))

    @staticmethod
    def resolve_outbox_failed(obj: Channel) -> int:
        return int(getattr(obj, "outbox_failed", 0))


class ChannelDetail(ChannelOut):
    config: dict[str, Any]  # the connector's settings (secrets excluded)
    credentials_set: list[str]  # the secret fields stored (their values are never returned)

    @staticmethod
    def resolve_config(obj: Channel) -> dict[str, Any]:
        return {k: v for k, v in obj.config.items() if k != "brand_author_ids"}

    @staticmethod
    def resolve_credentials_set(obj: Channel) -> list[str]:
        return sorted(obj.credentials)


class ChannelIn(Schema):
    name: str
    kind: str
    platform: str = ""
    url: str = ""  # the feed of an RSS/Atom channel (same as config.url)
    config: dict[str, Any] = {}  # the connector's fields (see the platform's docs page)
    credentials: dict[str, Any] = {}  # its secret fields: stored encrypted, never returned
    sync_interval_s: int = 0
    brand_author_ids: list[str] = []


class ChannelCreated(ChannelDetail):
    webhook_path: str | None  # a webhook channel's address on this server
    webhook_secret: str | None  # its signing secret: shown only in this answer

    @staticmethod
    def resolve_webhook_path(obj: Channel) -> str | None:
        return f"/hooks/{obj.webhook_key}" if getattr(obj, "new_webhook_secret", "") else None

    @staticmethod
    def resolve_webhook_secret(obj: Channel) -> str | None:
        return getattr(obj, "new_webhook_secret", "") or None


class ChannelPatch(Schema):
    name: str | None = None
    config: dict[str, Any] | None = None  # fields not given keep their value
    credentials: dict[str, Any] | None = None  # new secrets reconnect the channel
    sync_interval_s: int | None = None


class BrandAccountsIn(Schema):
    brand_author_ids: list[str]


class TestIn(Schema):
    kind: str
    config: dict[str, Any] = {}
    credentials: dict[str, Any] = {}


class CheckOut(Schema):
    capability: str
    ok: bool
    message: str


class ChecksOut(Schema):
    ok: bool
    checks: list[CheckOut]


class DeletedOut(Schema):
    messages: int  # what the channel brought (kept or being deleted)
    threads: int
    pending: int  # outbox items that will not be sent
    kept: bool


def _membership(request: HttpRequest, slug: str, perm: Perm = Perm.VIEW) -> Membership:
    return access_workspace(request.user, slug, perm)


def _by(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="api")


def _out(channel: Channel) -> Channel:
    """The channel again with its counts, as the listing shows it."""
    return with_counts(Channel.objects.filter(pk=channel.pk)).get()


def _checks(checks: list[Check]) -> dict[str, Any]:
    return {"ok": all(c.ok for c in checks), "checks": checks}


@router.get("/workspaces/{slug}/channels", response=list[ChannelOut])
def list_channels(request: HttpRequest, slug: str, removed: bool = False) -> list[Channel]:
    """The workspace's channels; `removed=true` lists the removed ones whose messages are kept."""
    membership = _membership(request, slug)
    channels = Channel.objects.filter(
        workspace=membership.workspace, deleted_at__isnull=not removed
    )
    return list(with_counts(channels).order_by("name"))


@router.post("/workspaces/{slug}/channels", response={201: ChannelCreated})
def add_channel(request: HttpRequest, slug: str, data: ChannelIn) -> Status[Channel]:
    membership = _membership(request, slug, Perm.MANAGE_CHANNELS)
    config = dict(data.config)
    if data.url:
        config.setdefault("url", data.url)
    channel, secret = actions.create_channel(
        membership.workspace,
        name=data.name,
        kind=data.kind,
        platform=data.platform,
        config=config,
        credentials=data.credentials,
        sync_interval_s=data.sync_interval_s,
        brand_author_ids=data.brand_author_ids,
        by=_by(request),
    )
    out = _out(channel)
    out.new_webhook_secret = secret  # type: ignore[attr-defined]  # read by ChannelCreated, once
    return Status(201, out)


@router.post("/workspaces/{slug}/channels/test", response=ChecksOut)
def test_new_channel(request: HttpRequest, slug: str, data: TestIn) -> dict[str, Any]:
    """Test a channel's connection before adding it (nothing is stored)."""
    membership = _membership(request, slug, Perm.MANAGE_CHANNELS)
    return _checks(
        actions.try_new_connection(
            membership.workspace,
            kind=data.kind,
            config=data.config,
            credentials=data.credentials,
            by=_by(request),
        )
    )


@router.get("/workspaces/{slug}/channels/{channel_id}", response=ChannelDetail)
def get_channel(request: HttpRequest, slug: str, channel_id: int) -> Channel:
    return _out(access_channel(_membership(request, slug), channel_id))


@router.patch("/workspaces/{slug}/channels/{channel_id}", response=ChannelDetail)
def change_channel(request: HttpRequest, slug: str, channel_id: int, data: ChannelPatch) -> Channel:
    """Rename, reconfigure, give new credentials (which reconnects the channel) or change the
    polling interval; what is not given keeps its value."""
    channel = access_channel(_membership(request, slug), channel_id, Perm.MANAGE_CHANNELS)
    actions.update_channel(
        channel,
        name=data.name,
        config=data.config,
        credentials=data.credentials,
        sync_interval_s=data.sync_interval_s,
        partial=True,
        by=_by(request),
    )
    return _out(channel)


@router.put("/workspaces/{slug}/channels/{channel_id}/brand-accounts", response=ChannelDetail)
def set_brand_accounts(
    request: HttpRequest, slug: str, channel_id: int, data: BrandAccountsIn
) -> Channel:
    """The brand's own accounts on the channel: their messages are the brand's answers."""
    channel = access_channel(_membership(request, slug), channel_id, Perm.MANAGE_CHANNELS)
    actions.set_brand_accounts(channel, data.brand_author_ids, by=_by(request))
    return _out(channel)


@router.post("/workspaces/{slug}/channels/{channel_id}/identity", response=ChannelDetail)
def learn_identity(request: HttpRequest, slug: str, channel_id: int) -> Channel:
    """Ask the platform which account the channel is connected as: it becomes the brand's."""
    channel = access_channel(_membership(request, slug), channel_id, Perm.MANAGE_CHANNELS)
    actions.refresh_identity(channel, by=_by(request))
    return _out(channel)


@router.post("/workspaces/{slug}/channels/{channel_id}/test", response=ChecksOut)
def test_channel(request: HttpRequest, slug: str, channel_id: int) -> dict[str, Any]:
    """Test the connection: one check per capability, in plain words."""
    channel = access_channel(_membership(request, slug), channel_id, Perm.MANAGE_CHANNELS)
    return _checks(actions.try_connection(channel, by=_by(request)))


@router.post("/workspaces/{slug}/channels/{channel_id}/pause", response=ChannelDetail)
def pause_channel(request: HttpRequest, slug: str, channel_id: int) -> Channel:
    channel = access_channel(_membership(request, slug), channel_id, Perm.MANAGE_CHANNELS)
    actions.pause_channel(channel, by=_by(request))
    return _out(channel)


@router.post("/workspaces/{slug}/channels/{channel_id}/resume", response=ChannelDetail)
def resume_channel(request: HttpRequest, slug: str, channel_id: int) -> Channel:
    channel = access_channel(_membership(request, slug), channel_id, Perm.MANAGE_CHANNELS)
    actions.resume_channel(channel, by=_by(request))
    return _out(channel)


@router.post("/workspaces/{slug}/channels/{channel_id}/sync", response={202: ChannelDetail})
def sync_channel(request: HttpRequest, slug: str, channel_id: int) -> Status[Channel]:
    """Start a sync now (or, while the platform's rate limit lasts, as soon as it ends)."""
    channel = access_channel(_membership(request, slug), channel_id, Perm.MANAGE_CHANNELS)
    actions.sync_channel_now(channel, by=_by(request))
    return Status(202, _out(channel))


@router.delete("/workspaces/{slug}/channels/{channel_id}", response=DeletedOut)
def delete_channel(
    request: HttpRequest,
    slug: str,
    channel_id: int,
    messages: Literal["keep", "delete"] = "keep",
) -> dict[str, Any]:
    """Remove the channel. `messages=keep` (the default) keeps its messages and conversations;
    `messages=delete` deletes them for good (also for a channel removed earlier)."""
    channel = access_channel(_membership(request, slug), channel_id, Perm.MANAGE_CHANNELS)
    counts = actions.delete_channel(channel, keep_messages=messages == "keep", by=_by(request))
    return {**counts, "kept": messages == "keep"}


@router.get("/channel-kinds", response=list[dict[str, Any]])
def channel_kinds(request: HttpRequest) -> list[dict[str, Any]]:
    """What each platform asks for (the guided form's fields) and what Hearth can do there."""
    return [
        {
            "kind": kind,
            "label": platform_label(kind),
            "docs": docs_page(kind),
            "capabilities": dict(capabilities(kind)),
            "fields": [
                {
                    "name": f.name,
                    "label": str(f.label),
                    "kind": f.kind,
                    "required": f.required,
                    "secret": f.secret,
                    "help": str(f.help),
                    "choices": [k for k, _label in f.choices],
                    "default": f.default,
                }
                for f in fields_of(kind)
            ],
        }
        for kind in CONNECTORS
    ]
