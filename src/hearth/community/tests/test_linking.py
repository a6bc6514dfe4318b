"""Identity linking: each rule, its false merges, merge and unmerge with history, the ladder."""

from __future__ import annotations

import pytest

from hearth.community.actions.linking import (
    decide_suggestion,
    detach_identity,
    merge_members,
    record_evidence,
    unmerge,
)
from hearth.community.members import identities_of, member_for_author
from hearth.community.models import Identity, LinkSuggestion, Member, MergeRecord
from hearth.core.actions import ActionError
from hearth.moderation.actions.identities import link_identities
from hearth.moderation.actions.netiquette import ensure_netiquette
from hearth.moderation.actions.sanctions import sanction_person
from hearth.moderation.models import SanctionKind


def test_every_author_of_a_batch_becomes_a_member(forum, say):
    ana = say(forum, "ana")
    member = member_for_author(ana)
    assert member.person_key == f"author:{ana.pk}"
    assert member.message_count == 1 and member.is_newcomer and member.is_creator
    assert member.first_message_id is not None
    say(forum, "ana", minutes=5)
    member.refresh_from_db()
    assert member.message_count == 2
    assert Member.objects.filter(workspace=forum.workspace).count() == 1


def test_same_handle_and_name_on_two_platforms_links_automatically(forum, insta, say):
    a = say(forum, "ana", handle="@ana_b", name="Ana Bell")
    b = say(insta, "ig-77", handle="ana_b", name="Ana  Bell")
    member = member_for_author(a)
    assert member_for_author(b).pk == member.pk
    assert Identity.objects.get(author=b).rule == "handle_name"
    assert MergeRecord.objects.filter(target=member).count() == 1


def test_same_handle_with_another_name_is_only_suggested(forum, insta, say):
    a = say(forum, "max", handle="@maxime", name="Maxime Roy")
    b = say(insta, "ig-1", handle="maxime", name="Max Power")
    assert member_for_author(a).pk != member_for_author(b).pk
    suggestion = LinkSuggestion.objects.get()
    assert suggestion.rule == "handle" and suggestion.confidence == 0.5


def test_two_people_on_one_channel_sharing_handle_and_name_are_not_merged(forum, say):
    a = say(forum, "u-1", handle="@jo", name="Jo")
    b = say(forum, "u-2", handle="@jo", name="Jo")
    assert member_for_author(a).pk != member_for_author(b).pk


def test_a_shared_first_name_is_not_a_link(forum, insta, say):
    a = say(forum, "f1", handle="@lea_music", name="Léa")
    b = say(insta, "f2", handle="lea.cooks", name="Lea")
    assert member_for_author(a).pk != member_for_author(b).pk
    assert not LinkSuggestion.objects.exists()  # one word: not even a suggestion


def test_verified_email_links_but_unverified_is_suggested(forum, insta, say, actor):
    a = say(forum, "p1", handle="@p_one", name="P One")
    b = say(insta, "p2", handle="pee2", name="Someone")
    c = say(insta, "p3", handle="pee3", name="Other")
    record_evidence(a, by=actor, email="Pat@Example.org", email_verified=True)
    record_evidence(c, by=actor, email="pat@example.org", email_verified=False)
    assert member_for_author(a).pk != member_for_author(c).pk
    assert LinkSuggestion.objects.filter(rule="email").count() == 1
    record_evidence(b, by=actor, email="pat@example.org", email_verified=True)
    assert member_for_author(a).pk == member_for_author(b).pk
    assert Identity.objects.get(author=b).rule == "verified_email"


def test_explicit_link_declared_on_a_profile(forum, insta, say, actor):
    a = say(forum, "k1", handle="@kim_forum", name="K")
    b = say(insta, "k2", handle="kimgram", name="Kim")
    record_evidence(a, by=actor, declared=["demo:@kimgram"])
    assert member_for_author(a).pk == member_for_author(b).pk


def test_bad_evidence_names_the_field(forum, say, actor):
    a = say(forum, "z1")
    with pytest.raises(ActionError, match="email"):
        record_evidence(a, by=actor, email="not-an-address")
    with pytest.raises(ActionError, match="declared"):
        record_evidence(a, by=actor, declared=["nocolon"])


def test_merge_then_unmerge_restores_the_member(forum, insta, say, actor):
    a = say(forum, "m1", handle="@m_one", name="Mia")
    b = say(insta, "m2", handle="m_two", name="Mia K")
    ma, mb = member_for_author(a), member_for_author(b)
    mb.tags, mb.notes = ["vip"], "Met at the fair"
    mb.save()
    mb_pk, mb_key = mb.pk, mb.person_key
    record = merge_members(ma, mb, by=actor)
    assert not Member.objects.filter(pk=mb_pk).exists()
    ma.refresh_from_db()
    assert {x.pk for x in identities_of(ma)} == {a.pk, b.pk}
    assert ma.tags == ["vip"] and mb_key in ma.former_keys and ma.message_count == 2
    restored = unmerge(record, by=actor)
    assert restored.pk == mb_pk and restored.tags == ["vip"] and restored.notes == "Met at the fair"
    assert restored.person_key == mb_key
    assert member_for_author(b).pk == mb_pk and member_for_author(a).pk == ma.pk
    ma.refresh_from_db()
    assert ma.former_keys == [] and ma.message_count == 1
    record.refresh_from_db()
    assert record.undone_at is not None
    with pytest.raises(ActionError):
        unmerge(record, by=actor)


def test_confirming_a_suggestion_merges_and_rejecting_keeps_apart(forum, insta, say, actor):
    say(forum, "s1", handle="@sam_x", name="Sam X")
    say(insta, "s2", handle="sam_x", name="Samuel")
    suggestion = LinkSuggestion.objects.get()
    decide_suggestion(suggestion, confirm=False, by=actor)
    suggestion.refresh_from_db()
    assert suggestion.status == "rejected"
    with pytest.raises(ActionError):
        decide_suggestion(suggestion, confirm=True, by=actor)


def test_the_ladder_counts_sanctions_given_before_a_merge(workspace, forum, insta, say, actor):
    ensure_netiquette(workspace)
    a = say(forum, "t1", handle="@t_one", name="T")
    b = say(insta, "t2", handle="t_two", name="TT")
    first = sanction_person(a, article="1", by=actor)
    second = sanction_person(b, article="1", by=actor)
    assert first.step == 1 and second.step == 1  # two people so far
    merge_members(member_for_author(a), member_for_author(b), by=actor)
    third = sanction_person(b, article="1", by=actor)
    assert third.step == 3
    assert third.kind == SanctionKind.EXCLUSION or third.step == 3


def test_moderation_link_and_unlink_go_through_members(workspace, forum, insta, say, actor):
    a = say(forum, "l1", handle="@l_one", name="L1")
    b = say(insta, "l2", handle="l_two", name="L2")
    key = link_identities(workspace, [a, b], by=actor)
    assert member_for_author(a).person_key == key == member_for_author(b).person_key
    detach_identity(b, by=actor)
    assert member_for_author(b).pk != member_for_author(a).pk
    with pytest.raises(ActionError):
        detach_identity(b, by=actor)


def test_tenancy_members_never_cross_workspaces(
    workspace, other_workspace, make_channel, forum, say, actor
):
    elsewhere = make_channel(other_workspace, name="Other", kind="demo")
    a = say(forum, "same", handle="@same_person", name="Same Person")
    b = say(elsewhere, "same", handle="same_person", name="Same Person")
    assert member_for_author(a).workspace_id == workspace.pk
    assert member_for_author(b).workspace_id == other_workspace.pk
    with pytest.raises(ActionError):
        merge_members(member_for_author(a), member_for_author(b), by=actor)
