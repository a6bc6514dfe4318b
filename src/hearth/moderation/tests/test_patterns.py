"""User-written patterns run on RE2 only: no pattern and no text can stall an evaluation."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.moderation import rules as engine
from hearth.moderation.actions.rules import save_rule, try_rule
from hearth.moderation.models import Rule
from hearth.moderation.patterns import compile_pattern

# Generous: RE2 answers in micro- to milliseconds; Python's re took 6.5 s on 32 characters.
BOUND_S = 2.0
ATOMS = [
    "a",
    "b",
    "A",
    "é",
    ".",
    r"\w",
    r"\d",
    r"\s",
    r"\b",
    "^",
    "$",
    "[ab]",
    "[^a]",
    r"\1",
    "(?=a)",
    "(?<!b)",
    "\\",
]


def _draft(patterns: str, pk: int = 1) -> SimpleNamespace:
    return SimpleNamespace(
        pk=pk, name="r", article="", actions=["queue"], reply_text="", stop=False,
        min_abuse=None, abuse_kinds=[], min_spam=None, words="", patterns=patterns,
        has_link=None, new_member_days=None, max_rate_per_hour=None, channels=[],
    )  # fmt: skip


def _message(text: str) -> SimpleNamespace:
    return SimpleNamespace(
        text=text, abuse_score=0.0, spam_score=0.0, abuse_kind="", from_brand=False,
        author_id=1, created_at=None,
    )  # fmt: skip


def patterns() -> st.SearchStrategy[str]:
    return st.recursive(
        st.sampled_from(ATOMS),
        lambda inner: st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda p: f"({p}|{p[::-1]})"),
            inner.map(lambda p: f"({p})+"),
            inner.map(lambda p: f"({p}+)+"),
            inner.map(lambda p: f"({p})*?"),
            inner.map(lambda p: f"({p}){{2,30}}"),
        ),
        max_leaves=8,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pattern=patterns(),
    texts=st.lists(
        st.one_of(
            st.text(alphabet="aAbé \n!\x00", max_size=200),
            st.integers(1, 5000).map(lambda n: "a" * n + "!"),
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_any_pattern_is_refused_or_evaluated_within_a_time_bound(pattern, texts):
    try:
        compiled = engine.build([engine.compile_rule(_draft(pattern))])
    except ActionError as exc:
        assert str(exc).startswith("patterns, line 1:")
        return
    started = time.perf_counter()
    engine.evaluate(compiled, [_message(t) for t in texts], channel_id=1)
    assert time.perf_counter() - started < BOUND_S


def test_the_catastrophic_pattern_of_the_report_answers_at_once():
    compiled = engine.build([engine.compile_rule(_draft("(a+)+$"))])
    started = time.perf_counter()
    hits = engine.evaluate(compiled, [_message("a" * 100_000 + "!"), _message("aaa")], channel_id=1)
    assert time.perf_counter() - started < BOUND_S
    assert [bool(h) for h in hits] == [False, True]


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+\1$", r"(?<!x)spam", r"free(?=money)", "a(b", r"(x{1000}){1000}"],
)
def test_patterns_re2_cannot_run_are_refused_naming_the_field_and_line(pattern):
    with pytest.raises(ActionError, match=r"^patterns, line 2: .*linear-time engine"):
        engine.compile_patterns(["ok", pattern])


def test_python_end_anchor_is_accepted_and_ascii_classes_work():
    assert compile_pattern(r"stuff!\Z").search("more stuff!") is not None
    assert compile_pattern(r"\b0[67]\d{8}\b").search("call 0612345678 now") is not None
    assert compile_pattern(r"\\Z").search("a\\Z") is not None  # an escaped backslash, then Z


@pytest.mark.django_db
def test_saving_and_testing_a_backtracking_rule_is_refused(workspace):
    bad = {"name": "Bomb", "patterns": r"(a+)+\1$", "actions": ["queue"]}
    with pytest.raises(ActionError, match="patterns, line 1"):
        save_rule(workspace, bad, by=Actor.system())
    with pytest.raises(ActionError, match="patterns, line 1"):
        try_rule(workspace, bad, by=Actor.system())
    assert not Rule.objects.filter(workspace=workspace).exists()


@pytest.mark.django_db
def test_a_stored_rule_re2_refuses_is_skipped_not_fatal(workspace, channel):
    from conftest import item

    from hearth.pipeline.ingest import ingest_batch

    save_rule(
        workspace, {"name": "Ok", "patterns": "zorglub", "actions": ["queue"]}, by=Actor.system()
    )
    Rule.objects.create(
        workspace=workspace, name="Legacy", patterns=r"(a+)+\1$", actions=["queue"], position=5
    )
    report = ingest_batch(channel, [item("x", "zorglub " + "a" * 40 + "!")])
    assert report.created == 1 and not report.errors
