"""Segments of the community and its shape (the 1 % / 9 % / 90 % rule).

Counted continuously by the members stage of the pipeline (`count_messages`: a new message adds
to its member's counters and may make them a newcomer) and recomputed by the periodic job
`community-segments` (`recompute`), which also writes the day's `ShapeSnapshot`.

The rules (thresholds from `CommunitySettings`, shown on the settings page):
- **creator**: started at least `creator_min_posts` conversations (a message that opens a thread).
- **contributor**: not a creator, answered at least `contributor_min_replies` times.
- **lurker**: follows but never writes; a count, not a member: the audience minus the members who
  wrote. The audience is `audience_size` when the settings give one (an override), else the sum
  of the channels' latest follower counts (`audience`), else unknown.
- **newcomer**: first message within the last `newcomer_days` days.
- **champion**: at least `champion_min_messages` messages, at least
  `champion_min_positive_share` % of them positive, active within `champion_active_days` days.
- **at risk**: the last 30 days' messages fell by `at_risk_drop_percent` % or more against the
  30 days before (at least 2 then), or `at_risk_negative_share` % or more of the last 30 days'
  messages (at least 2) are negative.
- **influencer**: the top `influencer_top_percent` % of members by influence, or an audience of
  at least `influencer_min_followers`, provided they wrote in the last 90 days.

Influence follows the Orbit model (love × reach) with crowd.dev's idea of reach (followers
across platforms; its "influential" view starts at 500):
    love = 3 × conversations started + 2 × replies + 1 × positive messages   (last 90 days)
    reach = 1 + log10(1 + followers)
    relevance = share of the member's messages (last 90 days) that are not spam
    influence = love × reach × relevance
The weights 3/2/1 mirror the common post/comment/reaction weighting of activity scores
(a conversation started costs more and draws more than a reply).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.module_loading import import_string

from hearth.community.charts import shape_charts
from hearth.community.models import SEGMENTS, CommunitySettings, Identity, Member, ShapeSnapshot
from hearth.conversations.models import Message
from hearth.core.bulk import in_values
from hearth.core.models import Workspace

LOVE_WEIGHTS = {"post": 3.0, "reply": 2.0, "positive": 1.0}
WINDOW_DAYS = 30
INFLUENCE_DAYS = 90


def community_settings(workspace: Workspace | int) -> CommunitySettings:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found, _ = CommunitySettings.objects.get_or_create(workspace_id=workspace_id)
    return found


def starts_conversation(message: Message) -> bool:
    return message.parent_id is None


@dataclass
class _Tally:
    first: datetime
    first_id: int
    last: datetime
    n: int = 0
    posts: int = 0
    replies: int = 0
    pos: int = 0
    neg: int = 0


def count_messages(
    messages: Iterable[Message], member_of: dict[int, int], created: set[int] | None = None
) -> None:
    """Add the batch's new messages (the brand's left out) to their members' counters.

    One UPDATE per member, in key order (so two batches never wait on each other in a cycle).
    A member whose first message this is becomes a newcomer. `created` members were made from
    their author in this batch: their totals and times already include it.
    """
    created = created or set()
    per: dict[int, _Tally] = {}
    for m in messages:
        if m.from_brand or m.author_id not in member_of:
            continue
        mid = member_of[m.author_id]
        t = per.setdefault(mid, _Tally(first=m.created_at, first_id=m.pk, last=m.created_at))
        t.n += 1
        if starts_conversation(m):
            t.posts += 1
        else:
            t.replies += 1
        if m.sentiment == "positive":
            t.pos += 1
        elif m.sentiment == "negative":
            t.neg += 1
        if m.created_at < t.first:
            t.first, t.first_id = m.created_at, m.pk
        t.last = max(t.last, m.created_at)
    if not per:
        return
    fresh = set(
        Member.objects.filter(pk__in=list(per), first_message_id__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for mid in sorted(per):
        t = per[mid]
        update: dict[str, Any] = {
            "posts_count": F("posts_count") + t.posts,
            "replies_count": F("replies_count") + t.replies,
            "positive_count": F("positive_count") + t.pos,
            "negative_count": F("negative_count") + t.neg,
        }
        if t.posts:
            update["is_creator"] = True
        if mid in fresh:
            update["first_message_id"] = t.first_id
            update["is_newcomer"] = True
        if mid not in created:
            update["message_count"] = F("message_count") + t.n
            update["last_seen_at"] = Greatest(
                Coalesce("last_seen_at", Value(t.last)), Value(t.last)
            )
            update["first_seen_at"] = Least(
                Coalesce("first_seen_at", Value(t.first)), Value(t.first)
            )
        Member.objects.filter(pk=mid).update(**update)


def uncount_messages(messages: Iterable[Message]) -> None:
    """Take messages their authors deleted on the platform out of their members' counters (the
    reverse of `count_messages`; never below zero). The member's first and last seen times stay:
    they say when the person was there. Segments follow at the next `recompute`, which reads
    only the messages still there."""
    per: dict[int, _Tally] = {}
    messages = [m for m in messages if not m.from_brand]
    member_of = dict(
        Member.objects.filter(
            identities__author_id__in={m.author_id for m in messages}
        ).values_list("identities__author_id", "pk")
    )
    for m in messages:
        if m.author_id not in member_of:
            continue
        t = per.setdefault(
            member_of[m.author_id], _Tally(first=m.created_at, first_id=m.pk, last=m.created_at)
        )
        t.n += 1
        if starts_conversation(m):
            t.posts += 1
        else:
            t.replies += 1
        if m.sentiment == "positive":
            t.pos += 1
        elif m.sentiment == "negative":
            t.neg += 1
    for mid in sorted(per):  # key order, as `count_messages`: no deadlock between batches
        t = per[mid]
        Member.objects.filter(pk=mid).update(
            message_count=Greatest(F("message_count") - t.n, Value(0)),
            posts_count=Greatest(F("posts_count") - t.posts, Value(0)),
            replies_count=Greatest(F("replies_count") - t.replies, Value(0)),
            positive_count=Greatest(F("positive_count") - t.pos, Value(0)),
            negative_count=Greatest(F("negative_count") - t.neg, Value(0)),
        )


def _rules(cfg: CommunitySettings, now: datetime) -> dict[str, Q]:
    """The segments that read only the member's own counters, as conditions on Member rows."""
    total = F("posts_count") + F("replies_count")
    creator = Q(posts_count__gte=max(1, cfg.creator_min_posts))
    return {
        "creator": creator,
        "contributor": ~creator & Q(replies_count__gte=max(1, cfg.contributor_min_replies)),
        "newcomer": Q(
            first_seen_at__gte=now - timedelta(days=cfg.newcomer_days), first_seen_at__lte=now
        ),
        "champion": Q(GreaterThanOrEqual(total, cfg.champion_min_messages))
        & Q(GreaterThanOrEqual(F("positive_count") * 100, total * cfg.champion_min_positive_share))
        & Q(last_seen_at__gte=now - timedelta(days=cfg.champion_active_days)),
    }


def _set_flag(workspace: Workspace, name: str, wanted: set[int]) -> None:
    """Make `is_<name>` true exactly for the members `wanted`, touching only those that change."""
    base = Member.objects.filter(workspace=workspace)
    flagged = set(base.filter(**{f"is_{name}": True}).values_list("pk", flat=True))
    for ids, value in ((wanted - flagged, True), (flagged - wanted, False)):
        chunk = sorted(ids)
        for i in range(0, len(chunk), 10_000):
            base.filter(pk__in=in_values(chunk[i : i + 10_000])).update(**{f"is_{name}": value})


def recompute(workspace: Workspace, *, now: datetime | None = None) -> dict[str, int]:
    """Recompute every member's segments of `workspace` at `now`; write the day's shape.

    Returns the count of members per segment. Set-based: the segments that read only a member's
    counters (creator, contributor, newcomer, champion) are two UPDATEs each, of the rows whose
    value changes; the others read the messages of the last 90 days once, grouped by author,
    and write only the members whose flags or scores change.
    """
    now = now or timezone.now()
    cfg = community_settings(workspace)
    recent = now - timedelta(days=WINDOW_DAYS)
    previous = now - timedelta(days=2 * WINDOW_DAYS)
    window = now - timedelta(days=INFLUENCE_DAYS)
    base = Member.objects.filter(workspace=workspace)
    for name, rule in _rules(cfg, now).items():
        base.filter(rule).exclude(**{f"is_{name}": True}).update(**{f"is_{name}": True})
        base.exclude(rule).filter(**{f"is_{name}": True}).update(**{f"is_{name}": False})
    # Grouped by author, without joining each message to its identity: a few rows per author
    # are summed per member here.
    rows = (
        Message.objects.present()
        .filter(workspace=workspace, from_brand=False, created_at__gte=window, created_at__lte=now)
        .values("author_id")
        .annotate(
            n=Count("pk"),
            posts=Count("pk", filter=Q(parent__isnull=True)),
            replies=Count("pk", filter=Q(parent__isnull=False)),
            pos=Count("pk", filter=Q(sentiment="positive")),
            spam=Count("pk", filter=Q(is_spam=True)),
            recent=Count("pk", filter=Q(created_at__gte=recent)),
            before=Count("pk", filter=Q(created_at__gte=previous, created_at__lt=recent)),
            neg_recent=Count("pk", filter=Q(created_at__gte=recent, sentiment="negative")),
        )
        .order_by()
    )
    member_of = dict(
        Identity.objects.filter(workspace=workspace).values_list("author_id", "member_id")
    )
    stats: dict[int, dict[str, int]] = {}
    for r in rows:
        mid = member_of.get(r.pop("author_id"))
        if mid is None:
            continue
        into = stats.setdefault(mid, dict.fromkeys(r, 0))
        for key, value in r.items():
            into[key] += value
    current = {
        pk: (followers, love, reach, influence)
        for pk, followers, love, reach, influence in base.values_list(
            "pk", "followers", "love", "reach", "influence"
        )
    }
    influence: dict[int, float] = {}
    love: dict[int, float] = {}
    for pk, s in stats.items():
        if pk not in current:
            continue
        love[pk] = (
            LOVE_WEIGHTS["post"] * s["posts"]
            + LOVE_WEIGHTS["reply"] * s["replies"]
            + LOVE_WEIGHTS["positive"] * s["pos"]
        )
        reach = 1 + math.log10(1 + current[pk][0])
        relevance = (s["n"] - s["spam"]) / s["n"] if s["n"] else 0.0
        influence[pk] = round(love[pk] * reach * relevance, 3)
    ranked = sorted((v for v in influence.values() if v > 0), reverse=True)
    top_n = max(1, math.ceil(len(ranked) * cfg.influencer_top_percent / 100)) if ranked else 0
    cutoff = ranked[top_n - 1] if top_n else math.inf
    at_risk: set[int] = set()
    influencers: set[int] = set()
    for pk, s in stats.items():
        if pk not in current:
            continue
        before, rec, neg = s["before"], s["recent"], s["neg_recent"]
        dropping = before >= 2 and rec * 100 <= before * (100 - cfg.at_risk_drop_percent)
        souring = rec >= 2 and neg * 100 >= cfg.at_risk_negative_share * rec
        if dropping or souring:
            at_risk.add(pk)
        if s["n"] > 0 and (
            influence[pk] >= cutoff or current[pk][0] >= max(1, cfg.influencer_min_followers)
        ):
            influencers.add(pk)
    _set_flag(workspace, "at_risk", at_risk)
    _set_flag(workspace, "influencer", influencers)
    changed = []
    for pk, (followers, old_love, old_reach, old_influence) in current.items():
        new = (love.get(pk, 0.0), 1 + math.log10(1 + followers), influence.get(pk, 0.0))
        if new != (old_love, old_reach, old_influence):
            changed.append((*new, pk))
    if changed:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            # Identifiers come from the model's own metadata; every value is a bound parameter.
            cursor.executemany(
                f"UPDATE {qn(Member._meta.db_table)} SET love = %s, reach = %s, influence = %s"  # noqa: S608
                " WHERE id = %s",
                changed,
            )
    base.update(segments_at=now)
    tally = base.aggregate(
        members=Count("pk"),
        **{name: Count("pk", filter=Q(**{f"is_{name}": True})) for name in SEGMENTS},
    )
    counts = {name: tally[name] for name in SEGMENTS if tally[name]}
    writers = tally["creator"] + tally["contributor"]
    size, source, as_of = audience(workspace, cfg)
    ShapeSnapshot.objects.update_or_create(
        workspace=workspace,
        day=timezone.localdate(now),
        defaults={
            "creators": tally["creator"],
            "contributors": tally["contributor"],
            "lurkers": max(0, size - writers),
            "members": tally["members"],
            "audience": size,
            "audience_source": source,
            "audience_as_of": as_of,
        },
    )
    return counts


def audience(workspace: Workspace, cfg: CommunitySettings) -> tuple[int, str, date | None]:
    """(size, source, as of) of the audience the lurkers come from: the settings' `audience_size`
    when set (an override), else the channels' latest follower counts (the function named in
    settings.HEARTH_COMMUNITY_AUDIENCE, analytics'), else (0, "", None): unknown."""
    if cfg.audience_size:
        return cfg.audience_size, "settings", None
    hook = getattr(settings, "HEARTH_COMMUNITY_AUDIENCE", "")
    found = import_string(hook)(workspace.pk) if hook else None
    if found and found[0]:
        return int(found[0]), "followers", found[1]
    return 0, "", None


def shape(workspace: Workspace) -> dict[str, object]:
    """The community's shape now (shares in %) and its trend (the last 30 snapshots)."""
    snaps = list(ShapeSnapshot.objects.filter(workspace=workspace).order_by("-day")[:30])[::-1]
    last = snaps[-1] if snaps else None
    total = (last.creators + last.contributors + last.lurkers) if last else 0

    def share(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    return {
        "last": last,
        "known_lurkers": bool(last and last.lurkers),
        "shares": {
            "creators": share(last.creators) if last else 0.0,
            "contributors": share(last.contributors) if last else 0.0,
            "lurkers": share(last.lurkers) if last else 0.0,
        },
        "rule": {"creators": 1.0, "contributors": 9.0, "lurkers": 90.0},
        "trend": snaps,
        "charts": shape_charts(snaps),
    }
