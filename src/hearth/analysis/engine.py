"""The analysis engine: one vectorised pass per batch for language, sentiment, abuse, intent and spam.

Pure Python + numpy/scipy; no Django import, so it runs in workers, the CLI and tests alike.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from hearth.analysis import features as F
from hearth.analysis import lexicons as L
from hearth.analysis import model as M
from hearth.analysis import vectorize as V

DEFAULT_ABUSE_THRESHOLD = 0.5
DEFAULT_SPAM_THRESHOLD = 0.5
CHUNK = 4096
ABUSE_KINDS = (
    "",
    "insult",
    "hate",
    "harassment",
    "profanity",
    "threat",
    "doxxing",
    "brigading",
    "sexual",
)
KIND = {name: i for i, name in enumerate(ABUSE_KINDS)}
INTENTS = ("question", "complaint", "suggestion", "praise", "spam", "other")
# Near-duplicates: texts of at least this many tokens repeated this many times look like a campaign.
DUP_MIN_TOKENS = 5
DUP_MIN_COUNT = 3
# Repetition alone is not spam: during an outage hundreds of members write "same problem here"
# or the same angry sentence, and that protest must stay visible. A repeated text becomes a
# campaign only when it already leans promotional (spam head at least this, a spam cue of the
# lexicon) or carries a link.
DUP_SPAMMY = 0.3
SPAM_CUE_LINK = 0.85
# Message.analysis_reason's length: encode_reason drops matched words to fit, never cuts the JSON.
MAX_REASON = 255
# A very long text is read by its first and last HALF_TEXT characters: hashed features add up
# with repetition, and a 70,000-character paste must not outweigh its own words.
MAX_TEXT = 3000
HALF_TEXT = 1500
# Without a lexicon hit, a kind ("insult") is named only from this calibrated probability on:
# below the default threshold a model-only score is not worth a moderator's reason line.
MODEL_KIND_MIN = 0.5
# A message that reports a failed service ("my order never arrived", "impossible de me connecter")
# and holds no praise cue is negative at least this much (see :meth:`Engine.service_failure_sentiment`).
SERVICE_FAILURE_SCORE = -0.3
# A message addressed to the brand whose sentiment score (positive minus negative probability)
# is below this is a complaint (see :meth:`Engine.intent`). Chosen among -0.1, -0.2 and -0.3 on
# the complaint tweets' dev file (complaint F1 0.54 / 0.49 / 0.45 without the @mention cue).
COMPLAINT_LEAN = -0.1

# Model probabilities given by another model (the second stage) for the rows of a chunk: called
# with the chunk's French mask (language head), the chunk's slice of the batch and the fast
# heads' own probabilities (abuse (n,), sentiment (n, 3)); returns the probabilities to use.
Probabilities = Callable[
    [npt.NDArray[np.bool_], slice, npt.NDArray[np.float32], npt.NDArray[np.float32]],
    tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]],
]

_CAT = {name: j for j, (name, _) in enumerate(L.CATEGORIES)}
_CAT.update({name: len(L.CATEGORIES) + j for j, name in enumerate(L.DERIVED)})


class AnalysisRow(TypedDict):
    """The labels of one text (BatchAnalysis.row)."""

    lang: str
    sentiment: str
    sentiment_score: float
    abuse_score: float
    abuse_kind: str
    intent: str
    spam_score: float
    reason: str


@dataclass
class BatchAnalysis:
    lang: list[str] = field(default_factory=list)
    sentiment: list[str] = field(default_factory=list)
    sentiment_score: list[float] = field(default_factory=list)
    abuse_score: list[float] = field(default_factory=list)
    abuse_kind: list[str] = field(default_factory=list)
    intent: list[str] = field(default_factory=list)
    spam_score: list[float] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)
    # How sure the sentiment model is: its top probability minus the runner-up's (0 = a toss-up).
    # Not a stored label: the second stage reads it to pick the close calls (second_stage.select).
    sentiment_margin: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lang)

    def row(self, i: int) -> AnalysisRow:
        return {
            "lang": self.lang[i],
            "sentiment": self.sentiment[i],
            "sentiment_score": self.sentiment_score[i],
            "abuse_score": self.abuse_score[i],
            "abuse_kind": self.abuse_kind[i],
            "intent": self.intent[i],
            "spam_score": self.spam_score[i],
            "reason": self.reason[i],
        }

    def extend(self, other: BatchAnalysis) -> None:
        for name in (
            "lang",
            "sentiment",
            "sentiment_score",
            "abuse_score",
            "abuse_kind",
            "intent",
            "spam_score",
            "reason",
            "sentiment_margin",
        ):
            getattr(self, name).extend(getattr(other, name))


def _softmax(s: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    e = np.exp(s - s.max(axis=1, keepdims=True))
    out: npt.NDArray[np.float32] = e / e.sum(axis=1, keepdims=True)
    return out


def _sigmoid(s: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    # Clipped: a very long text can push a logit past float32's exp range (the result is 0 or 1 anyway).
    out: npt.NDArray[np.float32] = 1.0 / (1.0 + np.exp(-np.clip(s, -80.0, 80.0)))  # type: ignore[assignment]  # float32 at run time (NEP 50); numpy's stubs say float64
    return out


@dataclass
class Raw:
    """Per-analyzer arrays of one chunk, before conversion to Python lists."""

    lang: npt.NDArray[np.int64]  # index in M.LANGS, -1 for "und"
    sentiment: npt.NDArray[np.int64]
    sentiment_score: npt.NDArray[np.float32]
    abuse_score: npt.NDArray[np.float32]
    abuse_kind: npt.NDArray[np.int64]
    spam_score: npt.NDArray[np.float32]
    intent: npt.NDArray[np.int64]
    batch: V.Batch
    fingerprint_count: npt.NDArray[np.int64]
    sentiment_margin: npt.NDArray[np.float32] | None = None


def abuse_rules(
    p: npt.NDArray[np.float32],
    c: npt.NDArray[np.int32],
    french: npt.NDArray[np.bool_] | None = None,
    quoted: npt.NDArray[np.bool_] | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """The moderation policy (docs/analysis.md) over model probabilities ``p`` and cue counts ``c``.

    Shared with training (the calibration sees the same rules). Abuse means "a moderator should
    act": an insult or harassment of a person or group, hate, a threat, doxxing, sexual
    harassment, a call to brigade. Floors: insult >= 0.8, brigading and sexual remarks >= 0.85,
    hate >= 0.9, threats, doxxing and harassment >= 0.92. Guards, when none of these is present:
    profanity that attacks nobody (no second person) is capped at 0.45 with kind "profanity"
    (a marker the workspace may queue through a rule), unless a protected group is named; a
    message holding product/service vocabulary, a service-failure cue, or criticism words
    without profanity, is capped at 0.45 ("worst support ever", "your update broke
    everything", "on hold for an hour"); so is a denigrating predicate about no group or person
    ("landfill sites are disgusting"); counter-speech and quotations ("saying 'X are criminals' is
    racist") are capped at 0.45. Homographs: "retard" is an insult only outside French (and never
    in "en retard", "du retard"), "bite" profanity only in French (``french``: the language head).
    Counter-speech that quotes (``quoted``: two quotation marks or more) mentions the insult it
    rebukes, even with a second person in the quotation ('messages like "you are a X" get blocked').
    """
    n = p.shape[0]
    fr = np.zeros(n, dtype=np.bool_) if french is None else french

    def has(name: str) -> npt.NDArray[np.bool_]:
        out: npt.NDArray[np.bool_] = c[:, _CAT[name]] > 0
        return out

    counter = has("d_counter")
    # Self-deprecation and rebuked insults ("I was a total jerk", "it's not okay to call people
    # X") attack nobody, unless a second person is there too.
    # Counter-speech that quotes the insult ('messages like "you are just a X" get blocked')
    # mentions it: the second person is the quotation's.
    if quoted is not None:
        quoted = quoted & has("counter")
    else:
        quoted = np.zeros(n, dtype=np.bool_)
    unaimed = ((has("self") | counter) & ~has("second_person")) | quoted
    insult = (has("insult") | (has("insult_en_only") & ~fr & ~has("fr_delay"))) & ~unaimed
    hate = (has("hate") & ~counter) | has("d_hate")
    harassment = has("threat")
    threat = has("d_threat") & ~(counter & ~has("veiled"))
    doxxing = has("d_doxxing")
    brigading = has("d_brigading")
    sexual = has("d_sexual")
    profanity = has("profanity") | (has("profanity_fr_only") & fr) | (has("insult") & unaimed)
    targeted = insult | hate | harassment | threat | doxxing | brigading | sexual
    score = p.astype(np.float32, copy=True)
    for mask, floor in (
        (insult, 0.8),
        (brigading, 0.85),
        (sexual, 0.85),
        (hate, 0.9),
        (harassment | threat | doxxing, 0.92),
    ):
        score[mask] = np.maximum(score[mask], floor)
    untargeted = ~targeted
    guard = untargeted & (
        # Violence toward objects ("kill this bug", "je vais tuer ce boss"): hyperbole.
        (has("violent_verb") & ~has("group"))
        # "a bite to eat", "this sauce has bite": a French swear word only in French.
        | (has("profanity_fr_only") & ~fr)
        | has("brand")
        # A failed service ("on hold for an hour", "never arrived", "vol annulé"): a complaint.
        | has("service_failure")
        # Nouns that insult only when aimed at someone, here aimed at nobody ("ma chienne est
        # malade", "les ordures ne sont pas ramassées").
        | (has("noun_alone") & ~has("second_person"))
        | (has("criticism") & ~profanity)
        # A denigrating predicate with no group, person or second person named is about a thing
        # ("landfill sites are disgusting", "microplastics are a plague to society").
        | (
            has("hate_predicate")
            & ~has("group")
            & ~has("second_person")
            & ~has("target")
            & ~has("staff")
        )
        # ... unless it is aimed at a protected group ("X should get the fuck out").
        | (profanity & ~has("second_person") & ~has("group"))
        | counter
    )
    score[guard] = np.minimum(score[guard], 0.45)
    kind = np.zeros(n, dtype=np.int64)
    kind[score >= MODEL_KIND_MIN] = KIND["insult"]
    kind[profanity & untargeted] = KIND["profanity"]
    for name, mask in (
        ("insult", insult),
        ("brigading", brigading),
        ("sexual", sexual),
        ("harassment", harassment),
        ("hate", hate),
        ("doxxing", doxxing),
        ("threat", threat),
    ):
        kind[mask] = KIND[name]
    kind[(score < MODEL_KIND_MIN) & ~profanity] = 0
    return score, kind


class Engine:
    def __init__(self, weights: M.Weights) -> None:
        self.weights = weights
        self.lexicon = L.load()
        self.abuse_threshold = DEFAULT_ABUSE_THRESHOLD
        self.spam_threshold = DEFAULT_SPAM_THRESHOLD

    @classmethod
    def from_dir(cls, path: Path | None = None) -> Engine:
        return cls(M.Weights.load((path or M.WEIGHTS_DIR) / M.WEIGHTS_FILE))

    # -- analyzers -------------------------------------------------------------------------------
    def language(self, batch: V.Batch, scores: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        a, b = M.HEADS["lang"]
        p = _softmax(scores[:, a:b])
        lang: npt.NDArray[np.int64] = p.argmax(axis=1).astype(np.int64)
        # URL/mention placeholders are not letters of the message.
        letters = batch.prep.n_letters - 5 * (batch.prep.n_urls + batch.prep.n_mentions)
        unsure = (p.max(axis=1) < 0.5) & (letters < 20)
        lang[(letters < 3) | unsure] = -1
        return lang

    def sentiment(
        self, scores: npt.NDArray[np.float32], given: npt.NDArray[np.float32] | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        a, b = M.HEADS["sentiment"]
        p = _softmax(scores[:, a:b]) if given is None else given
        return p.argmax(axis=1).astype(np.int64), (p[:, 2] - p[:, 0]).astype(np.float32)

    def service_failure_sentiment(
        self, batch: V.Batch, sent: npt.NDArray[np.int64], score: npt.NDArray[np.float32]
    ) -> None:
        """A failed service told without emotion words is negative: "neutral" becomes "negative".

        Applies when the message holds a service-failure cue ("on hold for 3 hours", "vol annulé",
        "toujours pas reçu ma commande") and no praise cue. A "positive" prediction is kept: with a
        failure cue it is mostly a resolved or outweighed problem ("it finally arrived", "delayed
        but the staff were lovely"), and sarcastic thanks carry a praise cue, so no cue list can
        tell them apart.
        """
        c = batch.matches.counts
        failure = (c[:, _CAT["service_failure"]] > 0) & (c[:, _CAT["praise"]] == 0) & (sent == 1)
        sent[failure] = 0
        score[failure] = np.minimum(score[failure], SERVICE_FAILURE_SCORE)

    def policy_sentiment(
        self,
        batch: V.Batch,
        sent: npt.NDArray[np.int64],
        score: npt.NDArray[np.float32],
        abuse: npt.NDArray[np.float32],
        kind: npt.NDArray[np.int64],
    ) -> None:
        """Sentiment corrections that follow the policy's reading of a message.

        An attack on someone (any kind but profanity, at the abuse threshold) is negative, never
        praise. Profanity next to praise with no criticism ("damn this update is fire") is
        positive, and so is a negated criticism ("pas mal du tout"). A plain question without any negative cue ("vos horaires samedi ?") that the
        model leans negative on is neutral, however sure the model is: French questions read as
        negative with conviction ("vous ouvrez à quelle heure samedi ?" at -0.81), and dropping
        the earlier -0.8 guard changed no sentiment or intent figure of the evaluation files.
        """
        c = batch.matches.counts
        attack = (abuse >= self.abuse_threshold) & (kind > 0) & (kind != KIND["profanity"])
        sent[attack] = 0
        score[attack] = np.minimum(score[attack], -0.5)
        negative_cue = (
            c[:, _CAT["criticism"]]
            + c[:, _CAT["service_failure"]]
            + c[:, _CAT["insult"]]
            + c[:, _CAT["threat"]]
        ) > 0
        hype = (
            (
                ((c[:, _CAT["profanity"]] > 0) & (c[:, _CAT["praise"]] > 0) & ~negative_cue)
                | (c[:, _CAT["negated_criticism"]] > 0)
            )
            & ~attack
            & (sent == 0)
        )
        sent[hype] = 2
        score[hype] = np.maximum(-score[hype], 0.3)
        # Irony: a positive reading next to a sarcasm mark (🙄, "yeah right", "merci pour rien")
        # is negative ("great, another outage 🙄"); the mark alone on a neutral text changes nothing.
        n = batch.prep.n_docs
        sarcastic = np.zeros(n, dtype=np.bool_)
        s_hits = (batch.matches.flags & L.SARCASM) != 0
        sarcastic[batch.matches.doc[s_hits]] = True
        irony = sarcastic & (sent == 2) & ~hype
        sent[irony] = 0
        score[irony] = np.minimum(-score[irony], -0.3)
        t = batch.prep.tokens
        first_q = np.zeros(n, dtype=np.bool_)
        q_hits = (batch.matches.flags & L.QUESTION_START) != 0
        if q_hits.any() and t.doc.shape[0]:
            starts = np.searchsorted(t.doc, np.arange(n))
            hd = batch.matches.doc[q_hits]
            first_q[hd[batch.matches.pos[q_hits] == starts[hd]]] = True
        # A negative word of the valence lexicon ("so annoying") is a negative cue too.
        negative_word = batch.dense[:, V.DENSE_NAMES.index("valence_neg")] > 0.1
        question = (batch.prep.ends_with_question | first_q) & ~negative_cue & ~negative_word
        question &= (c[:, _CAT["profanity"]] == 0) & ~attack & (sent == 0)
        sent[question] = 1
        score[question] = 0.0

    def french(self, scores: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        la, lb = M.HEADS["lang"]
        out: npt.NDArray[np.bool_] = scores[:, la:lb].argmax(axis=1) == M.LANGS.index("fr")
        return out

    def abuse(
        self,
        batch: V.Batch,
        scores: npt.NDArray[np.float32],
        given: npt.NDArray[np.float32] | None = None,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Trained probability combined with the curated lexicons and the criticism guard.

        French texts are scored by the French head, every other text by the English one; each
        head's bias is calibrated in training (cross-validated on the train split) so that the
        default threshold of 0.5 is its macro-F1 operating point. Slurs, threats and
        person-directed insults raise the score; without any of them, harsh words about a
        product or service ("worst update ever", "this app is garbage") are criticism, and
        the score is capped below the default threshold (see :func:`abuse_rules`). `given`:
        probabilities of another model (the second stage) in place of the heads'.
        """
        french = self.french(scores)
        p = self.abuse_probability(scores, french) if given is None else given
        quotes = batch.prep.n_quotes
        return abuse_rules(p, batch.matches.counts, french, None if quotes is None else quotes >= 2)

    def abuse_probability(
        self, scores: npt.NDArray[np.float32], french: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float32]:
        """The abuse heads' probability: the French head for French texts, the English one otherwise."""
        a, _ = M.HEADS["abuse"]
        fr_col, _ = M.HEADS["abuse_fr"]
        return _sigmoid(np.where(french, scores[:, fr_col], scores[:, a]))

    def spam(
        self, batch: V.Batch, scores: npt.NDArray[np.float32], dup_count: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        a, _ = M.HEADS["spam"]
        p = _sigmoid(scores[:, a])
        promotional = (
            (p >= DUP_SPAMMY)
            | (batch.prep.n_urls > 0)
            | (batch.matches.counts[:, _CAT["spam"]] > 0)
        )
        # A spam cue of the lexicon with a link is spam whatever the head says ("buy cheap
        # followers now http://…").
        cued = (batch.prep.n_urls > 0) & (batch.matches.counts[:, _CAT["spam"]] > 0)
        p[cued] = np.maximum(p[cued], SPAM_CUE_LINK)
        campaign = (dup_count >= DUP_MIN_COUNT) & promotional
        p[campaign] = np.maximum(p[campaign], np.minimum(0.5 + 0.1 * dup_count[campaign], 0.95))
        return p.astype(np.float32)

    def intent(
        self,
        batch: V.Batch,
        sentiment: npt.NDArray[np.int64],
        spam: npt.NDArray[np.float32],
        score: npt.NDArray[np.float32] | None = None,
    ) -> npt.NDArray[np.int64]:
        """Intent by rules over the labels and cues (no licence-compatible intent data exists).

        A complaint is a negative message with a criticism cue, or addressed to the brand (brand
        vocabulary, second person, a service-failure cue, an @mention). A message addressed to
        the brand that *leans* negative (``score``, positive minus negative probability, below
        ``COMPLAINT_LEAN``) without any praise or suggestion cue is a complaint too: to a
        community manager "@lampco the app lost my settings again after the update" is one,
        although the sentiment model calls its tone neutral.
        """
        c = batch.matches.counts
        m = batch.matches
        t = batch.prep.tokens
        n = batch.prep.n_docs
        # Interrogative word in first position ("how do I", "comment", "pourquoi").
        first_tok = np.full(n, -1, dtype=np.int64)
        if t.doc.shape[0]:
            starts = np.flatnonzero(np.r_[True, t.doc[1:] != t.doc[:-1]])
            first_tok[t.doc[starts]] = starts
        q_hits = (m.flags & L.QUESTION_START) != 0
        q_first = np.zeros(n, dtype=np.bool_)
        if q_hits.any():
            hit_doc = m.doc[q_hits]
            q_first[hit_doc[m.pos[q_hits] == first_tok[hit_doc]]] = True
        question = (batch.prep.n_quest > 0) | q_first
        # A feature request: a suggestion phrase anywhere ("it would be great if", "could you add",
        # "j'aimerais", "ce serait bien"), or a request verb in the imperative as the message's
        # first word ("Add a dark mode", "Ajoutez l'export CSV"; lexicons' IMPERATIVE).
        suggestion = c[:, _CAT["suggestion"]] > 0
        suggestion[m.doc[(m.flags & L.REQUEST) != 0]] = True
        imp_hits = (m.flags & L.IMPERATIVE) != 0
        if imp_hits.any():
            hit_doc = m.doc[imp_hits]
            suggestion[hit_doc[m.pos[imp_hits] == first_tok[hit_doc]]] = True
        negative = sentiment == 0
        positive = sentiment == 2
        cues = (
            c[:, _CAT["criticism"]]
            + c[:, _CAT["brand"]]
            + c[:, _CAT["second_person"]]
            + c[:, _CAT["service_failure"]]
        )
        addressed = (cues + batch.prep.n_mentions) > 0
        complaint = negative & addressed
        complaint |= negative & (c[:, _CAT["criticism"]] > 0)
        if score is not None:
            # A plain question ("@shop when does the sale start?") is not a complaint, however
            # the model leans: it needs a negative cue or a negative word to be one.
            negative_cue = (
                c[:, _CAT["criticism"]] + c[:, _CAT["service_failure"]] + c[:, _CAT["insult"]]
            ) > 0
            negative_word = batch.dense[:, V.DENSE_NAMES.index("valence_neg")] > 0.1
            plain_question = question & ~negative_cue & ~negative_word
            complaint |= (
                (score < COMPLAINT_LEAN)
                & addressed
                & ~plain_question
                & (c[:, _CAT["praise"]] == 0)
                & (c[:, _CAT["suggestion"]] == 0)
            )
        praise = positive | ((c[:, _CAT["praise"]] > 0) & ~negative)
        out = np.full(n, INTENTS.index("other"), dtype=np.int64)
        out[praise] = INTENTS.index("praise")
        out[question] = INTENTS.index("question")
        out[complaint] = INTENTS.index("complaint")
        out[suggestion] = INTENTS.index("suggestion")
        out[spam >= self.spam_threshold] = INTENTS.index("spam")
        return out

    def _emoji_only_sentiment(
        self, batch: V.Batch, sent: npt.NDArray[np.int64], score: npt.NDArray[np.float32]
    ) -> None:
        """Messages made only of emoji carry too few features for the model: their valence decides."""
        t = batch.prep.tokens
        n = batch.prep.n_docs
        emoji_only = (np.bincount(t.doc[t.is_emoji], minlength=n) > 0) & (
            np.bincount(t.doc[~t.is_emoji], minlength=n) == 0
        )
        if not emoji_only.any():
            return
        val = np.bincount(t.doc, weights=self.weights.valence.token_values(t.h), minlength=n)
        pos = emoji_only & (val > 0)
        neg = emoji_only & (val < 0)
        sent[pos] = 2
        sent[neg] = 0
        score[pos | neg] = np.tanh(val[pos | neg] / 3.0)

    # -- batch -------------------------------------------------------------------------------------
    def _fingerprints(self, batch: V.Batch) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
        """Order-insensitive hash of each text's words, ignoring URLs, mentions and numbers."""
        t = batch.prep.tokens
        n = batch.prep.n_docs
        fp = np.zeros(n, dtype=np.uint64)
        if t.doc.shape[0]:
            starts = np.flatnonzero(np.r_[True, t.doc[1:] != t.doc[:-1]])
            # Numbers, links and mentions vary inside a campaign: they do not enter the fingerprint.
            words = t.has_letter & (t.h != np.uint64(F._special_hashes()[F.URL_TOKEN]))
            words &= t.h != np.uint64(F._special_hashes()[F.USER_TOKEN])
            mixed = t.h1 * np.uint64(0x9E3779B97F4A7C15) * words.astype(np.uint64)
            fp[t.doc[starts]] = np.add.reduceat(mixed, starts)
        n_tok = np.bincount(t.doc[t.has_letter], minlength=n)
        return fp, n_tok >= DUP_MIN_TOKENS

    def run_chunk(
        self,
        texts: list[str],
        history_fp: npt.NDArray[np.uint64] | None = None,
        probabilities: Probabilities | None = None,
        rows: slice | None = None,
    ) -> Raw:
        batch = V.featurize(texts, self.weights.valence, self.lexicon)
        scores = self.weights.scores(batch)
        given_abuse = given_sentiment = None
        if probabilities is not None:
            french = self.french(scores)
            a, b = M.HEADS["sentiment"]
            given_abuse, given_sentiment = probabilities(
                french,
                rows or slice(0, len(texts)),
                self.abuse_probability(scores, french),
                _softmax(scores[:, a:b]),
            )
        fp, eligible = self._fingerprints(batch)
        dup = np.zeros(len(texts), dtype=np.int64)
        if eligible.any():
            pool = (
                fp[eligible] if history_fp is None else np.concatenate([fp[eligible], history_fp])
            )
            uniq, inv, cnt = np.unique(pool, return_inverse=True, return_counts=True)
            dup[eligible] = cnt[inv[: int(eligible.sum())]]
        lang = self.language(batch, scores)
        sent, sent_score = self.sentiment(scores, given_sentiment)
        a, b = M.HEADS["sentiment"]
        top2 = np.sort(
            _softmax(scores[:, a:b]) if given_sentiment is None else given_sentiment, axis=1
        )[:, -2:]
        margin = (top2[:, 1] - top2[:, 0]).astype(np.float32)
        self._emoji_only_sentiment(batch, sent, sent_score)
        self.service_failure_sentiment(batch, sent, sent_score)
        abuse, kind = self.abuse(batch, scores, given_abuse)
        self.policy_sentiment(batch, sent, sent_score, abuse, kind)
        spam = self.spam(batch, scores, dup)
        intent = self.intent(batch, sent, spam, sent_score)
        return Raw(lang, sent, sent_score, abuse, kind, spam, intent, batch, dup, margin)

    def history_fingerprints(self, texts: Sequence[str]) -> npt.NDArray[np.uint64]:
        out = []
        for i in range(0, len(texts), CHUNK):
            batch = V.featurize(list(texts[i : i + CHUNK]), self.weights.valence, self.lexicon)
            fp, eligible = self._fingerprints(batch)
            out.append(fp[eligible])
        return np.concatenate(out) if out else np.zeros(0, np.uint64)

    def reasons(self, raw: Raw) -> list[str]:
        """Why each row is labelled, as codes (:mod:`hearth.analysis.reasons` puts them into words);
        built only for rows a moderator will look at (a Python loop over few rows)."""
        n = raw.abuse_score.shape[0]
        out = [""] * n
        m = raw.batch.matches
        notable = np.flatnonzero(
            (raw.abuse_score >= self.abuse_threshold)
            | (raw.abuse_kind > 0)
            | (raw.spam_score >= self.spam_threshold)
        )
        if notable.shape[0] == 0:
            return out
        terms = self.lexicon.terms
        relevant = (
            L.INSULT | L.HATE | L.THREAT | L.PROFANITY | L.SPAM | L.POLICY | L.PROFANITY_FR_ONLY
        )
        sel = np.flatnonzero(np.isin(m.doc, notable) & ((m.flags & relevant) != 0))
        by_doc: dict[int, list[str]] = {}
        spam_by_doc: dict[int, list[str]] = {}
        for d, tm, fl in zip(
            m.doc[sel].tolist(), m.term[sel].tolist(), m.flags[sel].tolist(), strict=True
        ):
            target = spam_by_doc if fl & L.SPAM else by_doc
            target.setdefault(d, []).append(terms[tm])
        urls = raw.batch.prep.n_urls.tolist()
        scores_a = raw.abuse_score.tolist()
        kinds = raw.abuse_kind.tolist()
        scores_s = raw.spam_score.tolist()
        dups = raw.fingerprint_count.tolist()
        pii = raw.batch.matches.counts[:, _CAT["d_pii_pattern"]].tolist()
        for i in notable.tolist():
            parts: list[dict[str, Any]] = []
            if kinds[i] > 0 or scores_a[i] >= self.abuse_threshold:
                words = sorted(set(by_doc.get(i, [])), key=len, reverse=True)[:4]
                part: dict[str, Any] = {
                    "c": "abuse",
                    "k": ABUSE_KINDS[kinds[i]],
                    "s": round(scores_a[i], 2),
                    "w": words,
                }
                if ABUSE_KINDS[kinds[i]] == "doxxing" and pii[i]:
                    part["pii"] = 1
                parts.append(part)
            if scores_s[i] >= self.spam_threshold:
                part = {"c": "spam", "s": round(scores_s[i], 2)}
                if urls[i]:
                    part["links"] = urls[i]
                if dups[i] >= DUP_MIN_COUNT:
                    part["dup"] = dups[i]
                part["w"] = sorted(set(spam_by_doc.get(i, [])), key=len, reverse=True)[:2]
                parts.append(part)
            out[i] = encode_reason(parts)
        return out

    def analyze(
        self,
        texts: Sequence[str],
        *,
        history: Sequence[str] | None = None,
        probabilities: Probabilities | None = None,
    ) -> BatchAnalysis:
        """Analyse a batch. ``history``: recent texts of the same community for copy-paste detection.

        ``probabilities``: abuse and sentiment probabilities of another model (the second stage,
        :mod:`hearth.analysis.second_stage`) in place of the fast heads'; every rule applies the same.
        """
        result = BatchAnalysis()
        hist = self.history_fingerprints(history) if history else None
        for i in range(0, len(texts), CHUNK):
            chunk = [
                (t if len(t) <= MAX_TEXT else t[:HALF_TEXT] + " \n " + t[-HALF_TEXT:])
                if isinstance(t, str)
                else ""
                for t in texts[i : i + CHUNK]
            ]
            raw = self.run_chunk(chunk, hist, probabilities, slice(i, i + len(chunk)))
            result.extend(self.to_lists(raw))
        return result

    def to_lists(self, raw: Raw) -> BatchAnalysis:
        langs = np.array([*M.LANGS, "und"], dtype=object)
        sents = np.array(M.SENTIMENTS, dtype=object)
        kinds = np.array(ABUSE_KINDS, dtype=object)
        intents = np.array(INTENTS, dtype=object)
        return BatchAnalysis(
            lang=langs[raw.lang].tolist(),
            sentiment=sents[raw.sentiment].tolist(),
            sentiment_score=np.round(raw.sentiment_score.astype(np.float64), 4).tolist(),
            abuse_score=np.round(raw.abuse_score.astype(np.float64), 4).tolist(),
            abuse_kind=kinds[raw.abuse_kind].tolist(),
            intent=intents[raw.intent].tolist(),
            spam_score=np.round(raw.spam_score.astype(np.float64), 4).tolist(),
            reason=self.reasons(raw),
            sentiment_margin=(
                np.round(raw.sentiment_margin.astype(np.float64), 4).tolist()
                if raw.sentiment_margin is not None
                else [1.0] * raw.sentiment.shape[0]
            ),
        )


def encode_reason(parts: list[dict[str, Any]]) -> str:
    """The stored form of a reason's ``parts`` (see :mod:`hearth.analysis.reasons`): compact JSON of
    at most MAX_REASON characters, the matched words dropped (from the longest list's end) to fit."""
    if not parts:
        return ""
    while True:
        out = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
        longest = max(parts, key=lambda p: len(p.get("w", ())))
        # Without words a part is a few codes and numbers (under 80 characters for both parts).
        if len(out) <= MAX_REASON or not longest.get("w"):
            return out
        longest["w"] = longest["w"][:-1]


_ENGINE: Engine | None = None
_LOCK = threading.Lock()


def get_engine() -> Engine:
    """Process-wide engine, loaded once from the shipped weights."""
    global _ENGINE
    if _ENGINE is None:
        with _LOCK:
            if _ENGINE is None:
                _ENGINE = Engine.from_dir()
    return _ENGINE


def analyze_batch(texts: Sequence[str], *, history: Sequence[str] | None = None) -> BatchAnalysis:
    return get_engine().analyze(texts, history=history)
