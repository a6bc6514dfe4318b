"""The activity summary of a demo community, measured from its items (``--summary``)."""

from __future__ import annotations

from collections import Counter

from hearth.demo.generator.community import Community
from hearth.demo.generator.data import NEGATIVE_CATEGORIES


def activity_summary(community: Community) -> dict:
    """Counts measured from the generated items (the brand's own accounts excluded from the
    member figures). Roles are ranked from behaviour: the top 1% of members by thread starts
    (ties by item count) are creators, the next 9% contributors, everyone else lurkers,
    including members who never posted."""
    brand_ids = {(c.slug, c.brand_author_id) for c in community.channels}
    person_of = {(slug, aid): key for slug, aid, key in community.person_links}
    per_channel: dict[str, int] = {}
    per_kind: Counter[str] = Counter()
    per_lang: Counter[str] = Counter()
    per_category: Counter[str] = Counter()
    items_by_person: Counter[str] = Counter()
    threads_by_person: Counter[str] = Counter()
    hourly: Counter[str] = Counter()
    brand_items = 0
    texts: set[str] = set()
    for slug, items in community.items.items():
        per_channel[slug] = len(items)
        labels = community.labels.get(slug, {})
        for item in items:
            per_kind[item["kind"]] += 1
            per_lang[item["lang"] or "none"] += 1
            per_category[labels.get(item["external_id"], "?")] += 1
            hourly[item["created_at"][:13]] += 1
            texts.add(item["text"])
            aid = item["author"]["external_id"]
            if (slug, aid) in brand_ids:
                brand_items += 1
                continue
            person = person_of.get((slug, aid), f"{slug}:{aid}")
            items_by_person[person] += 1
            if item["parent_external_id"] is None:
                threads_by_person[person] += 1
    total = sum(per_channel.values())
    members = community.members
    ranked = sorted(items_by_person, key=lambda p: (-threads_by_person[p], -items_by_person[p], p))
    n_creators, n_contrib = max(1, round(members * 0.01)), max(1, round(members * 0.09))
    creators, contributors = ranked[:n_creators], ranked[n_creators : n_creators + n_contrib]
    member_items = sum(items_by_person.values())
    counts = list(items_by_person.values())
    posted = len(counts)
    buckets = {
        "0": members - posted,
        "1": sum(1 for c in counts if c == 1),
        "2-9": sum(1 for c in counts if 2 <= c <= 9),
        "10+": sum(1 for c in counts if c >= 10),
    }

    def share(group: list[str]) -> float:
        return (
            round(sum(items_by_person[p] for p in group) / member_items, 3) if member_items else 0.0
        )

    crisis: dict = {}
    if community.crisis_window:
        start, end = community.crisis_window
        in_window = [
            (slug, it)
            for slug, it in community.all_items()
            if start.isoformat() <= it["created_at"] < end.isoformat()
        ]
        negative = sum(
            1
            for slug, it in in_window
            if community.labels[slug].get(it["external_id"]) in NEGATIVE_CATEGORIES
        )
        volumes = sorted(hourly.values())
        busiest = max(hourly.items(), key=lambda kv: kv[1])
        crisis = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "items": len(in_window),
            "negative_share": round(negative / len(in_window), 3) if in_window else 0.0,
            "busiest_hour": busiest[0] + ":00",
            "busiest_hour_items": busiest[1],
            "median_hourly_items": volumes[len(volumes) // 2],
        }
    return {
        "items": total,
        "distinct_texts": len(texts),
        "brand_items": brand_items,
        "per_channel": per_channel,
        "per_kind": dict(per_kind.most_common()),
        "per_lang": dict(per_lang.most_common()),
        "lang_share": {k: round(v / total, 3) for k, v in per_lang.most_common()} if total else {},
        "per_category": dict(per_category.most_common()),
        "members": members,
        "members_posting": posted,
        "members_by_items": buckets,
        "share_posting_at_most_once": round((buckets["0"] + buckets["1"]) / members, 3),
        "content_share": {
            "creators_top_1pct": share(creators),
            "contributors_next_9pct": share(contributors),
            "lurkers_rest": round(1 - share(creators) - share(contributors), 3),
        },
        "thread_start_share_creators": round(
            sum(threads_by_person[p] for p in creators) / max(1, sum(threads_by_person.values())), 3
        ),
        "cross_channel_people": len({key for _, _, key in community.person_links}),
        "crisis": crisis,
    }
