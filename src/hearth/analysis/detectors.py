"""Targeted detectors of the moderation policy: threats, doxxing, brigading, sexual harassment, hate.

Each detector combines cues of :mod:`hearth.analysis.lexicons.policy` (already matched for the
whole batch as token hashes) with a few regular expressions over the joined raw text (phone
numbers, street addresses, personal profile links), and writes one count per document in the
derived columns of ``Matches.counts`` (``L.DERIVED``). They run inside featurisation, so the
trained heads see them as features and the engine's rules (:func:`engine.abuse_rules`) turn them
into kinds with reasons. Everything is vectorised over the batch: no per-message Python loop.

- **threat**: a violent verb aimed at a person or a place within a few tokens ("kill the mod",
  "je vais le buter", "burn your store"), not negated; a veiled threat ("we know where your
  warehouse is", "make him pay", or two half-threats: "keep deleting my posts ... you'll regret
  it"); a weapon emoji next to a person, a mention or staff. Hyperbole toward objects ("kill this
  bug", "this update is killing my battery", "je vais tuer ce boss") has no target.
- **doxxing**: personal information about someone (a third-person "her address", "son insta",
  "lives in", a phone number, a street address, a personal profile link) together with a call to
  act ("go say hi", "allez lui rendre visite") or with a second piece of information.
- **brigading**: a call to mass-report, raid or flood ("everyone report this page", "signalez
  leur page, on les fait tomber").
- **sexual**: a sexual remark (one strong cue, two soft ones, or one soft cue about staff).
- **hate**: a protected group (named without a slur) with exclusion, dehumanisation or a
  denigrating generalisation ("women shouldn't be allowed to ...", "les migrants sont des
  parasites"), unless the message is counter-speech or a quotation.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from hearth.analysis import features as F
from hearth.analysis import lexicons as L

_COL = {name: j for j, (name, _) in enumerate(L.CATEGORIES)}
_DER = {name: len(L.CATEGORIES) + j for j, name in enumerate(L.DERIVED)}
AFTER = 4  # tokens after a violent verb where its target may stand ("kill the new mod")
BEFORE = 1  # French object pronoun right before the verb ("je vais le buter")
GROUP_BEFORE = (
    6  # a group named up to this many tokens before its predicate ("women ... shouldn't")
)
GROUP_AFTER = 4  # or after it ("I hate women", "je déteste les migrants")

_PII_RE = re.compile(
    # French phone numbers (06 12 34 56 78, +33 6 12 34 56 78), international and US formats.
    r"(?:(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d))"
    r"|(?:(?<![\d\w])\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}(?!\d))"
    r"|(?:(?<![\d\w])\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d))"
    # Street addresses: "12 rue des Lilas", "12 bis avenue Foch", "14 Park Road".
    r"|(?:(?<!\d)\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|all[ée]e|impasse|"
    r"chemin|place|quai|cours|route)\s+\w)"
    r"|(?:(?<!\d)\d{1,5},?\s+(?:[A-Z][\w'-]+\s+){1,3}(?i:street|st|road|rd|avenue|ave|lane|ln|"
    r"drive|dr|boulevard|blvd|court|close|crescent|terrace)\b)"
    # Links to a personal profile.
    r"|(?i:(?:instagram|facebook|fb|linkedin|tiktok|snapchat)\.com/(?:in/)?[\w.@-]+)",
)


def _window_hits(
    marks: npt.NDArray[np.bool_],
    pos: npt.NDArray[np.int64],
    lo: npt.NDArray[np.int64],
    hi: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """For each hit at ``pos``: is any token marked in [lo, hi)? (prefix sums, no loop)."""
    cs = np.concatenate([[0], np.cumsum(marks, dtype=np.int64)])
    lo = np.clip(lo, 0, marks.shape[0])
    hi = np.clip(hi, 0, marks.shape[0])
    out: npt.NDArray[np.bool_] = (cs[np.maximum(hi, lo)] - cs[lo]) > 0
    return out


def pii_patterns(raw: str, candidates: npt.NDArray[np.bool_]) -> npt.NDArray[np.int32]:
    """Phone numbers, street addresses and profile links in the candidate documents of the joined
    raw text (documents that hold a digit or a link and a doxxing cue: a handful per batch)."""
    out = np.zeros(candidates.shape[0], dtype=np.int32)
    idx = np.flatnonzero(candidates)
    if not raw or idx.shape[0] == 0:
        return out
    parts = raw.split("\x00")
    for d in idx.tolist():
        out[d] = sum(1 for _ in _PII_RE.finditer(parts[d]))
    return out


def detect(prep: F.Prepared, m: L.Matches, raw: str) -> None:
    """Fill the derived columns of ``m.counts`` (see the module docstring)."""
    c = m.counts
    n = prep.n_docs
    t = prep.tokens
    n_tok = t.doc.shape[0]
    has = {name: c[:, j] > 0 for name, j in _COL.items()}
    cue = has["pii"] | has["call_to_act"] | has["brigade"] | has["staff"]
    c[:, _DER["d_pii_pattern"]] = pii_patterns(raw, cue & ((prep.n_digits > 0) | (prep.n_urls > 0)))
    pat = c[:, _DER["d_pii_pattern"]] > 0

    # Threats: a violent verb with a target near it (a person, staff, a place or a group).
    verb = np.zeros(n, dtype=np.bool_)
    is_verb = (m.flags & (L.VIOLENT_VERB | L.VIOLENT_WEAK)) != 0
    if is_verb.any() and n_tok:
        group_or_staff = np.zeros(n_tok, dtype=np.bool_)
        group_or_staff[m.pos[(m.flags & (L.GROUP | L.STAFF)) != 0]] = True
        tgt_after = group_or_staff.copy()
        tgt_after[m.pos[(m.flags & L.TARGET) != 0]] = True
        tgt_before = np.zeros(n_tok, dtype=np.bool_)
        tgt_before[m.pos[(m.flags & L.TARGET_BEFORE) != 0]] = True
        weak = (m.flags[is_verb] & L.VIOLENT_VERB) == 0
        vpos = m.pos[is_verb]
        vdoc = m.doc[is_verb]
        doc_start = np.searchsorted(t.doc, np.arange(n))
        doc_end = np.searchsorted(t.doc, np.arange(n), side="right")
        # The window starts after the verb's last word ("put an end to | those immigrants").
        vlen = m.length[is_verb] if m.length is not None else np.ones_like(vpos)
        vend = vpos + np.maximum(vlen, 1)
        hi = np.minimum(vend + AFTER, doc_end[vdoc])
        after = np.where(
            weak,
            _window_hits(group_or_staff, vpos, vpos + 1, hi),
            _window_hits(tgt_after, vpos, vpos + 1, hi),
        )
        before = _window_hits(tgt_before, vpos, np.maximum(vpos - BEFORE, doc_start[vdoc]), vpos)
        aimed = (after | (before & ~weak)) & ~t.negated[vpos]
        verb[vdoc[aimed]] = True
    person = has["target"] | has["staff"] | (prep.n_mentions > 0)
    threat = verb | has["veiled"] | (c[:, _COL["veiled_soft"]] >= 2) | (has["weapon"] & person)
    c[:, _DER["d_threat"]] = threat

    info = has["pii"] | pat
    doxxing = (has["pii"] & pat) | (info & (has["call_to_act"] | has["brigade"]))
    doxxing |= (c[:, _COL["pii"]] >= 2) & (has["call_to_act"] | has["staff"])
    c[:, _DER["d_doxxing"]] = doxxing

    brigading = has["brigade"] & (has["mass"] | (c[:, _COL["brigade"]] >= 2) | has["call_to_act"])
    c[:, _DER["d_brigading"]] = brigading

    soft = c[:, _COL["sexual_soft"]]
    sexual = has["sexual_strong"] | (soft >= 2) | ((soft >= 1) & has["staff"])
    c[:, _DER["d_sexual"]] = sexual

    quotes = prep.n_quotes if prep.n_quotes is not None else np.zeros(n, dtype=np.int64)
    counter = has["counter"] | (quotes >= 2)
    c[:, _DER["d_counter"]] = counter
    hate = np.zeros(n, dtype=np.bool_)
    is_pred = (m.flags & (L.HATE_PREDICATE | L.HATE_PRE)) != 0
    if is_pred.any() and has["group"].any():
        grp = np.zeros(n_tok, dtype=np.bool_)
        grp[m.pos[(m.flags & L.GROUP) != 0]] = True
        ppos = m.pos[is_pred]
        pdoc = m.doc[is_pred]
        doc_start = np.searchsorted(t.doc, np.arange(n))
        doc_end = np.searchsorted(t.doc, np.arange(n), side="right")
        pre_only = (m.flags[is_pred] & L.HATE_PREDICATE) == 0
        lo = np.where(pre_only, ppos + 1, np.maximum(ppos - GROUP_BEFORE, doc_start[pdoc]))
        hi = np.minimum(ppos + 1 + GROUP_AFTER, doc_end[pdoc])
        near = _window_hits(grp, ppos, lo, hi) & ~t.negated[ppos]
        hate[pdoc[near]] = True
    hate &= ~counter
    c[:, _DER["d_hate"]] = hate
