"""The compiled matcher returns exactly what evaluating every query on every message returns."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hearth.listening.matcher import CompiledMatcher, anchors, naive_match
from hearth.listening.query import Doc, parse
from hearth.listening.tests.test_query import trees

VOCAB = [
    "halo",
    "glow",
    "mini",
    "lumio",
    "brillo",
    "or",
    "prix",
    "été",
    "#halo",
    "#lumio",
    "@lumio",
    "@halo",
    "mise",
    "à",
    "jour",
    "!",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(trees(), min_size=1, max_size=25),
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(VOCAB), max_size=12),
            st.sampled_from(["fr", "en", ""]),
            st.sampled_from(["forum", "x"]),
            st.sampled_from(["positive", "neutral", "negative"]),
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_compiled_matcher_agrees_with_the_naive_reference(query_trees, messages):
    queries = list(enumerate(query_trees))
    matcher = CompiledMatcher.compile(queries)
    for words, lang, channel, sentiment in messages:
        doc = Doc.of(" ".join(words), lang=lang, channel=channel, sentiment=sentiment)
        assert matcher.match(doc) == naive_match(queries, doc)


def test_anchored_queries_are_not_evaluated_on_unrelated_messages():
    queries = [(i, parse(f"product{i} OR #product{i}")) for i in range(500)] + [
        (999, parse("lang:fr"))
    ]
    matcher = CompiledMatcher.compile(queries)
    doc = Doc.of("I love my product7 and #product42", lang="en")
    assert matcher.candidates(doc) == {7, 42, 999}
    assert matcher.match(doc) == [7, 42]


def test_anchors_of_common_shapes():
    assert anchors(parse('"glow mini" -brillo')) == {("w", "glow")}
    assert anchors(parse("halo OR #halo OR @halo")) == {("w", "halo"), ("#", "halo"), ("@", "halo")}
    assert anchors(parse("NOT brillo")) is None
    assert anchors(parse("halo OR lang:fr")) is None
