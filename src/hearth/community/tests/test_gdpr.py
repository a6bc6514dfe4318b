"""GDPR: export, erase (both policies), retention; nothing of the member left, over the schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from hearth.community.actions.gdpr import (
    configure_privacy,
    erase_member,
    export_member,
    purge_expired,
    summary,
)
from hearth.community.actions.linking import record_evidence
from hearth.community.actions.profile import set_consent, update_profile
from hearth.community.members import member_for_author
from hearth.community.models import Member
from hearth.core.actions import ActionError
from hearth.core.models import AuditEvent
from hearth.moderation.actions.netiquette import ensure_netiquette
from hearth.moderation.actions.sanctions import sanction_person

NAME, HANDLE, EMAIL = "Zephyrine Quillfeather", "zquill", "zephyrine@example.org"


def leftovers(needles: list[str], author_ids: list[int], member_id: int) -> list[str]:
    """Every text, JSON or key of every model that still holds a trace of the member."""
    found = []
    for model in apps.get_models():
        manager = model._default_manager
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                for needle in needles:
                    lookup = "icontains"
                    if isinstance(field, models.JSONField):
                        hits = [
                            r
                            for r in manager.values_list(field.name, flat=True)
                            if needle.lower() in str(r).lower()
                        ]
                    else:
                        hits = list(manager.filter(**{f"{field.name}__{lookup}": needle})[:1])
                    if hits:
                        found.append(f"{model._meta.label}.{field.name} holds {needle!r}")
            if isinstance(field, models.ForeignKey):
                target = field.related_model
                if (
                    target is apps.get_model("conversations", "Author")
                    and manager.filter(**{f"{field.name}_id__in": author_ids}).exists()
                ):
                    found.append(f"{model._meta.label}.{field.name} points at an erased author")
                if target is Member and manager.filter(**{f"{field.name}_id": member_id}).exists():
                    found.append(f"{model._meta.label}.{field.name} points at the member")
    return found


@pytest.fixture
def zephyrine(workspace, forum, insta, say, actor) -> Any:
    ensure_netiquette(workspace)
    a = say(forum, "zq-1", f"Hi, I am {NAME}, my lamp is broken", handle=f"@{HANDLE}", name=NAME)
    b = say(insta, "zq-2", "Still broken, @zquill here again", handle=HANDLE, name=NAME)
    other = say(forum, "bystander", "I have the same problem", parent="forum-1", name="Bob Stander")
    member = member_for_author(a)
    assert member_for_author(b).pk == member.pk
    record_evidence(a, by=actor, email=EMAIL, email_verified=True)
    update_profile(member, by=actor, tags=["lamp"], notes=f"{NAME} called twice")
    set_consent(member, "share_content", True, by=actor, source="DM")
    sanction_person(b, article="1", by=actor, reason="test")
    return member, [a.pk, b.pk], other


def test_export_holds_everything_and_a_summary(zephyrine, actor):
    member, author_ids, _ = zephyrine
    data = export_member(member, by=actor)
    assert {i["id"] for i in data["identities"]} == set(author_ids)
    assert len(data["messages"]) == 2
    assert data["identities"][0]["evidence"]["email"] == EMAIL
    assert "moderation.sanction" in data["related"]
    assert data["member"]["consent"]["share_content"]["given"] is True
    text = summary(data)
    assert NAME in text and "Messages: 2" in text


@pytest.mark.parametrize("policy", ["pseudonymise", "delete"])
def test_erase_leaves_nothing_of_the_member(zephyrine, actor, policy, workspace):
    from hearth.conversations.models import Message

    member, author_ids, other = zephyrine
    member_id = member.pk
    before = Message.objects.filter(workspace=workspace).count()
    result = erase_member(member, by=actor, policy=policy)
    assert result == {"messages": 2, "identities": 2}
    remaining = Message.objects.filter(workspace=workspace).count()
    assert remaining == (before if policy == "pseudonymise" else before - 2)
    assert Message.objects.filter(author=other).count() == 1  # the bystander keeps theirs
    assert leftovers([NAME, HANDLE, EMAIL, "zq-1", "zq-2"], author_ids, member_id) == []
    entry = AuditEvent.objects.get(action="community.member.erase")
    assert entry.data == {"policy": policy, "messages": 2, "identities": 2}


def test_erase_is_for_the_owner_only(zephyrine, personas):
    member, _, _ = zephyrine
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied from check_actor
        erase_member(member, by=personas.actor("moderator"))
    assert Member.objects.filter(pk=member.pk).exists()


def test_retention_purges_members_not_seen_for_long(zephyrine, actor, workspace, forum, say):
    member, _, _ = zephyrine
    with pytest.raises(ActionError, match="retention_days"):
        configure_privacy(workspace, by=actor, erase_policy="delete", retention_days=-1)
    assert purge_expired(workspace, by=actor) == 0  # 0 days: keep
    configure_privacy(workspace, by=actor, erase_policy="delete", retention_days=30)
    later = member.last_seen_at + timedelta(days=31)
    assert purge_expired(workspace, by=actor, now=later - timedelta(days=2)) == 0
    purged = purge_expired(workspace, by=actor, now=later)
    assert purged >= 1
    assert not Member.objects.filter(pk=member.pk).exists()
