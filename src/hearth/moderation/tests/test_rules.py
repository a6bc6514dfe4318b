"""The rules engine, through the pipeline: conditions, actions, validation, the default policy."""

from __future__ import annotations

import json

import pytest
from conftest import item

from hearth.channels.models import OutboxItem
from hearth.conversations.models import Message
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.moderation import rules as engine
from hearth.moderation.actions.rules import delete_rule, save_rule, try_rule
from hearth.moderation.models import EnforcementTodo, HiddenMessage, QueueEntry
from hearth.pipeline.ingest import ingest_batch

INSULT = "You are a stupid idiot, shut up"
CRITICISM = "This update is terrible, the app crashes every time and support never answers"
SPAM = "Buy cheap followers now http://spam.example"


def rule(workspace, **fields):
    return save_rule(
        workspace,
        {"name": fields.pop("name", "Rule"), "actions": fields.pop("actions", ["queue"]), **fields},
        by=Actor.system(),
    )


def test_default_policy_queues_abuse_and_spam_but_not_criticism(workspace, channel):
    ingest_batch(
        channel,
        [item("a", INSULT), item("c", CRITICISM, author="u2"), item("s", SPAM, author="u3")],
    )
    queued = dict(
        QueueEntry.objects.filter(workspace=workspace).values_list("message__external_id", "reason")
    )
    assert queued == {"a": "abuse", "s": "spam"}
    assert set(Message.objects.filter(needs_review=True).values_list("external_id", flat=True)) == {
        "a",
        "s",
    }
    assert not HiddenMessage.objects.exists()  # the default policy never hides


def test_watched_words_and_patterns_queue_with_the_rule_as_reason(workspace, channel):
    rule(workspace, name="Competitor", words="globex\nacme-killer", article="3")
    rule(workspace, name="Phone numbers", patterns=r"\b0[67]\d{8}\b", article="4")
    ingest_batch(
        channel,
        [
            item("w", "Honestly Globex does it better", author="u1"),
            item("p", "call me 0612345678 tonight", author="u2"),
            item("n", "globexian is not a watched word", author="u3"),
        ],
    )
    entries = {e.message.external_id: e for e in QueueEntry.objects.select_related("message")}
    assert set(entries) == {"w", "p"}
    assert entries["w"].reasons[0]["label"] == "Competitor" and entries["w"].article == "3"
    assert entries["p"].reasons[0]["label"] == "Phone numbers"


def test_a_match_straddling_two_messages_does_not_count(workspace, channel):
    rule(workspace, name="Pair", patterns=r"free\W+money")
    ingest_batch(
        channel,
        [
            item("m1", "I want it free", author="u1"),
            item("m2", "money talks", author="u2", minutes=1),
            item("m3", "free money here", author="u3", minutes=2),
        ],
    )
    assert list(QueueEntry.objects.values_list("message__external_id", flat=True)) == ["m3"]


def test_a_bad_regex_is_refused_naming_the_field_and_line(workspace):
    with pytest.raises(
        ActionError, match=r"patterns, line 2: 'free\(money' is not a valid regular expression"
    ):
        rule(workspace, name="Broken", patterns="ok\nfree(money")
    assert not workspace.moderation_rules.exists()


def test_a_rule_that_matches_nothing_changes_nothing(workspace, channel):
    rule(workspace, name="Never", words="xylophone-quantum", actions=["hide", "alert"])
    ingest_batch(
        channel, [item("h", "Hello, how do I pair my lamp?"), item("c", CRITICISM, author="u2")]
    )
    assert not QueueEntry.objects.exists()
    assert not HiddenMessage.objects.exists()
    assert not Message.objects.filter(needs_review=True).exists()
    matched, scanned = try_rule(
        workspace, {"name": "Never", "words": "xylophone-quantum"}, by=Actor.system()
    )
    assert matched == [] and scanned == 2


def test_rule_without_condition_or_action_is_refused(workspace):
    with pytest.raises(ActionError, match="no condition"):
        rule(workspace, name="Empty")
    with pytest.raises(ActionError, match="actions is empty"):
        save_rule(workspace, {"name": "x", "words": "a", "actions": []}, by=Actor.system())
    with pytest.raises(ActionError, match="article '42' is not an article"):
        rule(workspace, name="x", words="a", article="42")


def test_try_rule_shows_what_it_would_have_caught_before_saving(workspace, channel):
    ingest_batch(
        channel,
        [
            item(
                f"m{i}",
                f"message {i} about pricing" if i % 3 == 0 else f"message {i}",
                author=f"u{i}",
                minutes=i,
            )
            for i in range(12)
        ],
    )
    matched, scanned = try_rule(
        workspace, {"name": "Pricing", "words": "pricing"}, by=Actor.system()
    )
    assert scanned == 12
    assert [m.external_id for m in matched] == ["m9", "m6", "m3", "m0"]
    assert not workspace.moderation_rules.exists()


def test_auto_hide_goes_through_the_outbox_but_never_hides_criticism(workspace, demo_channel):
    rule(workspace, name="Terrible", words="terrible\nidiot", actions=["hide"], article="1")
    ingest_batch(demo_channel, [item("a", INSULT), item("c", CRITICISM, author="u2")])
    hidden = HiddenMessage.objects.get()
    assert hidden.message.external_id == "a" and not hidden.criticism
    assert OutboxItem.objects.filter(action="hide", payload__message_external_id="a").exists()
    # The criticism matched too, but a rule never hides it: it waits for a human, visible.
    criticism = QueueEntry.objects.get(message__external_id="c")
    assert criticism.reasons[0]["label"] == "Terrible"


def test_auto_hide_on_a_platform_that_cannot_hide_leaves_a_todo(workspace, channel):
    rule(workspace, name="Insults", min_abuse=0.9, actions=["hide"], article="1")
    ingest_batch(channel, [item("a", INSULT)])
    todo = EnforcementTodo.objects.get()
    assert todo.action == "hide" and "Hide message a" in todo.description
    assert not OutboxItem.objects.filter(action="hide").exists()


def test_auto_reply_and_alert(workspace, demo_channel):
    rule(
        workspace,
        name="Spam",
        min_spam=0.8,
        has_link=True,
        actions=["reply", "alert"],
        reply_text="Please no ads here.",
    )
    ingest_batch(demo_channel, [item("s", SPAM), item("t", "Buy cheap followers now", author="u2")])
    reply = OutboxItem.objects.get(action="reply")
    assert reply.payload["text"] == "Please no ads here."
    assert QueueEntry.objects.get(message__external_id="s").urgent


def test_rate_and_new_member_conditions(workspace, channel):
    rule(workspace, name="Flood", max_rate_per_hour=3)
    ingest_batch(
        channel,
        [item(f"f{i}", f"hello {i}", author="flooder", minutes=i) for i in range(5)]
        + [item("calm", "hello", author="calm", minutes=1)],
    )
    assert sorted(QueueEntry.objects.values_list("message__external_id", flat=True)) == ["f3", "f4"]


def test_stop_rule_hides_later_rules_and_the_cache_follows_changes(workspace, channel):
    first = rule(workspace, name="First", words="lamp", stop=True)
    rule(workspace, name="Second", words="lamp")
    ingest_batch(channel, [item("a", "my lamp")])
    assert [r["label"] for r in QueueEntry.objects.get().reasons] == ["First"]
    delete_rule(first, by=Actor.system())
    ingest_batch(channel, [item("b", "my lamp again", author="u9")])
    assert [r["label"] for r in QueueEntry.objects.get(message__external_id="b").reasons] == [
        "Second"
    ]


def test_new_members_only(workspace, channel):
    ingest_batch(channel, [item("old", "first message", author="veteran", minutes=0)])
    rule(workspace, name="Newcomer links", new_member_days=7, has_link=True)
    ingest_batch(
        channel,
        [
            item("v", "see https://x.example", author="veteran", minutes=60 * 24 * 30),
            item("n", "see https://x.example", author="newbie", minutes=60 * 24 * 30),
        ],
    )
    caught = [
        e.message.external_id
        for e in QueueEntry.objects.select_related("message")
        if any(r["code"] == "rule" for r in e.reasons)
    ]
    assert caught == ["n"]


def test_brand_messages_are_never_moderated(workspace, make_channel):
    brand_channel = make_channel(workspace, kind="import", config={"brand_author_ids": ["acme"]})
    rule(workspace, name="Words", words="idiot")
    ingest_batch(brand_channel, [item("b", "no idiot question", author="acme")])
    assert not QueueEntry.objects.exists()


def test_engine_compiles_once_per_rules_version(workspace):
    rule(workspace, name="A", words="a")
    first = engine.rules_for(workspace.pk)
    assert engine.rules_for(workspace.pk) is first
    rule(workspace, name="B", words="b")
    assert engine.rules_for(workspace.pk) is not first


def test_cli_rules_queue_sanctions_log(workspace, channel, capsys):
    from django.core.management import CommandError, call_command

    call_command(
        "moderation",
        "rules",
        "add",
        "--workspace",
        "acme",
        "--name",
        "Idiots",
        "--words",
        "idiot,moron",
    )
    with pytest.raises(CommandError, match="patterns, line 1"):
        call_command(
            "moderation", "rules", "add", "--workspace", "acme", "--name", "Bad", "--pattern", "a(b"
        )
    ingest_batch(channel, [item("a", INSULT)])
    call_command("moderation", "queue", "list", "--workspace", "acme", "--json")
    entries = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert entries[0]["reason"] == "abuse"
    call_command(
        "moderation", "queue", "approve", "--workspace", "acme", "--id", str(entries[0]["id"])
    )
    author = Message.objects.get(external_id="a").author_id
    call_command(
        "moderation",
        "sanctions",
        "add",
        "--workspace",
        "acme",
        "--author",
        str(author),
        "--article",
        "1",
    )
    call_command("moderation", "log", "--workspace", "acme", "--json")
    log = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [e["action"] for e in log] == ["sanction.warning", "approve"]
    with pytest.raises(CommandError, match="no queue entry 999"):
        call_command("moderation", "queue", "approve", "--workspace", "acme", "--id", "999")


def test_anchored_patterns_match_every_message_of_a_batch_not_only_the_first_and_last():
    """The prefilter scans the batch as one string: "^"/"$" (and \\A/\\Z) must still mean the message's own start and end."""
    from types import SimpleNamespace

    def draft(pk, patterns):
        return SimpleNamespace(
            pk=pk,
            name="r",
            article="",
            actions=["queue"],
            reply_text="",
            stop=False,
            min_abuse=None,
            abuse_kinds=[],
            min_spam=None,
            words="",
            patterns=patterns,
            has_link=None,
            new_member_days=None,
            max_rate_per_hour=None,
            channels=[],
        )

    texts = ["hello there", "free money now", "FREE stuff", "nothing\nfree at last", "more stuff!"]
    messages = [
        SimpleNamespace(
            text=t,
            abuse_score=0.0,
            spam_score=0.0,
            abuse_kind="",
            from_brand=False,
            author_id=1,
            created_at=None,
        )
        for t in texts
    ]
    compiled = engine.build(
        [engine.compile_rule(draft(1, "^free")), engine.compile_rule(draft(2, "stuff$"))]
    )
    hits = engine.evaluate(compiled, messages, channel_id=1)
    assert [[h.rule_id for h in found] for found in hits] == [[], [1], [1, 2], [], []]
    compiled = engine.build(
        [engine.compile_rule(draft(1, "\\Afree")), engine.compile_rule(draft(2, "stuff!\\Z"))]
    )
    hits = engine.evaluate(compiled, messages, channel_id=1)
    assert [[h.rule_id for h in found] for found in hits] == [[], [1], [1], [], [2]]


def test_joined_patterns_keep_their_groups_and_phrases_match_whole():
    from types import SimpleNamespace

    def draft(**kw):
        base = dict(
            pk=1,
            name="r",
            article="",
            actions=["queue"],
            reply_text="",
            stop=False,
            min_abuse=None,
            abuse_kinds=[],
            min_spam=None,
            words="",
            patterns="",
            has_link=None,
            new_member_days=None,
            max_rate_per_hour=None,
            channels=[],
        )
        return SimpleNamespace(**{**base, **kw})

    compiled = engine.build(
        [
            engine.compile_rule(draft(patterns="(a)(b)c\n(z)z{4,}")),
            engine.compile_rule(draft(pk=2, words="dm me\n$$$\nfree")),
        ]
    )
    texts = ["zzzzz!", "abc", "abz", "please dm me", "freebies", "win $$$ now", "FREE stuff"]
    messages = [
        SimpleNamespace(
            text=t,
            abuse_score=0.0,
            spam_score=0.0,
            abuse_kind="",
            from_brand=False,
            author_id=1,
            created_at=None,
        )
        for t in texts
    ]
    hits = engine.evaluate(compiled, messages, channel_id=1)
    assert [[h.rule_id for h in found] for found in hits] == [[1], [1], [], [2], [], [2], [2]]
