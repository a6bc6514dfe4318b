"""Match many saved queries against a batch of messages without trying every query on every message.

Each query is reduced to its *anchors*: a set of index keys (a word, a #hashtag, an @handle) of
which at least one must be present in any message the query matches. An inverted index maps
each key to the queries anchored on it; a message only evaluates the queries reached through
its own words, plus the few queries that have no anchor (pure negations or pure filters such as
`lang:fr`). The common case — queries made of names, products and phrases — therefore costs
O(words in the message + candidate queries), whatever the number of saved queries.

`naive_match` evaluates every query on every message: the reference the tests compare against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hearth.listening.query import (
    And,
    Doc,
    Filter,
    Handle,
    Node,
    Not,
    Phrase,
    Tag,
    Term,
    evaluate,
)

Key = tuple[str, str]  # ("w", word) | ("#", tag) | ("@", handle)


def anchors(node: Node) -> frozenset[Key] | None:
    """Keys of which at least one is in every matching document; None when no such set exists."""
    if isinstance(node, Term):
        return frozenset({("w", node.word)})
    if isinstance(node, Phrase):
        # Any word of the phrase would do; the longest is usually the rarest.
        return frozenset({("w", max(node.words, key=len))})
    if isinstance(node, Tag):
        return frozenset({("#", node.name)})
    if isinstance(node, Handle):
        return frozenset({("@", node.name)})
    if isinstance(node, Filter | Not):
        return None
    if isinstance(node, And):
        options = [a for a in (anchors(c) for c in node.children) if a is not None]
        return min(options, key=len) if options else None
    union: set[Key] = set()
    for child in node.children:  # Or: every branch must be anchored
        child_anchors = anchors(child)
        if child_anchors is None:
            return None
        union |= child_anchors
    return frozenset(union)


def doc_keys(doc: Doc) -> Iterable[Key]:
    for word in doc.wordset:
        yield ("w", word)
    for tag in doc.tags:
        yield ("#", tag)
    for handle in doc.handles:
        yield ("@", handle)


@dataclass
class CompiledMatcher:
    trees: dict[int, Node]
    index: dict[Key, tuple[int, ...]]
    unanchored: tuple[int, ...]

    @classmethod
    def compile(cls, queries: Iterable[tuple[int, Node]]) -> CompiledMatcher:
        trees: dict[int, Node] = {}
        index: dict[Key, list[int]] = defaultdict(list)
        unanchored: list[int] = []
        for query_id, tree in queries:
            trees[query_id] = tree
            keys = anchors(tree)
            if keys is None:
                unanchored.append(query_id)
            else:
                for key in keys:
                    index[key].append(query_id)
        return cls(trees, {k: tuple(v) for k, v in index.items()}, tuple(unanchored))

    def candidates(self, doc: Doc) -> set[int]:
        found = set(self.unanchored)
        index = self.index
        for key in doc_keys(doc):
            hit = index.get(key)
            if hit:
                found.update(hit)
        return found

    def match(self, doc: Doc) -> list[int]:
        trees = self.trees
        return sorted(q for q in self.candidates(doc) if evaluate(trees[q], doc))

    def match_batch(self, docs: Sequence[Doc]) -> list[list[int]]:
        return [self.match(doc) for doc in docs]


def naive_match(queries: Sequence[tuple[int, Node]], doc: Doc) -> list[int]:
    return sorted(q for q, tree in queries if evaluate(tree, doc))
