"""What the listening pages and the API show: trends, rising terms, share of voice, crisis rooms."""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.conversations.metrics import workspace_timezone
from hearth.conversations.models import Message
from hearth.core.models import Workspace
from hearth.core.timefmt import moment
from hearth.listening.models import CrisisRoom, ListeningQuery, Mention, QueryCategory
from hearth.listening.query import fold, highlight_terms, parse
from hearth.listening.rollups import RANGES, SENTIMENTS, series

__all__ = ["RANGES", "crisis_summary", "trending", "trends"]

_TOKEN_RE = re.compile(r"#?\w{3,}")
STOPWORDS = frozenset(
    fold(w)
    for w in """
the and for are but not you all any can had her was one our out has him his how its may new now old see two who
did get got let put say she too use with this that from have they will what when your just been than them then
there their about would could should which while into only also very more most some such over after before
https http www com les des une pour pas que qui dans sur avec est sont mais plus par tout tous ils elle nous vous
leur leurs mon mes ton tes son ses cette ces comme aussi bien fait faire être avoir ete etait deja encore
quand donc alors rien sans sous chez entre depuis car parce peu tres trop moi toi lui eux
""".split()
)


def _terms(text: str) -> set[str]:
    out = set()
    for token in _TOKEN_RE.findall(fold(text)):
        word = token.lstrip("#")
        if word in STOPWORDS or word.isdigit():
            continue
        out.add(token)
    return out


def rising_terms(
    texts_recent: list[str],
    texts_baseline: list[str],
    *,
    ratio: float,
    limit: int = 15,
    exclude: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Terms that rise against their own baseline, not merely frequent ones.

    `ratio` is the length of the recent window divided by the baseline's. Score: the excess of
    documents containing the term over what its baseline predicts, in Poisson standard deviations.
    """
    recent: Counter[str] = Counter()
    for text in texts_recent:
        recent.update(_terms(text))
    base: Counter[str] = Counter()
    for text in texts_baseline:
        base.update(_terms(text))
    exclude = exclude or set()
    rows: list[dict[str, Any]] = []
    for term, n in recent.items():
        if n < 3 or term.lstrip("#") in exclude:
            continue
        expected = base[term] * ratio
        if n < 2 * expected + 1:
            continue
        rows.append(
            {
                "term": term,
                "recent": n,
                "expected": round(expected, 1),
                "hashtag": term.startswith("#"),
                "score": round((n - expected) / math.sqrt(expected + 1), 2),
            }
        )
    rows.sort(key=lambda r: (-r["score"], r["term"]))
    return rows[:limit]


def _texts(
    workspace: Workspace,
    query_ids: list[int] | None,
    start: datetime,
    end: datetime,
    cap: int = 20_000,
    *,
    include_owned: bool = False,
) -> list[str]:
    if query_ids:
        qs = (
            Message.objects.present()
            .filter(mentions__query_id__in=query_ids, created_at__gte=start, created_at__lt=end)
            .distinct()
        )
    else:
        qs = Message.objects.present().filter(
            workspace=workspace, created_at__gte=start, created_at__lt=end
        )
    if not include_owned:  # the brand's own posts say what the brand says, not the community
        qs = qs.filter(from_brand=False)
    return list(qs.order_by("-created_at").values_list("text", flat=True)[:cap])


def trending(
    workspace: Workspace,
    *,
    query_ids: list[int] | None = None,
    window: timedelta = timedelta(hours=24),
    baseline: timedelta = timedelta(days=7),
    now: datetime | None = None,
    limit: int = 15,
    include_owned: bool = False,
) -> dict[str, Any]:
    """Rising terms and hashtags of the community's messages (with the brand's own posts too
    when `include_owned`)."""
    now = now or timezone.now()
    recent = _texts(workspace, query_ids, now - window, now, include_owned=include_owned)
    base = _texts(
        workspace, query_ids, now - window - baseline, now - window, include_owned=include_owned
    )
    terms = rising_terms(recent, base, ratio=window / baseline, limit=limit * 2)
    return {
        "terms": [t for t in terms if not t["hashtag"]][:limit],
        "hashtags": [t for t in terms if t["hashtag"]][:limit],
    }


def trends(
    workspace: Workspace,
    *,
    range_key: str = "7d",
    query_ids: list[int] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Series per query and sentiment for the range, with share of voice of brand vs competitors."""
    now = now or timezone.now()
    span = RANGES.get(range_key, RANGES["7d"])
    queries = list(
        ListeningQuery.objects.filter(
            workspace=workspace, **({"pk__in": query_ids} if query_ids else {})
        )
    )
    buckets, data = series([q.pk for q in queries], start=now - span, end=now)
    per_query: list[dict[str, Any]] = []
    for q in queries:
        counts = data[q.pk]
        total = [sum(counts[s][i] for s in SENTIMENTS) for i in range(len(buckets))]
        per_query.append(
            {
                "id": q.pk,
                "name": q.name,
                "category": q.category,
                "total": total,
                **{s: counts[s] for s in SENTIMENTS},
                "sum": sum(total),
            }
        )
    voice = [
        r for r in per_query if r["category"] in (QueryCategory.BRAND, QueryCategory.COMPETITOR)
    ]
    voice_total = sum(r["sum"] for r in voice) or 1
    sentiment = {
        s: [sum(r[s][i] for r in per_query) for i in range(len(buckets))] for s in SENTIMENTS
    }
    return {
        "range": range_key if range_key in RANGES else "7d",
        "buckets": [b.isoformat() for b in buckets],
        "epochs": [int(b.timestamp()) for b in buckets],
        "queries": per_query,
        "sentiment": sentiment,
        "share_of_voice": [
            {
                "id": r["id"],
                "name": r["name"],
                "category": r["category"],
                "mentions": r["sum"],
                "share": round(r["sum"] / voice_total, 4),
            }
            for r in sorted(voice, key=lambda r: -r["sum"])
        ],
    }


HOLDING_STATEMENTS = {
    "en": (
        "We are aware that some of you are experiencing problems with {topic} since {since}. "
        "Our teams are investigating right now and we will post an update here by {next_update}. "
        "We are sorry for the trouble, and we will answer each of you. — The {brand} team"
    ),
    "fr": (
        "Nous avons bien vu que certains d’entre vous rencontrent des problèmes avec {topic} depuis {since}. "
        "Nos équipes sont sur le sujet et nous publierons un point ici d’ici {next_update}. "
        "Nous sommes désolés pour la gêne occasionnée et nous répondrons à chacun d’entre vous. — L’équipe {brand}"
    ),
}


def _statement_moment(value: datetime, lang: str, tz: tzinfo, now: datetime) -> str:
    """A time of the holding statement, in the workspace's time zone and the statement's
    language: "16:22" today, with the date another day ("since December 6, 4:22 p.m.",
    « depuis le 6 décembre à 16:22 »)."""
    return moment(value, tz=tz, now=now, lang=lang)


def crisis_window(room: CrisisRoom, now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or timezone.now()
    end = min(
        now, max(room.last_alarm_at + timedelta(hours=3), room.detected_at + timedelta(hours=6))
    )
    return room.onset_at, max(end, room.onset_at + timedelta(minutes=10))


def crisis_summary(room: CrisisRoom, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    start, end = crisis_window(room, now)
    chart_start = start - max(timedelta(hours=3), (end - start) * 2)
    span = end - chart_start
    step = timedelta(minutes=5) if span <= timedelta(hours=36) else timedelta(hours=1)
    buckets, data = series(
        [room.query_id], start=chart_start, end=end, resolution="minute", step=step
    )
    mentions = Mention.objects.filter(query=room.query, created_at__gte=start, created_at__lt=end)
    top_messages = list(
        Message.objects.present()
        .filter(mentions__in=mentions, from_brand=False)
        .select_related("author", "channel")
        .annotate(engagement=F("likes") + F("shares") * 2 + F("replies"))
        .order_by("-engagement", "-created_at")[:10]
    )
    top_authors = list(
        mentions.values(
            "message__author_id",
            "message__author__display_name",
            "message__author__handle",
            "channel__name",
        )
        .annotate(n=Count("id"), negative=Count("id", filter=Q(sentiment="negative")))
        .order_by("-n")[:10]
    )

    try:
        own = highlight_terms(parse(room.query.expression))
    except ValueError:
        own = set()
    recent = _texts(room.workspace, [room.query_id], start, end)
    base = _texts(room.workspace, [room.query_id], start - timedelta(days=7), start)
    terms = rising_terms(
        recent, base, ratio=(end - start) / timedelta(days=7), limit=12, exclude=own
    )
    totals = mentions.aggregate(n=Count("id"), negative=Count("id", filter=Q(sentiment="negative")))
    brand = room.workspace.brand_name or room.workspace.name
    tz = workspace_timezone(room.workspace)
    statements = {
        lang: text.format(
            brand=brand,
            topic=room.query.name,
            since=_statement_moment(room.onset_at, lang, tz, now),
            next_update=_statement_moment(now + timedelta(hours=2), lang, tz, now),
        )
        for lang, text in HOLDING_STATEMENTS.items()
    }
    return {
        "window": (start, end),
        "epochs": [int(b.timestamp()) for b in buckets],
        "timeline": {s: data[room.query_id][s] for s in SENTIMENTS},
        "top_messages": top_messages,
        "top_authors": top_authors,
        "terms": terms,
        "mentions": totals["n"],
        "negative": totals["negative"],
        "statements": statements,
    }


def affected_channels(room: CrisisRoom, *, now: datetime | None = None) -> list[Channel]:
    """The channels where the crisis's mentions were posted, in the spike window, by name."""
    start, end = crisis_window(room, now)
    ids = (
        Mention.objects.filter(query=room.query, created_at__gte=start, created_at__lt=end)
        .values_list("channel_id", flat=True)
        .distinct()
    )
    return list(Channel.objects.filter(workspace=room.workspace, pk__in=ids).order_by("name"))
