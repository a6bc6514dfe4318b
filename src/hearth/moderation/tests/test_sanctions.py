"""The sanctions ladder over simulated time, cross-identity enforcement, appeals, the criticism guard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import T0, item
from django.core.exceptions import PermissionDenied

from hearth.analysis.models import LabelDecision
from hearth.channels.models import OutboxItem
from hearth.conversations.models import Author, Message
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import AuditEvent
from hearth.moderation.actions.appeals import decide_appeal, submit_appeal
from hearth.moderation.actions.hide import hide_message, is_criticism
from hearth.moderation.actions.identities import link_identities
from hearth.moderation.actions.links import appeal_token
from hearth.moderation.actions.netiquette import (
    check_article,
    ensure_netiquette,
    publish_netiquette,
)
from hearth.moderation.actions.queue import approve, bulk_decide, judge_label, sanction_entry
from hearth.moderation.actions.reports import criticism_removed_count
from hearth.moderation.actions.sanctions import configure_ladder, expire_sanctions, sanction_person
from hearth.moderation.models import (
    Appeal,
    AppealStatus,
    EnforcementTodo,
    HiddenMessage,
    ModerationEvent,
    QueueEntry,
    QueueStatus,
    Sanction,
    SanctionStatus,
)
from hearth.pipeline.ingest import ingest_batch

INSULT = "You are a stupid idiot, shut up"
CRITICISM = "This update is terrible, the app crashes every time and support never answers"


@pytest.fixture
def troll(workspace, demo_channel):
    ingest_batch(
        demo_channel,
        [item(f"t{i}", INSULT + f" #{i}", author="troll", minutes=i) for i in range(4)],
    )
    return Author.objects.get(channel=demo_channel, external_id="troll")


def message(external_id: str) -> Message:
    return Message.objects.select_related("author", "channel", "workspace", "thread").get(
        external_id=external_id
    )


def test_ladder_escalates_then_expires_over_simulated_time(personas, troll):
    mod = personas.actor("moderator")
    day = T0 + timedelta(days=1)
    first = sanction_person(troll, article="1", message=message("t0"), by=mod, now=day)
    assert (first.kind, first.step, first.ends_at) == ("warning", 1, None)
    notice = OutboxItem.objects.get(idempotency_key=f"mod-notice:{first.pk}")
    assert "article 1" in notice.payload["text"] and "/appeal/" in notice.payload["text"]
    assert not OutboxItem.objects.filter(action="ban").exists()  # a warning bans nobody

    second = sanction_person(
        troll, article="1", message=message("t1"), by=mod, now=day + timedelta(days=30)
    )
    assert (second.kind, second.step) == ("block", 2)
    assert second.ends_at == day + timedelta(days=37)
    ban = OutboxItem.objects.get(action="ban")
    assert (
        ban.payload["author_external_id"] == "troll"
        and ban.payload["until"] == second.ends_at.isoformat()
    )
    assert second.is_active(day + timedelta(days=31))

    # Six days later the block still holds; on day 7 the periodic job lifts it and unbans.
    assert expire_sanctions(now=day + timedelta(days=36)) == 0
    assert expire_sanctions(now=day + timedelta(days=37, minutes=1)) == 1
    second.refresh_from_db()
    assert second.status == SanctionStatus.EXPIRED and not second.is_active(
        day + timedelta(days=38)
    )
    assert (
        OutboxItem.objects.filter(action="unban", payload__author_external_id="troll").count() == 1
    )
    assert expire_sanctions(now=day + timedelta(days=40)) == 0  # safe to run twice

    third = sanction_person(
        troll, article="1", message=message("t2"), by=mod, now=day + timedelta(days=60)
    )
    assert (third.kind, third.step, third.ends_at) == ("exclusion", 3, None)
    assert third.is_active(day + timedelta(days=3650))
    assert OutboxItem.objects.filter(action="ban", payload__until=None).count() == 1


def test_violations_older_than_the_window_do_not_count(personas, troll):
    mod = personas.actor("moderator")
    sanction_person(troll, article="1", by=mod, now=T0)
    later = sanction_person(troll, article="1", by=mod, now=T0 + timedelta(days=91))
    assert later.kind == "warning" and later.step == 1


def test_ladder_is_configurable_per_workspace(workspace, personas, troll):
    mod = personas.actor("moderator")
    configure_ladder(workspace, [{"kind": "block", "days": 1}, {"kind": "exclusion"}], 30, by=mod)
    first = sanction_person(troll, article="2", by=mod, now=T0)
    assert first.kind == "block" and first.ends_at == T0 + timedelta(days=1)
    with pytest.raises(ActionError, match="a temporary block needs a number of days"):
        configure_ladder(workspace, [{"kind": "block"}], 30, by=mod)


def test_sanction_applies_to_every_linked_identity(
    workspace, personas, troll, make_channel, channel
):
    """One person, three platforms: the demo platform bans; the import channel cannot, so a human gets a to-do."""
    twitter = make_channel(workspace, name="Twitter", kind="demo")
    ingest_batch(twitter, [item("x1", "hello", author="troll_on_x")])
    ingest_batch(channel, [item("f1", "hello", author="troll_forum")])
    mod = personas.actor("moderator")
    x = Author.objects.get(external_id="troll_on_x")
    forum = Author.objects.get(external_id="troll_forum")
    key = link_identities(workspace, [troll, x, forum], by=mod)
    assert AuditEvent.objects.filter(action="moderation.person.link").exists()
    # Two earlier warnings on another identity count for the same person.
    sanction_person(x, article="1", by=mod, now=T0)
    sanction = sanction_person(troll, article="1", kind="block", by=mod, now=T0 + timedelta(days=1))
    assert sanction.person_key == key
    bans = OutboxItem.objects.filter(action="ban", payload__sanction_id=sanction.pk)
    assert sorted(b.payload["author_external_id"] for b in bans) == ["troll", "troll_on_x"]
    todo = EnforcementTodo.objects.get(sanction=sanction, action="ban")
    assert "troll_forum" in todo.description and todo.channel == channel
    # The person's next violation, from yet another identity, climbs the same ladder.
    third = sanction_person(forum, article="1", by=mod, now=T0 + timedelta(days=20))
    assert third.step == 3 and third.kind == "exclusion"


def test_appeal_is_reviewed_by_another_moderator(personas, troll):
    sanction = sanction_person(
        troll, article="1", kind="block", by=personas.actor("moderator"), now=T0
    )
    token = appeal_token(sanction)
    with pytest.raises(ActionError, match="too short"):
        submit_appeal(token, "no")
    appeal = submit_appeal(token, "I was quoting someone else, please look at the whole thread.")
    with pytest.raises(ActionError, match="already waiting"):
        submit_appeal(token, "Again, I was quoting someone else in that thread.")
    with pytest.raises(ActionError, match="another moderator must review"):
        decide_appeal(appeal, overturn=True, note="ok", by=personas.actor("moderator"), now=T0)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING
    decide_appeal(
        appeal,
        overturn=True,
        note="Quoted text, not the member's words.",
        by=personas.actor("moderator2"),
        now=T0,
    )
    appeal.refresh_from_db()
    sanction.refresh_from_db()
    assert appeal.status == AppealStatus.OVERTURNED and appeal.decided_by == personas.moderator2
    assert sanction.status == SanctionStatus.OVERTURNED
    assert OutboxItem.objects.filter(action="unban", payload__sanction_id=sanction.pk).exists()
    # An overturned sanction does not count on the ladder.
    assert (
        sanction_person(
            troll, article="1", by=personas.actor("moderator"), now=T0 + timedelta(days=1)
        ).step
        == 1
    )


def test_a_forged_appeal_link_is_refused(troll, personas):
    sanction = sanction_person(troll, article="1", by=personas.actor("moderator"), now=T0)
    with pytest.raises(LookupError):
        submit_appeal(appeal_token(sanction) + "x", "Please reconsider this decision.")
    assert not Appeal.objects.exists()


def test_criticism_guard(workspace, demo_channel, personas):
    ingest_batch(demo_channel, [item("c", CRITICISM), item("a", INSULT, author="u2")])
    mod = personas.actor("moderator")
    criticism = message("c")
    assert is_criticism(criticism)
    with pytest.raises(ActionError, match="justification is required"):
        hide_message(criticism, article="3", by=mod)
    assert not HiddenMessage.objects.exists()
    hide_message(
        criticism,
        article="3",
        justification="Posted in the wrong thread, asked twice to move it.",
        by=mod,
    )
    event = ModerationEvent.objects.get(action="hide")
    assert event.criticism_removed and event.justification.startswith("Posted")
    audit = AuditEvent.objects.get(action="moderation.hide")
    assert audit.data["criticism_removed"] is True
    # Hiding abuse needs no justification and is not counted as criticism removed.
    hide_message(message("a"), article="1", by=mod)
    assert criticism_removed_count(workspace) == 1
    assert OutboxItem.objects.filter(action="hide").count() == 2


def test_queue_actions_and_label_decisions(workspace, demo_channel, personas):
    ingest_batch(
        demo_channel,
        [
            item("a", INSULT),
            item("b", INSULT + " again", author="u2"),
            item("d", INSULT + " !", author="u3"),
        ],
    )
    mod = personas.actor("moderator")
    entry_a, entry_b, entry_d = QueueEntry.objects.order_by("message__external_id")
    judge_label(entry_a, confirm=True, by=mod)
    judge_label(entry_b, confirm=False, by=mod)
    external_ids = dict(Message.objects.values_list("pk", "external_id"))
    decisions = {
        external_ids[d.message_id]: (d.predicted, d.decided) for d in LabelDecision.objects.all()
    }
    assert decisions == {"a": ("abuse", "abuse"), "b": ("abuse", "not_abuse")}
    approve(entry_b, by=mod)
    entry_b.refresh_from_db()
    assert entry_b.status == QueueStatus.APPROVED and not message("b").needs_review
    with pytest.raises(ActionError, match="already been dealt with"):
        approve(entry_b, by=mod)
    sanction = sanction_entry(entry_a, article="1", by=mod)
    entry_a.refresh_from_db()
    assert entry_a.status == QueueStatus.SANCTIONED and sanction.message.external_id == "a"
    assert bulk_decide(workspace, [entry_d.pk, entry_b.pk], "escalate", by=mod) == 1


def test_analyst_and_viewer_cannot_moderate(personas, troll):
    for role in ("analyst", "viewer"):
        with pytest.raises(PermissionDenied):
            sanction_person(troll, article="1", by=personas.actor(role))
        with pytest.raises(PermissionDenied):
            hide_message(message("t0"), article="1", by=personas.actor(role))
    assert not Sanction.objects.exists()


def test_a_moderator_of_another_workspace_cannot_act_here(personas, troll):
    with pytest.raises(PermissionDenied):
        sanction_person(troll, article="1", by=personas.actor("outsider"))


def test_netiquette_is_versioned_and_bilingual(workspace, personas):
    first = ensure_netiquette(workspace)
    assert first.number == 1 and first.article_title("1", "fr") == "Respecter les personnes"
    assert 'id="article-1"' in first.html_en
    with pytest.raises(ActionError, match="must number the same articles"):
        publish_netiquette(
            workspace,
            body_fr="## 1. Un\n## 2. Deux",
            body_en="## 1. One",
            by=personas.actor("moderator"),
        )
    second = publish_netiquette(
        workspace,
        body_fr="## 1. Un <script>x()</script>",
        body_en="## 1. One",
        by=personas.actor("moderator"),
    )
    assert second.number == 2 and "<script>" not in second.html_fr
    with pytest.raises(
        ActionError, match="article '2' is not an article of the netiquette \\(version 2\\)"
    ):
        check_article(workspace, "2")


def test_system_actor_and_cli_hide_do_not_bypass_the_guard(demo_channel):
    ingest_batch(demo_channel, [item("c", CRITICISM)])
    with pytest.raises(ActionError, match="justification is required"):
        hide_message(message("c"), article="5", by=Actor.cli())
