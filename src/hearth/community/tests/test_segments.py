"""Segments over simulated time: thresholds, newcomers ageing, at-risk drops, influencers, shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import T0

from hearth.community.actions.linking import record_evidence
from hearth.community.actions.settings import configure_segments
from hearth.community.members import member_for_author
from hearth.community.models import ShapeSnapshot
from hearth.community.segments import recompute, shape
from hearth.core.actions import ActionError

DAY = 24 * 60


def test_creators_contributors_and_newcomers_age(workspace, forum, say):
    ana = say(forum, "ana", "How do I pair?", minutes=0)
    bob = say(forum, "bob", "Press the button", parent="forum-1", minutes=5)
    recompute(workspace, now=T0 + timedelta(days=1))
    a, b = member_for_author(ana), member_for_author(bob)
    assert a.is_creator and not a.is_contributor and a.is_newcomer
    assert b.is_contributor and not b.is_creator and b.is_newcomer
    recompute(workspace, now=T0 + timedelta(days=31))
    a.refresh_from_db()
    assert not a.is_newcomer  # 30 days by default
    snap = ShapeSnapshot.objects.get(workspace=workspace, day=(T0 + timedelta(days=31)).date())
    assert (snap.creators, snap.contributors, snap.lurkers) == (1, 1, 0)


def test_newcomer_threshold_from_settings(workspace, forum, say, actor):
    ana = say(forum, "ana")
    configure_segments(workspace, by=actor, values={"newcomer_days": "60"})
    recompute(workspace, now=T0 + timedelta(days=45))
    assert member_for_author(ana).is_newcomer
    with pytest.raises(ActionError, match="newcomer_days"):
        configure_segments(workspace, by=actor, values={"newcomer_days": "abc"})


def test_at_risk_when_activity_drops(workspace, forum, say):
    for i in range(6):  # six messages in the first month
        say(forum, "cal", f"Question number {i} about pairing", minutes=i * DAY)
    now = T0 + timedelta(days=40)  # nothing in the last 30 days
    recompute(workspace, now=now)
    member = member_for_author(forum.authors.get(external_id="cal"))
    assert member.is_at_risk
    # Still writing as much as before: not at risk.
    for i in range(6):
        say(forum, "cal", f"Back again {i}", minutes=(31 + i) * DAY)
    recompute(workspace, now=now)
    member.refresh_from_db()
    assert not member.is_at_risk


def test_at_risk_when_sentiment_turns_negative(workspace, forum, say):
    for i in range(3):
        say(forum, "dee", "This is terrible, awful, I hate it, worst app ever", minutes=i * 60)
    recompute(workspace, now=T0 + timedelta(days=2))
    assert member_for_author(forum.authors.get(external_id="dee")).is_at_risk


def test_champions_need_enough_positive_messages(workspace, forum, say, actor):
    for i in range(4):
        say(forum, "eve", f"Love it, great work, thank you so much! #{i}", minutes=i * 60)
    recompute(workspace, now=T0 + timedelta(days=1))
    eve = member_for_author(forum.authors.get(external_id="eve"))
    assert not eve.is_champion  # 10 messages by default
    configure_segments(workspace, by=actor, values={"champion_min_messages": "3"})
    recompute(workspace, now=T0 + timedelta(days=1))
    eve.refresh_from_db()
    assert eve.is_champion
    recompute(workspace, now=T0 + timedelta(days=90))  # not active within 60 days
    eve.refresh_from_db()
    assert not eve.is_champion


def test_influencers_by_reach_and_love(workspace, forum, say, actor):
    small = [say(forum, f"s{i}", "Hello there", minutes=i) for i in range(30)]
    star = say(forum, "star", "Hello everyone", minutes=40)
    record_evidence(star, by=actor, followers=50_000)
    recompute(workspace, now=T0 + timedelta(days=1))
    assert member_for_author(star).is_influencer
    assert not any(member_for_author(a).is_influencer for a in small[:5])
    assert member_for_author(star).influence > member_for_author(small[0]).influence


def test_shape_against_the_rule_with_known_audience(workspace, forum, say, actor):
    say(forum, "ana")
    say(forum, "bob", "Reply", parent="forum-1", minutes=1)
    configure_segments(workspace, by=actor, values={"audience_size": "98"})
    recompute(workspace, now=T0 + timedelta(days=1))
    result = shape(workspace)
    assert result["shares"] == {"creators": 1.0, "contributors": 1.0, "lurkers": 98.0}
