"""The query language: what parses into what, positioned errors, and fuzzing of the syntax."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearth.listening.query import (
    And,
    Doc,
    Filter,
    Handle,
    Node,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Tag,
    Term,
    evaluate,
    parse,
    unparse,
)


def test_full_syntax_parses_into_the_expected_tree():
    tree = parse(
        'lumio AND (halo OR "Glow Mini") -brillo lang:FR #LumioFail @LumioHome channel:forum'
    )
    assert tree == And(
        (
            Term("lumio"),
            Or((Term("halo"), Phrase(("glow", "mini")))),
            Not(Term("brillo")),
            Filter("lang", "fr"),
            Tag("lumiofail"),
            Handle("lumiohome"),
            Filter("channel", "forum"),
        )
    )


def test_and_binds_tighter_than_or_and_juxtaposition_is_and():
    assert parse("a OR b c") == Or((Term("a"), And((Term("b"), Term("c")))))
    assert parse("NOT a b") == And((Not(Term("a")), Term("b")))


def test_lower_case_or_is_a_word_so_french_or_stays_searchable():
    assert parse("bague or") == And((Term("bague"), Term("or")))


def test_punctuated_word_is_the_phrase_of_its_parts():
    assert parse("4.2.0") == Phrase(("4", "2", "0"))
    assert parse("Wi-Fi") == Phrase(("wi", "fi"))


@pytest.mark.parametrize(
    ("text", "column", "start"),
    [
        ("halo AND (glow OR dusk))", 24, "unexpected ')' at column 24"),
        ("halo AND", 9, "unexpected end of query after 'AND' at column 9"),
        ("(halo OR glow", 1, "unclosed '(' at column 1"),
        ('halo "glow mini', 6, "unterminated quote at column 6"),
        ("halo OR OR glow", 9, "unexpected 'OR' at column 9"),
        ("halo ()", 6, "empty parentheses '()' at column 6"),
        ("price:12", 1, "unknown filter 'price:' at column 1"),
        ("sentiment:angry", 1, "unknown sentiment 'angry' at column 1"),
        ("   ", 1, "empty query at column 1"),
        ("lumio # x", 7, "'#' is not a valid hashtag at column 7"),
        ('""', 1, 'empty phrase "" at column 1'),
    ],
)
def test_errors_name_the_problem_and_its_column(text, column, start):
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)
    assert caught.value.column == column
    assert caught.value.message.startswith(start)


def test_matching_is_case_accent_and_word_boundary_aware():
    doc = Doc.of(
        "Ma lampe HÂLO est morte après la mise à jour… #LumioFail @LumioHome",
        lang="fr",
        channel="forum",
    )
    assert evaluate(parse("halo"), doc)
    assert evaluate(parse('"mise a jour"'), doc)
    assert evaluate(parse("#lumiofail AND @lumiohome"), doc)
    assert evaluate(parse("lumiofail"), doc)  # a word also matches inside a hashtag
    assert not evaluate(parse("#halo"), doc)  # but a hashtag query needs the hashtag
    assert not evaluate(parse("hal"), doc)
    assert not evaluate(parse('"jour mise"'), doc)
    assert evaluate(parse("halo lang:fr channel:forum"), doc)
    assert not evaluate(parse("halo lang:en"), doc)
    assert not evaluate(parse("halo -morte"), doc)
    assert not evaluate(parse("halogen"), Doc.of("my halo lamp"))


# ── fuzzing ──

ALPHABET = st.sampled_from(
    list('abcé "()#@:-_ANDORNOT\t\n.,!?*') + ["AND", "OR", "NOT", "lang:", "channel:", "ﬁ", "İ"]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_fuzz_any_input_parses_or_fails_with_a_positioned_error(text):
    try:
        tree = parse(text)
    except QuerySyntaxError as exc:
        assert 1 <= exc.column <= len(text) + 1
        assert exc.message.endswith(".")
    else:
        assert parse(unparse(tree)) == tree


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_arbitrary_unicode_never_crashes(text):
    try:
        parse(text)
    except QuerySyntaxError as exc:
        assert 1 <= exc.column <= len(text) + 1


WORDS = st.sampled_from(["halo", "glow", "mini", "lumio", "brillo", "or", "prix", "été"])


def trees(max_leaves: int = 6) -> st.SearchStrategy[Node]:
    leaves = st.one_of(
        WORDS.map(lambda w: Term(w.replace("é", "e"))),
        st.lists(WORDS, min_size=2, max_size=3).map(
            lambda ws: Phrase(tuple(w.replace("é", "e") for w in ws))
        ),
        WORDS.map(lambda w: Tag(w.replace("é", "e"))),
        WORDS.map(lambda w: Handle(w.replace("é", "e"))),
        st.sampled_from(
            [Filter("lang", "fr"), Filter("channel", "forum"), Filter("sentiment", "negative")]
        ),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            inner.map(Not),
            st.lists(inner, min_size=2, max_size=3).map(lambda cs: And(tuple(cs))),
            st.lists(inner, min_size=2, max_size=3).map(lambda cs: Or(tuple(cs))),
        ),
        max_leaves=max_leaves,
    )


@settings(max_examples=300, deadline=None)
@given(trees())
def test_fuzz_unparse_then_parse_keeps_the_meaning(tree):
    again = parse(unparse(tree))
    for text in ("halo glow mini #halo @lumio", "brillo or prix ete", "lumio halo mini glow"):
        for lang, channel, sentiment in (("fr", "forum", "negative"), ("en", "x", "positive")):
            doc = Doc.of(text, lang=lang, channel=channel, sentiment=sentiment)
            assert evaluate(again, doc) == evaluate(tree, doc)


def test_deep_nesting_is_refused_with_a_position_not_a_crash():
    with pytest.raises(QuerySyntaxError):
        parse("(" * 200 + "a" + ")" * 200)
    with pytest.raises(QuerySyntaxError):
        parse("-" * 500 + "a")
