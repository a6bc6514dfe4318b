"""The rules engine: a workspace's rules compiled once, evaluated per batch with few passes.

Compilation (cached per process, keyed by the workspace's `rules_token`, which every rule
change renews in the same transaction) turns each rule into numeric thresholds and one regular
expression. Evaluation of a batch then costs:
- one scan of the batch's joined text for *all* rules' watched words (one alternation; each hit
  is mapped back to the rules that watch that word),
- one scan for *all* rules' patterns (one RE2 automaton, see patterns.py: a message with no hit cannot match any
  pattern rule), then a per-message search, only for the few candidate messages, per rule,
- one scan for links, and numpy comparisons for the scores,
- one query for authors' first-seen dates and one for their recent messages, only when a rule
  needs them.
A match that would straddle two messages of the joined text is re-checked message by message,
so joining never changes the answer.
"""

from __future__ import annotations

import logging
import re
import threading
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from hearth.conversations.models import Author, Message
from hearth.core.actions import ActionError
from hearth.core.bulk import in_values
from hearth.moderation.models import ModerationSettings, Rule
from hearth.moderation.patterns import MAX_PATTERN, batch_prefilter, compile_patterns

log = logging.getLogger(__name__)

SEP = "\n\x00\n"
SEP_BYTES = SEP.encode()
TOKEN_RE = re.compile(r"\w+")
LINK_RE = re.compile(r"https?://|www\.[a-z0-9-]+\.[a-z]", re.IGNORECASE)
__all__ = ["MAX_PATTERN", "compile_patterns"]
MAX_WORDS = 2000


@dataclass(frozen=True)
class RuleHit:
    rule_id: int | None
    name: str
    article: str
    actions: tuple[str, ...]
    reply_text: str


@dataclass
class CompiledRule:
    rule_id: int | None
    name: str
    article: str
    actions: tuple[str, ...]
    reply_text: str
    stop: bool
    min_abuse: float | None
    abuse_kinds: frozenset[str]
    min_spam: float | None
    words: tuple[str, ...]
    pattern: Any | None  # an RE2 program (hearth.moderation.patterns), never Python's re
    has_link: bool | None
    new_member_days: int | None
    max_rate_per_hour: int | None
    channels: frozenset[int]
    sources: tuple[str, ...] = ()  # the pattern lines, for the batch-wide prefilter

    def hit(self) -> RuleHit:
        return RuleHit(self.rule_id, self.name, self.article, self.actions, self.reply_text)


@dataclass
class CompiledRules:
    token: str
    queue_flagged: bool
    rules: list[CompiledRule]
    words_re: re.Pattern[str] | None = None  # phrases and words with non-word characters
    rules_of_word: dict[str, list[int]] = field(default_factory=dict)  # word → indexes in rules
    tokens: frozenset[str] = (
        frozenset()
    )  # plain words, matched by set look-up on each text's tokens
    any_pattern: Any | None = None  # every rule's patterns in one RE2 automaton: the prefilter

    @property
    def needs_authors(self) -> bool:
        return any(r.new_member_days is not None for r in self.rules)

    @property
    def needs_rate(self) -> bool:
        return any(r.max_rate_per_hour is not None for r in self.rules)


def split_lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def word_regex(word: str) -> str:
    # (?<!\w)…(?!\w) rather than \b: a watched "$$$" or "c*nnard" has no word boundary.
    return r"(?<!\w)" + re.escape(word.lower()) + r"(?!\w)"


def compile_rule(rule: Any) -> CompiledRule:
    """A Rule (model or any object with the same attributes) → CompiledRule; validates it."""
    words = tuple(dict.fromkeys(w.lower() for w in split_lines(rule.words)))
    if len(words) > MAX_WORDS:
        raise ActionError(
            f"words: {len(words)} watched words; at most {MAX_WORDS} per rule are accepted."
        )
    return CompiledRule(
        rule_id=rule.pk,
        name=rule.name,
        article=rule.article or "",
        actions=tuple(rule.actions or ()),
        reply_text=rule.reply_text or "",
        stop=bool(rule.stop),
        min_abuse=rule.min_abuse,
        abuse_kinds=frozenset(rule.abuse_kinds or ()),
        min_spam=rule.min_spam,
        words=words,
        pattern=compile_patterns(split_lines(rule.patterns)),
        sources=tuple(split_lines(rule.patterns)),
        has_link=rule.has_link,
        new_member_days=rule.new_member_days,
        max_rate_per_hour=rule.max_rate_per_hour,
        channels=frozenset(int(c) for c in (rule.channels or ())),
    )


def build(
    rules: Sequence[CompiledRule], *, token: str = "", queue_flagged: bool = True
) -> CompiledRules:
    compiled = CompiledRules(token=token, queue_flagged=queue_flagged, rules=list(rules))
    rules_of_word: dict[str, list[int]] = defaultdict(list)
    for index, rule in enumerate(compiled.rules):
        for word in rule.words:
            rules_of_word[word].append(index)
    sources = list(dict.fromkeys(p for rule in compiled.rules for p in rule.sources))
    if sources:
        compiled.any_pattern = batch_prefilter(sources)
    if rules_of_word:
        compiled.rules_of_word = dict(rules_of_word)
        # A plain word is found by tokenising each text once and looking tokens up in a set, far
        # cheaper than a 500-way alternation tried at every position.
        compiled.tokens = frozenset(w for w in rules_of_word if TOKEN_RE.fullmatch(w))
        phrases = sorted(
            (w for w in rules_of_word if w not in compiled.tokens), key=len, reverse=True
        )
        if phrases:  # longest first: "free money" must win over "free" at the same position
            compiled.words_re = re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(w) for w in phrases) + r")(?!\w)", re.IGNORECASE
            )
    return compiled


_cache: dict[int, CompiledRules] = {}
_lock = threading.Lock()


def rules_for(workspace_id: int) -> CompiledRules:
    """The workspace's enabled rules, compiled; recompiled only when `rules_token` changed."""

    row = (
        ModerationSettings.objects.filter(workspace_id=workspace_id)
        .values_list("rules_token", "queue_flagged")
        .first()
    )
    token, queue_flagged = row if row else ("", True)
    cached = _cache.get(workspace_id)
    if cached is not None and cached.token == token and cached.queue_flagged == queue_flagged:
        return cached
    if not token:  # no rule was ever saved
        return build([], queue_flagged=queue_flagged)
    rules = []
    for r in Rule.objects.filter(workspace_id=workspace_id, enabled=True).order_by(
        "position", "id"
    ):
        try:
            rules.append(compile_rule(r))
        except ActionError as exc:
            # A rule saved before patterns ran on RE2 only may hold one RE2 refuses: it is left
            # out (never run on a backtracking engine) rather than failing every batch.
            log.warning("Rule %s of workspace %s skipped: %s", r.pk, workspace_id, exc)
    compiled = build(rules, token=token, queue_flagged=queue_flagged)
    with _lock:
        _cache[workspace_id] = compiled
    return compiled


def _scan(pattern: Any, texts: list[str], joined: str, starts: list[int]) -> dict[int, list[str]]:
    """{message index: matched strings} for `pattern` over the batch, scanning the joined text once."""
    found: dict[int, list[str]] = defaultdict(list)
    recheck: set[int] = set()
    for m in pattern.finditer(joined):
        i = bisect_right(starts, m.start()) - 1
        end_of_i = starts[i] + len(texts[i])
        if m.start() >= end_of_i:  # inside a separator
            recheck.add(i)
            if i + 1 < len(texts):
                recheck.add(i + 1)
            continue
        if m.end() > end_of_i:  # straddles two messages: decide each on its own text
            recheck.update(range(i, min(len(texts), bisect_right(starts, m.end()))))
            continue
        found[i].append(m.group(0))
    for i in recheck:
        found.pop(i, None)
        hits = [m.group(0) for m in pattern.finditer(texts[i])]
        if hits:
            found[i] = hits
    return found


def _candidates(automaton: Any, encoded: list[bytes]) -> set[int]:
    """Indexes of the messages where the batch automaton matches, scanning the joined batch.

    After a hit the scan resumes at the next message: one search per candidate at most, never
    one per match (a pattern matching the empty string matches at every position). A match
    touching a separator is decided again on each message's own text.
    """
    joined = SEP_BYTES.join(encoded)
    starts: list[int] = []
    position = 0
    for text in encoded:
        starts.append(position)
        position += len(text) + len(SEP_BYTES)
    found: set[int] = set()
    pos, end = 0, len(joined)
    while pos <= end:
        m = automaton.search(joined, pos)
        if m is None:
            break
        i = bisect_right(starts, m.start()) - 1
        end_of_i = starts[i] + len(encoded[i])
        if m.end() <= end_of_i and m.start() < end_of_i or m.start() == m.end() == end_of_i:
            found.add(i)
            last = i
        else:  # in a separator or across messages
            last = min(len(encoded), bisect_right(starts, m.end())) - 1
            for j in range(i, last + 1):
                if automaton.search(encoded[j]) is not None:
                    found.add(j)
        if last + 1 >= len(starts):
            break
        pos = starts[last + 1]
    return found


def evaluate(
    compiled: CompiledRules,
    messages: Sequence[Any],
    *,
    channel_id: int,
    first_seen: dict[int, datetime] | Callable[[set[int]], dict[int, datetime]] | None = None,
    recent: dict[int, list[datetime]] | None = None,
    now: datetime | None = None,
) -> list[list[RuleHit]]:
    """The rules each message matches, in rule order (a `stop` rule ends the list).

    `first_seen` (author id → first seen, or a loader called with the author ids still in
    question) and `recent` (author id → times of their messages, the message itself included)
    are needed only by new-member and rate conditions; see `context_for`.
    """
    n = len(messages)
    result: list[list[RuleHit]] = [[] for _ in range(n)]
    if n == 0 or not compiled.rules:
        return result
    texts = [m.text or "" for m in messages]
    joined = SEP.join(texts)
    starts: list[int] = []
    position = 0
    for text in texts:
        starts.append(position)
        position += len(text) + len(SEP)
    abuse = np.fromiter((m.abuse_score for m in messages), dtype=np.float64, count=n)
    spam = np.fromiter((m.spam_score for m in messages), dtype=np.float64, count=n)
    kinds = np.array([m.abuse_kind or "" for m in messages], dtype=object)
    brand = np.fromiter((bool(m.from_brand) for m in messages), dtype=bool, count=n)

    word_hits: dict[int, np.ndarray] = {}

    def mark(i: int, word: str) -> None:
        for r in compiled.rules_of_word.get(word, ()):
            mask = word_hits.get(r)
            if mask is None:
                mask = word_hits[r] = np.zeros(n, dtype=bool)
            mask[i] = True

    if compiled.tokens:
        tokens = compiled.tokens
        findall = TOKEN_RE.findall
        for i, text in enumerate(texts):
            found = tokens.intersection(findall(text.lower()))
            for word in found:
                mark(i, word)
    if compiled.words_re is not None:
        for i, words in _scan(compiled.words_re, texts, joined, starts).items():
            for word in words:
                mark(i, word.lower())
    links: np.ndarray | None = None
    if any(r.has_link is not None for r in compiled.rules):
        links = np.zeros(n, dtype=bool)
        for i in _scan(LINK_RE, texts, joined, starts):
            links[i] = True
    seen_cache: dict[int, datetime | None] = {}
    rates: np.ndarray | None = None
    if compiled.needs_rate:
        rates = np.zeros(n, dtype=np.int64)
        ordered_times = {a: sorted(t) for a, t in (recent or {}).items()}
        for i, m in enumerate(messages):
            times = ordered_times.get(m.author_id) or [m.created_at]
            rates[i] = bisect_right(times, m.created_at) - bisect_right(
                times, m.created_at - timedelta(hours=1)
            )

    pattern_candidates: np.ndarray | None = None
    encoded: list[bytes] | None = None
    alive = ~brand  # the brand's own messages are never moderated
    zeros = np.zeros(n, dtype=bool)
    for index, rule in enumerate(compiled.rules):
        if rule.channels and channel_id not in rule.channels:
            continue
        mask = alive.copy()
        if rule.min_abuse is not None:
            mask &= abuse >= rule.min_abuse
        if rule.abuse_kinds:
            mask &= np.isin(kinds, list(rule.abuse_kinds))
        if rule.min_spam is not None:
            mask &= spam >= rule.min_spam
        if rule.has_link is not None and links is not None:
            mask &= links if rule.has_link else ~links
        if rule.words:
            mask &= word_hits.get(index, zeros)
        if rule.max_rate_per_hour is not None and rates is not None:
            mask &= rates > rule.max_rate_per_hour
        if not mask.any():
            continue
        if rule.pattern is not None:
            if encoded is None:
                # RE2 works on UTF-8: searching bytes at byte offsets spares the wrapper's
                # re-encoding of the text and its char-offset decoding at every match.
                encoded = [t.encode("utf-8", "replace") for t in texts]
            if pattern_candidates is None:
                pattern_candidates = np.zeros(n, dtype=bool)
                if compiled.any_pattern is not None:
                    for i in _candidates(compiled.any_pattern, encoded):
                        pattern_candidates[i] = True
                else:
                    pattern_candidates[:] = True
            mask &= pattern_candidates
            for i in np.flatnonzero(mask).tolist():
                if rule.pattern.search(encoded[i]) is None:
                    mask[i] = False
        if rule.new_member_days is not None and mask.any():
            # Last, on the few messages still in question: it may cost a query.
            candidates = np.flatnonzero(mask).tolist()
            seen = _first_seen(first_seen, {messages[i].author_id for i in candidates}, seen_cache)
            window = timedelta(days=rule.new_member_days)
            for i in candidates:
                m = messages[i]
                since = seen.get(m.author_id)
                if since is not None and since <= (now or m.created_at) - window:
                    mask[i] = False
            if not mask.any():
                continue
        hit = rule.hit()
        for i in np.flatnonzero(mask).tolist():
            result[i].append(hit)
        if rule.stop:
            alive &= ~mask
    return result


def _first_seen(
    source: Any, author_ids: set[int], cache: dict[int, datetime | None]
) -> dict[int, datetime | None]:
    if not callable(source):
        return source or {}
    missing = author_ids.difference(cache)
    if missing:
        found = source(missing)
        cache.update({a: found.get(a) for a in missing})
    return cache


def context_for(
    compiled: CompiledRules, messages: Sequence[Any], *, stored: bool = False
) -> tuple[Callable[[set[int]], dict[int, datetime]] | None, dict[int, list[datetime]] | None]:
    """The author facts new-member and rate conditions need: a first-seen loader (queried only
    for the messages still in question) and recent times (one count, then times of busy authors)."""
    from django.db.models import Count

    author_ids = {m.author_id for m in messages}
    first_seen: Callable[[set[int]], dict[int, datetime]] | None = None
    recent: dict[int, list[datetime]] | None = None
    if compiled.needs_authors and author_ids:

        def first_seen(ids: set[int]) -> dict[int, datetime]:
            found = dict(Author.objects.filter(pk__in=ids).values_list("pk", "first_seen_at"))
            if not stored:
                # A brand-new author's row says when this batch first saw them: that is new.
                for m in messages:
                    if m.author_id in ids and (
                        found.get(m.author_id) is None or m.created_at < found[m.author_id]
                    ):
                        found[m.author_id] = m.created_at
            return found

    if compiled.needs_rate and author_ids:
        earliest = min(m.created_at for m in messages) - timedelta(hours=1)
        latest = max(m.created_at for m in messages)
        own = {m.pk for m in messages if m.pk is not None}
        recent = defaultdict(list)
        rows = Message.objects.filter(
            author_id__in=in_values(author_ids), created_at__gt=earliest, created_at__lte=latest
        )
        # Only authors who could pass the lowest rate threshold need their times (a cheap count
        # first: most authors write a few messages a day).
        lowest = min(r.max_rate_per_hour for r in compiled.rules if r.max_rate_per_hour is not None)
        in_batch = Counter(m.author_id for m in messages)
        counts = dict(
            rows.values("author_id").annotate(n=Count("id")).values_list("author_id", "n")
        )
        busy = [a for a in author_ids if counts.get(a, 0) + in_batch[a] > lowest]
        if busy:
            for pk, author_id, created_at in rows.filter(author_id__in=in_values(busy)).values_list(
                "pk", "author_id", "created_at"
            ):
                if pk not in own:
                    recent[author_id].append(created_at)
        for m in messages:  # the batch's messages count too, each one including itself
            recent[m.author_id].append(m.created_at)
    return first_seen, recent
