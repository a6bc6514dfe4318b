"""REST API of listening: saved queries, mentions, trends, alerts and crisis rooms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from hearth.community.members import highlight_annotations
from hearth.core.access import access_workspace
from hearth.core.actors import Actor
from hearth.core.pagination import envelope, page
from hearth.core.permissions import Perm
from hearth.listening import actions, insights
from hearth.listening.access import access_crisis_room, access_query
from hearth.listening.models import CrisisRoom, ListeningQuery, Mention
from hearth.listening.query import QuerySyntaxError, parse
from hearth.notify.actions import deliveries_of
from hearth.notify.models import Alert

router = Router(tags=["listening"])


class QueryIn(Schema):
    name: str
    expression: str
    category: str = "topic"
    is_active: bool = True


class QueryOut(Schema):
    id: int
    name: str
    category: str
    expression: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ExpressionIn(Schema):
    expression: str


class ExpressionOut(Schema):
    valid: bool
    error: str | None = None
    column: int | None = None


class MentionOut(Schema):
    id: int
    query_id: int
    message_id: int
    channel: str
    created_at: datetime
    sentiment: str
    text: str
    author: str
    url: str
    # The author's member, and whether they are an influencer and/or a champion of the
    # community (the badge of the listening pages): "influencer", "champion", both or none.
    author_member_id: int | None
    author_highlights: list[str]

    @staticmethod
    def resolve_channel(obj: Mention) -> str:
        return obj.channel.slug

    @staticmethod
    def resolve_text(obj: Mention) -> str:
        return obj.message.text

    @staticmethod
    def resolve_url(obj: Mention) -> str:
        return obj.message.url

    @staticmethod
    def resolve_author(obj: Mention) -> str:
        return str(obj.message.author)

    @staticmethod
    def resolve_author_member_id(obj: Mention) -> int | None:
        return getattr(obj, "author_member_id", None)  # annotated by list_mentions

    @staticmethod
    def resolve_author_highlights(obj: Mention) -> list[str]:
        return [
            kind
            for kind in ("influencer", "champion")
            if getattr(obj, f"author_is_{kind}", False)  # annotated by list_mentions
        ]


class MentionPage(Schema):
    items: list[MentionOut]
    next_cursor: str | None


class MentionFilters(Schema):
    query: int | None = None
    sentiment: str | None = None
    cursor: str | None = None
    limit: int = 50


class DeliveryOut(Schema):
    id: int
    destination: str
    kind: str
    status: str  # queued | sending | sent | failed | unconfirmed
    attempts: int
    last_error: str
    next_attempt_at: datetime
    sent_at: datetime | None

    @staticmethod
    def resolve_destination(obj: Any) -> str:
        return str(obj.payload.get("destination", ""))

    @staticmethod
    def resolve_kind(obj: Any) -> str:
        return str(obj.transport)


class AlertOut(Schema):
    id: int
    source: str
    subject: str  # what it is about: "query:12", "rule:3"
    query_id: int | None
    crisis_room_id: int | None
    kind: str
    title: str
    link: str
    fired_at: datetime
    created_at: datetime
    suppressed: bool
    data: dict[str, Any]
    deliveries: list[DeliveryOut]

    @staticmethod
    def resolve_query_id(obj: Alert) -> int | None:
        return obj.data.get("query_id")

    @staticmethod
    def resolve_crisis_room_id(obj: Alert) -> int | None:
        return obj.data.get("crisis_room_id")

    @staticmethod
    def resolve_deliveries(obj: Alert) -> list[Any]:
        return obj.delivery_list


class AlertPage(Schema):
    items: list[AlertOut]
    next_cursor: str | None


class CrisisOut(Schema):
    id: int
    query_id: int
    query: str
    kind: str
    status: str
    onset_at: datetime
    detected_at: datetime
    last_alarm_at: datetime
    resolved_at: datetime | None
    observed: float
    expected: float
    negative_share: float
    checklist: dict[str, bool]

    @staticmethod
    def resolve_query(obj: CrisisRoom) -> str:
        return obj.query.name


class CrisisStatusIn(Schema):
    status: str


def _workspace(request: HttpRequest, slug: str, perm: Perm = Perm.VIEW) -> Any:
    return access_workspace(request.user, slug, perm)


@router.get("/workspaces/{slug}/listening/queries", response=list[QueryOut])
def list_queries(request: HttpRequest, slug: str) -> list[ListeningQuery]:
    return list(ListeningQuery.objects.filter(workspace=_workspace(request, slug).workspace))


@router.post("/workspaces/{slug}/listening/queries", response={201: QueryOut})
def create_query(request: HttpRequest, slug: str, body: QueryIn) -> Status[ListeningQuery]:
    membership = _workspace(request, slug, Perm.MANAGE_CHANNELS)
    query = actions.create_query(
        membership.workspace,
        name=body.name,
        expression=body.expression,
        category=body.category,
        by=Actor.from_request(request, via="api"),
    )
    return Status(201, query)


@router.post("/workspaces/{slug}/listening/queries/validate", response=ExpressionOut)
def validate_expression(request: HttpRequest, slug: str, body: ExpressionIn) -> dict[str, Any]:
    _workspace(request, slug)
    try:
        parse(body.expression.strip())
    except QuerySyntaxError as exc:
        return {"valid": False, "error": exc.message, "column": exc.column}
    return {"valid": True}


@router.get("/workspaces/{slug}/listening/queries/{query_id}", response=QueryOut)
def get_query(request: HttpRequest, slug: str, query_id: int) -> ListeningQuery:
    return access_query(_workspace(request, slug), query_id)


@router.put("/workspaces/{slug}/listening/queries/{query_id}", response=QueryOut)
def update_query(request: HttpRequest, slug: str, query_id: int, body: QueryIn) -> ListeningQuery:
    query = access_query(_workspace(request, slug), query_id, Perm.MANAGE_CHANNELS)
    return actions.update_query(
        query,
        name=body.name,
        expression=body.expression,
        category=body.category,
        is_active=body.is_active,
        by=Actor.from_request(request, via="api"),
    )


@router.delete("/workspaces/{slug}/listening/queries/{query_id}", response={204: None})
def delete_query(request: HttpRequest, slug: str, query_id: int) -> Status[None]:
    query = access_query(_workspace(request, slug), query_id, Perm.MANAGE_CHANNELS)
    actions.delete_query(query, by=Actor.from_request(request, via="api"))
    return Status(204, None)


@router.get("/workspaces/{slug}/listening/mentions", response=MentionPage)
def list_mentions(
    request: HttpRequest, slug: str, filters: Query[MentionFilters]
) -> dict[str, Any]:
    membership = _workspace(request, slug)
    qs = (
        Mention.objects.filter(workspace=membership.workspace)
        .select_related("channel", "message__author")
        .annotate(**highlight_annotations("message__author_id"))
    )
    if filters.query is not None:
        qs = qs.filter(query=access_query(membership, filters.query))
    if filters.sentiment:
        qs = qs.filter(sentiment=filters.sentiment)
    rows, next_cursor = page(qs, field="created_at", cursor=filters.cursor, limit=filters.limit)
    return envelope(rows, next_cursor)


@router.get("/workspaces/{slug}/listening/trends")
def get_trends(
    request: HttpRequest,
    slug: str,
    range: str = "7d",  # noqa: A002
    query: int | None = None,
    owned: bool = False,
) -> dict[str, Any]:
    """Volumes, share of voice and rising terms of the community; `owned=true` adds the brand's
    own posts to the rising terms (mentions and share of voice never count them)."""
    membership = _workspace(request, slug, Perm.VIEW_ANALYTICS)
    if range not in insights.RANGES:
        raise HttpError(400, f"range must be one of {', '.join(insights.RANGES)}.")
    ids = [access_query(membership, query).pk] if query is not None else None
    data = insights.trends(membership.workspace, range_key=range, query_ids=ids)
    data["trending"] = insights.trending(membership.workspace, query_ids=ids, include_owned=owned)
    return data


@router.get("/workspaces/{slug}/listening/alerts", response=AlertPage)
def list_alerts(
    request: HttpRequest, slug: str, cursor: str | None = None, limit: int = 50
) -> dict[str, Any]:
    membership = _workspace(request, slug)
    qs = Alert.objects.filter(workspace=membership.workspace)
    rows, next_cursor = page(qs, field="created_at", cursor=cursor, limit=limit)
    deliveries = deliveries_of(rows)
    for alert in rows:
        alert.delivery_list = deliveries.get(alert.pk, [])
    return envelope(rows, next_cursor)


@router.get("/workspaces/{slug}/listening/crisis-rooms", response=list[CrisisOut])
def list_crisis_rooms(
    request: HttpRequest, slug: str, status: str | None = None
) -> list[CrisisRoom]:
    qs = CrisisRoom.objects.filter(workspace=_workspace(request, slug).workspace).select_related(
        "query"
    )
    if status:
        qs = qs.filter(status=status)
    return list(qs[:200])


@router.get("/workspaces/{slug}/listening/crisis-rooms/{room_id}", response=CrisisOut)
def get_crisis_room(request: HttpRequest, slug: str, room_id: int) -> CrisisRoom:
    return access_crisis_room(_workspace(request, slug), room_id)


@router.post("/workspaces/{slug}/listening/crisis-rooms/{room_id}/status", response=CrisisOut)
def set_crisis_status(
    request: HttpRequest, slug: str, room_id: int, body: CrisisStatusIn
) -> CrisisRoom:
    room = access_crisis_room(_workspace(request, slug), room_id, Perm.REPLY)
    return actions.set_crisis_status(room, body.status, by=Actor.from_request(request, via="api"))
