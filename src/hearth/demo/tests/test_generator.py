"""Tests of the synthetic demo community (pure Python, no database)."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hearth.demo.generator.__main__ import main
from hearth.demo.generator.community import Community, generate_community
from hearth.demo.generator.data import BRAND_AUTHOR_IDS, NEGATIVE_CATEGORIES
from hearth.demo.generator.stream import generate_messages
from hearth.demo.generator.summary import activity_summary
from hearth.demo.generator.trickle import LiveTrickle

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def community() -> Community:
    return generate_community(now=NOW)


@pytest.fixture(scope="module")
def summary(community: Community) -> dict:
    return activity_summary(community)


def test_same_seed_gives_identical_items() -> None:
    a = generate_community(seed=3, members=800, days=14, now=NOW)
    b = generate_community(seed=3, members=800, days=14, now=NOW)
    assert a.items == b.items
    assert a.person_links == b.person_links
    assert a.labels == b.labels


def test_different_seed_gives_different_items() -> None:
    a = generate_community(seed=3, members=800, days=14, now=NOW)
    b = generate_community(seed=4, members=800, days=14, now=NOW)
    assert a.items != b.items


def test_volume_and_channels(community: Community, summary: dict) -> None:
    assert len(community.channels) >= 3
    assert 15_000 <= summary["items"] <= 40_000
    assert summary["distinct_texts"] >= 3_000
    assert set(community.items) == {c.slug for c in community.channels}


def test_items_use_the_import_format(community: Community) -> None:
    keys = {
        "external_id",
        "kind",
        "author",
        "text",
        "created_at",
        "parent_external_id",
        "url",
        "metrics",
        "lang",
    }
    for _slug, item in community.all_items():
        assert set(item) == keys
        assert item["kind"] in {"post", "comment", "reply", "dm", "mention", "review"}
        assert set(item["author"]) == {"external_id", "handle", "display_name"}
        assert set(item["metrics"]) == {"likes", "shares", "replies", "views"}
        assert item["lang"] in {"fr", "en", None}
        created = datetime.fromisoformat(item["created_at"])
        assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0
        assert created <= NOW
        assert item["text"]


def test_external_ids_are_unique_per_channel(community: Community) -> None:
    for items in community.items.values():
        ids = [it["external_id"] for it in items]
        assert len(ids) == len(set(ids))


def test_replies_reference_earlier_items_of_the_same_channel(community: Community) -> None:
    for items in community.items.values():
        created = {}
        previous = ""
        for item in items:
            assert item["created_at"] >= previous  # sorted by created_at
            previous = item["created_at"]
            parent = item["parent_external_id"]
            if parent is not None:
                assert parent in created
                assert created[parent] < item["created_at"]
            elif item["kind"] in ("comment", "reply"):
                pytest.fail(f"{item['kind']} without a parent")
            created[item["external_id"]] = item["created_at"]


def test_reply_counts_match_children(community: Community) -> None:
    for items in community.items.values():
        children = Counter(it["parent_external_id"] for it in items if it["parent_external_id"])
        for item in items:
            assert item["metrics"]["replies"] == children[item["external_id"]]


def test_brand_answers_with_its_own_account(community: Community) -> None:
    for spec in community.channels:
        assert BRAND_AUTHOR_IDS[spec.slug] == spec.brand_author_id
        brand_replies = [
            it
            for it in community.items[spec.slug]
            if it["author"]["external_id"] == spec.brand_author_id and it["parent_external_id"]
        ]
        assert len(brand_replies) >= 20


def test_one_percent_rule(summary: dict) -> None:
    buckets = summary["members_by_items"]
    assert sum(buckets.values()) == summary["members"]
    assert summary["share_posting_at_most_once"] >= 0.85
    assert buckets["0"] > 0 and buckets["10+"] > 0
    shares = summary["content_share"]
    # The most active 10% write most of the content; the top 1% alone a large part.
    assert shares["creators_top_1pct"] + shares["contributors_next_9pct"] >= 0.65
    assert shares["creators_top_1pct"] >= 0.2


def test_evening_is_busier_than_the_small_hours(community: Community) -> None:
    hours = Counter(int(it["created_at"][11:13]) for _, it in community.all_items())
    evening = sum(hours[h] for h in (18, 19, 20, 21))
    small_hours = sum(hours[h] for h in (2, 3, 4, 5))
    assert evening >= 3 * small_hours
    assert hours[12] > hours[10]  # lunch bump (Paris time)


def test_both_languages_are_well_represented(summary: dict) -> None:
    assert summary["lang_share"]["fr"] >= 0.25
    assert summary["lang_share"]["en"] >= 0.25
    assert summary["per_lang"].get("none", 0) > 0  # emoji-only messages


def test_content_mix_includes_spam_abuse_and_criticism(summary: dict) -> None:
    cats = summary["per_category"]
    for category in (
        "question",
        "complaint",
        "praise",
        "suggestion",
        "criticism",
        "spam",
        "campaign",
        "abuse",
        "crisis",
        "mixed",
        "brand_reply",
    ):
        assert cats.get(category, 0) > 0, category


def test_crisis_spike_is_visible_and_negative(community: Community, summary: dict) -> None:
    assert community.crisis_window is not None
    start, end = community.crisis_window
    hourly = Counter(it["created_at"][:13] for _, it in community.all_items())
    busiest_hour, busiest = hourly.most_common(1)[0]
    assert busiest >= 4 * statistics.median(hourly.values())
    assert start.isoformat()[:13] <= busiest_hour < end.isoformat()[:13]
    in_window = [
        (slug, it)
        for slug, it in community.all_items()
        if start.isoformat() <= it["created_at"] < end.isoformat()
    ]
    negative = sum(
        1
        for slug, it in in_window
        if community.labels[slug][it["external_id"]] in NEGATIVE_CATEGORIES
    )
    assert negative / len(in_window) >= 0.6
    assert {it["lang"] for _, it in in_window} >= {"fr", "en"}
    assert summary["crisis"]["items"] == len(in_window)


def test_person_links_point_to_real_authors_on_two_channels(community: Community) -> None:
    authors = {
        (slug, it["author"]["external_id"]): it["author"]["display_name"]
        for slug, it in community.all_items()
    }
    by_person: dict[str, list[tuple[str, str]]] = {}
    for slug, author_id, person in community.person_links:
        by_person.setdefault(person, []).append((slug, author_id))
    assert len(by_person) >= 20
    for identities in by_person.values():
        assert len({slug for slug, _ in identities}) == 2
        names = {authors[i] for i in identities if i in authors}
        assert len(names) <= 1  # same display name on both platforms


def test_generate_messages_yields_n_items_with_unique_ids() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    out = list(generate_messages(20_000, seed=1, start=start, channels=4))
    assert len(out) == 20_000
    assert len({slug for slug, _ in out}) == 4
    assert len({(slug, it["external_id"]) for slug, it in out}) == 20_000
    seen: set[tuple[str, str]] = set()
    for slug, item in out:
        if item["parent_external_id"] is not None:
            assert (slug, item["parent_external_id"]) in seen
        seen.add((slug, item["external_id"]))
    langs = Counter(it["lang"] for _, it in out)
    assert langs["fr"] > 4000 and langs["en"] > 4000
    assert out == list(generate_messages(20_000, seed=1, start=start, channels=4))


def test_generate_messages_supports_more_channels_than_the_demo() -> None:
    out = list(generate_messages(2_000, start=datetime(2026, 11, 1, tzinfo=UTC), channels=8))
    assert len({slug for slug, _ in out}) == 8


def test_live_trickle_adds_new_unique_items(community: Community) -> None:
    existing = {(slug, it["external_id"]) for slug, it in community.all_items()}
    trickle = LiveTrickle(community, seed=5)
    seen: set[tuple[str, str]] = set()
    t0 = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)
    for step in range(50):
        now = t0.replace(second=30 + step % 30, minute=step // 30)
        batch = trickle.next_batch(now, max_items=5)
        assert 1 <= len(batch) <= 5
        for slug, item in batch:
            key = (slug, item["external_id"])
            assert key not in existing and key not in seen
            seen.add(key)
            assert item["created_at"] == now.isoformat()
            assert item["parent_external_id"] is None or item["kind"] in ("comment", "reply")
    # A restarted demo (new instance, same seed) must not reuse ids at a later time.
    later = LiveTrickle(community, seed=5).next_batch(datetime(2026, 12, 1, 13, tzinfo=UTC))
    assert not {(slug, it["external_id"]) for slug, it in later} & seen


def test_short_history_keeps_everything_in_the_past() -> None:
    now = datetime(2026, 12, 1, 2, 37, tzinfo=UTC)
    small = generate_community(members=200, days=1, now=now)
    assert small.crisis_window is not None and small.crisis_window[1] <= now
    assert all(it["created_at"] <= now.isoformat() for _, it in small.all_items())


def test_command_line_prints_the_summary_and_dumps_one_jsonl_per_channel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--summary", "--members", "300", "--days", "10", "--dump", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    summary = json.loads(out[: out.rindex("}") + 1])
    expected = generate_community(members=300, days=10, now=NOW)
    assert summary["items"] == sum(len(items) for items in expected.items.values())
    for slug, items in expected.items.items():
        lines = (tmp_path / f"{slug}.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line) for line in lines] == items
