from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status

from hearth.channels.actions import create_channel
from hearth.channels.models import Channel
from hearth.core.access import access_workspace
from hearth.core.actors import Actor
from hearth.core.permissions import Perm

router = Router(tags=["channels"])


class ChannelOut(Schema):
    id: int
    slug: str
    name: str
    kind: str
    platform: str
    created_at: datetime
    last_ingest_at: datetime | None
    sync_interval_s: int  # 0: the connector's default (channels Hearth polls)
    last_sync_at: datetime | None  # the last successful sync
    next_sync_at: datetime | None
    last_sync_error: str  # in plain words; empty once a sync succeeds
    last_sync_error_at: datetime | None


class ChannelIn(Schema):
    name: str
    kind: str
    platform: str = ""
    url: str = ""  # the feed of an RSS/Atom channel
    sync_interval_s: int = 0


class ChannelCreated(ChannelOut):
    webhook_path: str | None
    webhook_secret: str | None


@router.get("/workspaces/{slug}/channels", response=list[ChannelOut])
def list_channels(request: HttpRequest, slug: str) -> list[Channel]:
    membership = access_workspace(request.user, slug)
    return list(Channel.objects.filter(workspace=membership.workspace).order_by("name"))


@router.post("/workspaces/{slug}/channels", response={201: ChannelCreated})
def add_channel(request: HttpRequest, slug: str, data: ChannelIn) -> Status:
    membership = access_workspace(request.user, slug, Perm.MANAGE_CHANNELS)
    channel, secret = create_channel(
        membership.workspace,
        name=data.name,
        kind=data.kind,
        platform=data.platform,
        config={"url": data.url} if data.url else None,
        sync_interval_s=data.sync_interval_s,
        by=Actor.from_request(request, via="api"),
    )
    out = ChannelOut.from_orm(channel).dict()
    out["webhook_path"] = f"/hooks/{channel.webhook_key}" if secret else None
    out["webhook_secret"] = secret or None
    return Status(201, out)
