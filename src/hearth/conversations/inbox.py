"""The inbox's queries: filters that combine, saved views, counts. Shared by views, API and bench.

Every list is one indexed query on Thread (the routing hook keeps each thread's inbox state on
its row), sorted by priority then recency; counts are capped so that a busy workspace does not
pay for counting what nobody reads ("1,000+").
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import DateTimeField, F, Func, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from hearth.conversations.models import Thread, ThreadStatus
from hearth.conversations.search import matching_thread_ids
from hearth.core.models import User, Workspace

COUNT_CAP = 1000
SAVED_VIEWS = (
    ("inbox", _("Inbox")),
    ("unanswered", _("Unanswered questions")),
    ("negative", _("Negative in the last 24 h")),
    ("mine", _("Mine")),
)
VIEW_KEYS = tuple(key for key, _label in SAVED_VIEWS)
ORDER = ("-priority", "-last_message_at", "-pk")


@dataclass
class InboxFilters:
    view: str = "inbox"
    channel: str = ""
    status: str = ""  # empty: open (each saved view shows open conversations unless told otherwise)
    assignee: str = ""  # an e-mail, "me" or "none"
    lang: str = ""
    sentiment: str = ""
    intent: str = ""
    abuse: bool | None = None
    unanswered: bool | None = None
    since: date | None = None
    until: date | None = None
    q: str = ""
    tag: str = ""
    segment: str = ""  # a community segment: its members' conversations (settings hook below)

    @classmethod
    def from_query(cls, data: Any) -> InboxFilters:
        """From a QueryDict or dict of strings; unknown or malformed values are ignored."""
        out = cls()
        for f in fields(cls):
            raw = (data.get(f.name) or "").strip() if hasattr(data, "get") else ""
            if not raw:
                continue
            if f.name in ("abuse", "unanswered"):
                setattr(out, f.name, raw.lower() in ("1", "true", "yes", "on"))
            elif f.name in ("since", "until"):
                try:
                    setattr(out, f.name, date.fromisoformat(raw))
                except ValueError:
                    continue
            else:
                setattr(out, f.name, raw[:200])
        if out.view not in VIEW_KEYS:
            out.view = "inbox"
        return out

    def as_query(self, **override: Any) -> dict[str, str]:
        values = {f.name: getattr(self, f.name) for f in fields(self)} | override
        out = {}
        for key, value in values.items():
            if value is None or value == "" or (key == "view" and value == "inbox"):
                continue
            out[key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
        return out

    @property
    def active(self) -> bool:
        return bool(self.as_query(view="inbox"))


class _NotForIndex(Func):
    """A column's value that SQLite's planner does not use to choose an index (unary +, a no-op
    on any value); the column as it is elsewhere."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


def saved_view(
    workspace: Workspace, user: User | None, view: str, *, now: datetime | None = None
) -> QuerySet[Thread]:
    now = now or timezone.now()
    qs = Thread.objects.filter(workspace=workspace)
    if view == "unanswered":
        return qs.filter(unanswered_question=True)
    if view == "negative":
        # The 24 hours are checked on the index entries, not used to pick the index: SQLite
        # without statistics would rather read a day of negative threads and sort them all than
        # read thread_negative in the list's order and stop after a page.
        return qs.alias(at=_NotForIndex(F("last_message_at"), output_field=DateTimeField())).filter(
            last_sentiment="negative", at__gte=now - timedelta(hours=24)
        )
    if view == "mine":
        # Through an alias of the column, not the relation: a filter on `assignee` turns the
        # list's join with the user table into an inner join, and SQLite then loops over users
        # first and sorts every assigned thread instead of reading thread_mine in order.
        return (
            qs.alias(mine=F("assignee_id")).filter(mine=user.pk) if user is not None else qs.none()
        )
    return qs


def inbox_queryset(
    workspace: Workspace, user: User | None, filters: InboxFilters, *, now: datetime | None = None
) -> QuerySet[Thread]:
    """The threads of a view with every filter applied, highest priority first."""
    qs = saved_view(workspace, user, filters.view, now=now)
    qs = qs.filter(
        status=filters.status if filters.status in ThreadStatus.values else ThreadStatus.OPEN
    )
    if filters.channel:
        qs = qs.filter(channel__slug=filters.channel)
    if filters.assignee == "me":
        qs = qs.alias(mine=F("assignee_id")).filter(mine=user.pk if user else None)
    elif filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee:
        qs = qs.filter(assignee__email=filters.assignee.lower())
    if filters.lang:
        qs = qs.filter(lang=filters.lang)
    if filters.sentiment:
        qs = qs.filter(last_sentiment=filters.sentiment)
    if filters.intent:
        qs = qs.filter(last_intent=filters.intent)
    if filters.abuse is not None:
        qs = qs.filter(abuse_count__gt=0) if filters.abuse else qs.filter(abuse_count=0)
    if filters.unanswered is not None:
        qs = qs.filter(unanswered_question=filters.unanswered)
    tz = timezone.get_current_timezone()
    if filters.since:
        qs = qs.filter(last_message_at__gte=datetime.combine(filters.since, time.min, tzinfo=tz))
    if filters.until:
        qs = qs.filter(
            last_message_at__lt=datetime.combine(
                filters.until + timedelta(days=1), time.min, tzinfo=tz
            )
        )
    if filters.tag:
        qs = qs.filter(tags__workspace=workspace, tags__name=filters.tag.lower())
    if filters.segment and settings.HEARTH_INBOX_SEGMENT_AUTHORS:
        # The inbox sits below community: the app that knows segments is named in settings and
        # returns the author ids (a subquery) of a segment's members, or None for no such segment.
        authors = import_string(settings.HEARTH_INBOX_SEGMENT_AUTHORS)(
            workspace.pk, filters.segment
        )
        if authors is not None:
            qs = qs.filter(author_id__in=authors)
    if filters.q:
        qs = qs.filter(pk__in=matching_thread_ids(workspace, filters.q))
    return qs.order_by(*ORDER)


def capped_count(qs: QuerySet[Any], cap: int = COUNT_CAP) -> int:
    return qs.order_by()[:cap].count()


def capped_counts(querysets: dict[str, QuerySet[Any]], cap: int = COUNT_CAP) -> dict[str, int]:
    """Several capped counts in one round trip: SELECT (SELECT COUNT(*) FROM (… LIMIT cap)), …

    Each sub-select is the same indexed, limited query that capped_count() runs on its own.
    """
    if not querysets:
        return {}
    parts: list[str] = []
    params: list[Any] = []
    for i, qs in enumerate(querysets.values()):
        sql, sub_params = qs.order_by().values("pk")[:cap].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS c{i})")  # noqa: S608 - SQL compiled by the ORM, values as params
        params.extend(sub_params)
    db = next(iter(querysets.values())).db
    with connections[db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {key: int(n) for key, n in zip(querysets, row, strict=True)}


def _view_querysets(
    workspace: Workspace, user: User | None, now: datetime | None
) -> dict[str, QuerySet[Any]]:
    return {
        key: saved_view(workspace, user, key, now=now).filter(status=ThreadStatus.OPEN)
        for key in VIEW_KEYS
    }


def _waiting_queryset(workspace: Workspace) -> QuerySet[Any]:
    return Thread.objects.filter(
        workspace=workspace, status=ThreadStatus.OPEN, waiting_since__isnull=False
    )


def view_counts(
    workspace: Workspace, user: User | None, *, now: datetime | None = None
) -> dict[str, int]:
    """Open conversations per saved view (capped at COUNT_CAP)."""
    return capped_counts(_view_querysets(workspace, user, now))


def sidebar_counts(
    workspace: Workspace, user: User | None, *, now: datetime | None = None
) -> dict[str, int]:
    """The counts of every saved view plus "waiting" (the tab title), in one query."""
    return capped_counts(
        _view_querysets(workspace, user, now) | {"waiting": _waiting_queryset(workspace)}
    )


def waiting_count(workspace: Workspace) -> int:
    """Open conversations waiting for the brand: the number in the browser tab."""
    return capped_count(_waiting_queryset(workspace))
