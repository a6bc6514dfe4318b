"""The listening query language: parser, syntax tree and the exact evaluation of one query.

    lumio AND (halo OR "glow mini") -brillo lang:fr #lumiofail @LumioHome channel:forum

Grammar (keywords are upper case, so the French word "or" stays searchable):

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*          juxtaposition means AND
    unary   := ("NOT" | "-") unary | atom
    atom    := "(" or ")" | "phrase" | #hashtag | @handle | field:value | word

Matching is case- and accent-insensitive and works on whole words: `halo` matches "Halo!" and
"#halo" but not "halogen"; a bare word with punctuation inside (`4.2.0`, `wi-fi`) is the phrase
of its parts. Errors are `QuerySyntaxError` with a 1-based column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

FIELDS = ("lang", "channel", "sentiment")
SENTIMENTS = ("positive", "neutral", "negative")
KEYWORDS = ("AND", "OR", "NOT")
MAX_LENGTH = 2000
MAX_DEPTH = 50
_WORD_RE = re.compile(r"\w+")
_MENTION_RE = re.compile(r"([#@])(\w+)")
_FIELD_RE = re.compile(r"^([A-Za-z]+):(.*)$", re.S)


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `column` is 1-based, `message` is a complete sentence."""

    def __init__(self, problem: str, column: int, hint: str = "") -> None:
        self.message = f"{problem} at column {column}" + (f": {hint}." if hint else ".")
        super().__init__(self.message)
        self.problem = problem
        self.column = column


def fold(text: str) -> str:
    """Lower case without accents: what both queries and messages are compared in."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# ── syntax tree ──────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Term:
    word: str


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Tag:
    name: str


@dataclass(frozen=True)
class Handle:
    name: str


@dataclass(frozen=True)
class Filter:
    field: str
    value: str


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Phrase | Tag | Handle | Filter | Not | And | Or


def unparse(node: Node) -> str:
    """The canonical text of a tree; parsing it gives the same tree back."""
    if isinstance(node, Term):
        return node.word
    if isinstance(node, Phrase):
        return '"' + " ".join(node.words) + '"'
    if isinstance(node, Tag):
        return "#" + node.name
    if isinstance(node, Handle):
        return "@" + node.name
    if isinstance(node, Filter):
        return f"{node.field}:{node.value}"
    if isinstance(node, Not):
        return "NOT " + _wrap(node.child)
    joiner = " AND " if isinstance(node, And) else " OR "
    return joiner.join(_wrap(c) for c in node.children)


def _wrap(node: Node) -> str:
    return f"({unparse(node)})" if isinstance(node, And | Or) else unparse(node)


# ── lexer ────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Tok:
    kind: str  # ( ) AND OR NOT - ATOM END
    text: str
    column: int
    node: Node | None = None


def _words(text: str, column: int, shown: str) -> tuple[str, ...]:
    words = tuple(_WORD_RE.findall(fold(text)))
    if not words:
        raise QuerySyntaxError(
            f"'{shown}' has no letter or digit", column, "remove it or search for real words"
        )
    return words


def _atom(raw: str, column: int) -> Node:
    if raw[0] in "#@":
        name = fold(raw[1:])
        if not name or not _WORD_RE.fullmatch(name):
            what = "hashtag" if raw[0] == "#" else "handle"
            raise QuerySyntaxError(
                f"'{raw}' is not a valid {what}",
                column,
                f"write {raw[0]} followed by letters, digits or underscores",
            )
        return Tag(name) if raw[0] == "#" else Handle(name)
    field_match = _FIELD_RE.match(raw)
    if field_match and not raw.lower().startswith(("http:", "https:")):
        field, value = field_match.group(1).lower(), field_match.group(2)
        if field not in FIELDS:
            raise QuerySyntaxError(
                f"unknown filter '{field_match.group(1)}:'",
                column,
                "use lang:, channel: or sentiment:, or put the text in quotes to search for it",
            )
        value = value.lower()
        if not value or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
            raise QuerySyntaxError(
                f"'{raw}' has no valid value", column, "write it like lang:fr or channel:forum"
            )
        if field == "sentiment" and value not in SENTIMENTS:
            raise QuerySyntaxError(
                f"unknown sentiment '{value}'", column, "use positive, neutral or negative"
            )
        return Filter(field, value)
    words = _words(raw, column, raw)
    return Term(words[0]) if len(words) == 1 else Phrase(words)


def _lex(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        column = i + 1
        if c in "()":
            tokens.append(_Tok(c, c, column))
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError("unterminated quote", column, 'close the phrase with "')
            inner = text[i + 1 : end]
            if not inner.strip():
                raise QuerySyntaxError('empty phrase ""', column, "put words between the quotes")
            words = _words(inner, column, f'"{inner}"')
            node: Node = Term(words[0]) if len(words) == 1 else Phrase(words)
            tokens.append(_Tok("ATOM", text[i : end + 1], column, node))
            i = end + 1
        elif c == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != ")":
            tokens.append(_Tok("-", c, column))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            raw = text[i:j]
            if raw in KEYWORDS:
                tokens.append(_Tok(raw, raw, column))
            else:
                tokens.append(_Tok("ATOM", raw, column, _atom(raw, column)))
            i = j
    tokens.append(_Tok("END", "", n + 1))
    return tokens


# ── parser ───────────────────────────────────────────────────────────────────────────────────


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def unexpected(self, tok: _Tok, wanted: str) -> QuerySyntaxError:
        if tok.kind == "END":
            previous = self.tokens[self.i - 1].text if self.i else ""
            after = f" after '{previous}'" if previous else ""
            return QuerySyntaxError(f"unexpected end of query{after}", tok.column, wanted)
        return QuerySyntaxError(f"unexpected '{tok.text}'", tok.column, wanted)

    def parse(self) -> Node:
        if self.peek().kind == "END":
            raise QuerySyntaxError(
                "empty query", 1, "write at least one word, phrase, #hashtag or @handle"
            )
        node = self.or_()
        tok = self.peek()
        if tok.kind != "END":
            raise self.unexpected(
                tok, "no '(' is open" if tok.kind == ")" else "expected the end of the query"
            )
        return node

    def or_(self) -> Node:
        children = [self.and_()]
        while self.peek().kind == "OR":
            self.take()
            children.append(self.and_())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_(self) -> Node:
        children = [self.unary()]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
                children.append(self.unary())
            elif kind in ("ATOM", "(", "NOT", "-"):
                children.append(self.unary())
            else:
                break
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node:
        if self.peek().kind in ("NOT", "-"):
            tok = self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError(
                    f"negations nested more than {MAX_DEPTH} deep", tok.column, "simplify the query"
                )
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "ATOM":
            assert tok.node is not None  # noqa: S101 - set by the lexer for every ATOM
            return tok.node
        if tok.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError(
                    f"parentheses nested more than {MAX_DEPTH} deep",
                    tok.column,
                    "simplify the query",
                )
            if self.peek().kind == ")":
                raise QuerySyntaxError(
                    "empty parentheses '()'", tok.column, "put a term inside or remove them"
                )
            node = self.or_()
            close = self.peek()
            if close.kind != ")":
                if close.kind == "END":
                    raise QuerySyntaxError("unclosed '('", tok.column, "add the matching ')'")
                raise self.unexpected(close, "expected ')' or OR")
            self.take()
            self.depth -= 1
            return node
        self.i -= 1
        raise self.unexpected(tok, "expected a word, \"phrase\", #hashtag, @handle, filter or '('")


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """The syntax tree of `text`, or QuerySyntaxError with the column of the first problem."""
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(
            f"query longer than {MAX_LENGTH} characters", MAX_LENGTH + 1, "shorten it"
        )
    return _Parser(_lex(text)).parse()


# ── documents and exact evaluation ───────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class Doc:
    """What a query is evaluated on: one message, normalised once."""

    words: tuple[str, ...]
    wordset: frozenset[str]
    tags: frozenset[str]
    handles: frozenset[str]
    lang: str = ""
    channel: str = ""
    sentiment: str = ""

    @classmethod
    def of(cls, text: str, *, lang: str = "", channel: str = "", sentiment: str = "") -> Doc:
        folded = fold(text)
        words = tuple(_WORD_RE.findall(folded))
        tags: set[str] = set()
        handles: set[str] = set()
        for sigil, name in _MENTION_RE.findall(folded):
            (tags if sigil == "#" else handles).add(name)
        return cls(
            words,
            frozenset(words),
            frozenset(tags),
            frozenset(handles),
            (lang or "").lower(),
            channel,
            sentiment or "neutral",
        )


def has_phrase(doc: Doc, words: tuple[str, ...]) -> bool:
    if not all(w in doc.wordset for w in words):
        return False
    n, seq = len(words), doc.words
    first = words[0]
    return any(seq[i] == first and seq[i : i + n] == words for i in range(len(seq) - n + 1))


def evaluate(node: Node, doc: Doc) -> bool:
    if isinstance(node, Term):
        return node.word in doc.wordset
    if isinstance(node, Phrase):
        return has_phrase(doc, node.words)
    if isinstance(node, Tag):
        return node.name in doc.tags
    if isinstance(node, Handle):
        return node.name in doc.handles
    if isinstance(node, Filter):
        if node.field == "lang":
            return doc.lang == node.value or doc.lang.split("-")[0] == node.value
        return (doc.channel if node.field == "channel" else doc.sentiment) == node.value
    if isinstance(node, Not):
        return not evaluate(node.child, doc)
    if isinstance(node, And):
        return all(evaluate(c, doc) for c in node.children)
    return any(evaluate(c, doc) for c in node.children)


def highlight_terms(node: Node) -> set[str]:
    """The positive words of a query (for highlighting and for dominant-term exclusion)."""
    if isinstance(node, Term):
        return {node.word}
    if isinstance(node, Phrase):
        return set(node.words)
    if isinstance(node, Tag | Handle):
        return {node.name}
    if isinstance(node, And | Or):
        return set().union(*(highlight_terms(c) for c in node.children))
    return set()
