"""Learning from the team: refit a workspace's heads on the shipped data plus its own decisions.

``retrain_workspace`` refits the abuse, spam and sentiment heads whose task has at least
``MIN_DECISIONS`` decisions, on the licence-compatible training split of the shipped data plus
the training part of the workspace's decisions (each weighted ``DECISION_WEIGHT`` times: they
are the team's own netiquette). The language head and the heads without enough decisions are
the shipped ones. The new weights are compared with the active ones (the workspace's active
model, or the shipped model) and activated only when no metric gets worse — see
:func:`activation_verdict` for the exact rule.

Held-out data, never trained on:
- the workspace's decisions whose normalised text hashes into the 30 % test part
  (:func:`hearth.analysis.data.is_train`, the same rule as the shipped split: duplicates stay together);
- the test split of the shipped training files;
- for abuse, the evaluation-only criticism probes (airline negatives, complaint tweets), when present.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Count, F

from hearth.analysis import data as D
from hearth.analysis import model as M
from hearth.analysis import train as T
from hearth.analysis import vectorize as V
from hearth.analysis.evaluate import scores as f1_scores
from hearth.analysis.models import TASK_LABELS, LabelDecision, Task, WorkspaceModel
from hearth.analysis.workspace import engine_for_weights, workspace_config
from hearth.core import audit
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace

MIN_DECISIONS = 20  # per task, before its head is refitted
DECISION_WEIGHT = 5.0  # a decision counts as this many rows of the shipped data
MAX_SHIPPED_DROP = 0.005  # tolerated drop of macro-F1 on the shipped test split
MAX_CRITICISM_FPR_RISE = 0.005  # tolerated rise of the criticism false-positive rate
EPSILON = 1e-9
RETRAINABLE = (Task.ABUSE, Task.SPAM, Task.SENTIMENT)
EVALUATED = (Task.ABUSE, Task.SPAM, Task.SENTIMENT, Task.INTENT)
# Shipped training files per head (prefixes of hearth.analysis.data.DATASETS), as in train.py.
ABUSE_POSITIVE_FILES = ("toxicity_en_davidson", "toxicity_en_mlma", "toxicity_fr_mlma")
# Licence-compatible files only: DEFT 2017 and SemEval-2017 are evaluation-only (data README).
ABUSE_CLEAN_FILES = ("sentiment_fr_xed", "sentiment_en_tse", "spam_en")
ABUSE_CLEAN_MAX = 3000
SPAM_FILES = ("spam_en",)
SPAM_CLEAN_FILES = ("sentiment_fr_xed", "sentiment_en_tse", "toxicity_fr_mlma")
SPAM_CLEAN_MAX = 2000
SENTIMENT_FILES = ("sentiment_en_tse", "sentiment_fr_xed")
SENTIMENT_MAX = 8000  # shipped rows refitted with a workspace's decisions (keeps a refit short)
# Shipped labels in the decision vocabulary.
_SHIPPED_LABEL = {"toxic": "abuse", "not_toxic": "not_abuse"}

Printer = Callable[[str], None]


def default_data_dir() -> Path:
    """$HEARTH_TRAINING_DATA, else ``../shared/data`` next to the repository."""
    from django.conf import settings

    env = os.environ.get("HEARTH_TRAINING_DATA", "").strip()
    return Path(env) if env else Path(settings.BASE_DIR).parent.parent.parent / "shared" / "data"


@dataclass
class RetrainReport:
    workspace: str
    activated: bool
    message: str
    version: int | None = None  # the new model's version; None when nothing was trained
    previous_version: int | None = None  # the model active before (None: the shipped one)
    active_version: int | None = None  # the model active after (None: the shipped one)
    decisions: dict[str, int] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)
    before: dict[str, dict[str, Any]] = field(default_factory=dict)
    after: dict[str, dict[str, Any]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)  # the metrics that got worse
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- data ----------------------------------------------------------------------------------------
def _dataset(prefix: str) -> D.Dataset:
    return next(d for d in D.DATASETS if d.file.startswith(prefix))


def _present(data_dir: Path, prefixes: Sequence[str]) -> list[str]:
    return [p for p in prefixes if (data_dir / _dataset(p).file).is_file()]


def _rows(
    data_dir: Path, prefixes: Sequence[str], split: str, limit: int | None = None
) -> list[tuple[str, str]]:
    """Rows of the files; with ``limit``, a fixed pseudo-random sample of that many."""
    out: list[tuple[str, str]] = []
    for prefix in _present(data_dir, prefixes):
        out += [(r["text"], r["label"]) for r in D.load(data_dir, _dataset(prefix), split)]
    if limit is not None and len(out) > limit:
        random.Random(T.SEED).shuffle(out)
        out = out[:limit]
    return out


@dataclass
class _Split:
    train: list[tuple[str, str]]
    test: list[tuple[str, str]]


def _decisions(workspace: Workspace) -> dict[str, _Split]:
    """Latest decision per (task, normalised text): a moderator may change their mind."""
    latest: dict[tuple[str, str], tuple[str, str]] = {}
    rows = (
        LabelDecision.objects.filter(workspace=workspace)
        .order_by("created_at", "id")
        .values_list("task", "text", "decided")
    )
    for task, text, decided in rows.iterator():
        latest[(task, D.normalised(text))] = (text, decided)
    out = {task: _Split([], []) for task in TASK_LABELS}
    for (task, _), (text, decided) in latest.items():
        split = out[task]
        (split.train if D.is_train(text) else split.test).append((text, decided))
    return out


# -- fitting ------------------------------------------------------------------------------------
def _put(
    weights: M.Weights, head: str, coef: npt.NDArray[np.float64], intercept: npt.NDArray[np.float64]
) -> None:
    a, b = M.HEADS[head]
    cols = coef.T if b - a > 1 else coef[:1].T
    weights.sparse[:, a:b] = cols[: V.N_SPARSE]
    weights.dense[:, a:b] = cols[V.N_SPARSE :]
    weights.bias[a:b] = intercept[: b - a]


def _fit_head(
    base: M.Weights, shipped: list[tuple[str, int]], decisions: list[tuple[str, int]], c: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    texts = [t for t, _ in shipped] + [t for t, _ in decisions]
    y = np.array([lb for _, lb in shipped] + [lb for _, lb in decisions], dtype=np.int64)
    if np.unique(y).shape[0] < 2:
        raise ActionError(
            "The training data of this head has a single class; add the shipped training files (--data)."
        )
    sample_weight = np.r_[np.ones(len(shipped)), np.full(len(decisions), DECISION_WEIGHT)]
    x = T.featurize_all(texts, base.valence)
    # Fit on the columns the data uses: an L2-regularised weight of a feature that never occurs
    # is exactly 0, and lbfgs over ~0.8 M columns costs seconds per run even on a few rows.
    used = np.unique(x.indices)
    coef, intercept = T._fit(x[:, used], y, c, sample_weight)
    full = np.zeros((coef.shape[0], x.shape[1]), dtype=np.float64)
    full[:, used] = coef
    return full, intercept


def _refit(
    base: M.Weights,
    data_dir: Path,
    tasks: Sequence[str],
    decisions: dict[str, _Split],
    out: Printer,
) -> M.Weights:
    weights = M.Weights(
        sparse=base.sparse.copy(),
        dense=base.dense.copy(),
        bias=base.bias.copy(),
        valence=base.valence,
        meta={**base.meta, "retrained": list(tasks)},
    )
    for task in tasks:
        started = time.perf_counter()
        if task == Task.ABUSE:
            tox = _rows(data_dir, ABUSE_POSITIVE_FILES, "train")
            clean = _rows(data_dir, ABUSE_CLEAN_FILES, "train", ABUSE_CLEAN_MAX)
            shipped = [(t, int(lb == "toxic")) for t, lb in tox] + [(t, 0) for t, _ in clean]
            mine = [(t, int(lb == "abuse")) for t, lb in decisions[task].train]
            coef, icpt = _fit_head(base, shipped, mine, T.C_ABUSE)
        elif task == Task.SPAM:
            spam = _rows(data_dir, SPAM_FILES, "train")
            other = _rows(data_dir, SPAM_CLEAN_FILES, "train")
            # Same negatives as train.py: its generator first shuffles the Davidson rows.
            rng = random.Random(T.SEED)
            rng.shuffle(list(range(len(_rows(data_dir, ("toxicity_en_davidson",), "train")))))
            rng.shuffle(other)
            shipped = [(t, int(lb == "spam")) for t, lb in spam] + [
                (t, 0) for t, _ in other[:SPAM_CLEAN_MAX]
            ]
            mine = [(t, int(lb == "spam")) for t, lb in decisions[task].train]
            coef, icpt = _fit_head(base, shipped, mine, T.C_SPAM)
        else:
            rows = _rows(data_dir, SENTIMENT_FILES, "train", SENTIMENT_MAX)
            shipped = [(t, M.SENTIMENTS.index(lb)) for t, lb in rows]
            mine = [(t, M.SENTIMENTS.index(lb)) for t, lb in decisions[task].train]
            coef, icpt = _fit_head(base, shipped, mine, T.C_SENTIMENT)
        _put(weights, task, coef, icpt)
        out(
            f"{task}: refitted on {len(shipped):,} shipped rows + {len(mine)} decisions "
            f"(x{DECISION_WEIGHT:g}) in {time.perf_counter() - started:.1f} s"
        )
    return weights


# -- evaluation ---------------------------------------------------------------------------------
@dataclass
class _EvalSet:
    decisions: dict[str, _Split]
    shipped: dict[str, list[tuple[str, str]]]  # task -> (text, label in the decision vocabulary)
    criticism: list[str]


def _eval_set(data_dir: Path, decisions: dict[str, _Split]) -> _EvalSet:
    shipped: dict[str, list[tuple[str, str]]] = {
        Task.ABUSE: [
            (t, _SHIPPED_LABEL[lb])
            for t, lb in _rows(data_dir, ABUSE_POSITIVE_FILES, "test")
            if lb in _SHIPPED_LABEL
        ],
        Task.SPAM: [(t, lb) for t, lb in _rows(data_dir, SPAM_FILES, "test")],
        Task.SENTIMENT: [
            (t, lb) for t, lb in _rows(data_dir, SENTIMENT_FILES, "test", SENTIMENT_MAX)
        ],
    }
    criticism: list[str] = []
    for ds in D.DATASETS:
        if ds.criticism and (data_dir / ds.file).is_file():
            criticism += [
                r["text"]
                for r in D.load(data_dir, ds, "all")
                if r["label"] in ("negative", "complaint")
            ]
    return _EvalSet(decisions, shipped, criticism)


def _macro_f1(truth: list[str], pred: list[str]) -> float:
    labels = sorted(set(truth))
    return round(float(f1_scores(truth, pred, labels)["f1"]), 4)


def measure(
    weights: M.Weights, ev: _EvalSet, *, abuse_threshold: float, spam_threshold: float
) -> dict[str, dict[str, Any]]:
    """Metrics of `weights` per task: macro-F1 on the held-out decisions and on the shipped test
    split, and for abuse the criticism false-positive rate. One analysis call."""
    engine = engine_for_weights(
        weights, abuse_threshold=abuse_threshold, spam_threshold=spam_threshold
    )
    parts: list[tuple[Task, str, list[tuple[str, str]]]] = []
    for task in EVALUATED:
        parts.append((task, "decisions", ev.decisions[task].test))
        if task in ev.shipped:
            parts.append((task, "shipped", ev.shipped[task]))
    texts = [t for _, _, rows in parts for t, _ in rows] + ev.criticism
    res = engine.analyze(texts)
    predicted = {
        Task.ABUSE: ["abuse" if s >= abuse_threshold else "not_abuse" for s in res.abuse_score],
        Task.SPAM: ["spam" if s >= spam_threshold else "not_spam" for s in res.spam_score],
        Task.SENTIMENT: res.sentiment,
        Task.INTENT: res.intent,
    }
    metrics: dict[str, dict[str, Any]] = {}
    start = 0
    for task, name, rows in parts:
        pred = predicted[task][start : start + len(rows)]
        start += len(rows)
        if rows:
            m = metrics.setdefault(task, {})
            m[f"{name}_f1"] = _macro_f1([lb for _, lb in rows], pred)
            m[f"{name}_n"] = len(rows)
    if ev.criticism:
        flagged = sum(s >= abuse_threshold for s in res.abuse_score[start:])
        m = metrics.setdefault(Task.ABUSE, {})
        m["criticism_fpr"] = round(flagged / len(ev.criticism), 4)
        m["criticism_n"] = len(ev.criticism)
    return metrics


def activation_verdict(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], tasks: Sequence[str]
) -> list[str]:
    """The metrics that got worse; the new model is activated only when this list is empty.

    Rule, for every task measured on both models:
    - macro-F1 on the workspace's held-out decisions does not drop (at all);
    - macro-F1 on the shipped test split does not drop by more than ``MAX_SHIPPED_DROP``;
    - for abuse, the criticism false-positive rate does not rise by more than ``MAX_CRITICISM_FPR_RISE``;
    and at least one refitted task has held-out decisions to judge it on.
    """
    worse: list[str] = []
    for task in EVALUATED:
        b, a = before.get(task, {}), after.get(task, {})
        if (
            "decisions_f1" in b
            and "decisions_f1" in a
            and a["decisions_f1"] < b["decisions_f1"] - EPSILON
        ):
            worse.append(
                f"{task} macro-F1 on held-out decisions dropped from {b['decisions_f1']:.3f} to {a['decisions_f1']:.3f}"
            )
        if (
            "shipped_f1" in b
            and "shipped_f1" in a
            and a["shipped_f1"] < b["shipped_f1"] - MAX_SHIPPED_DROP - EPSILON
        ):
            worse.append(
                f"{task} macro-F1 on the shipped test split dropped from {b['shipped_f1']:.3f} to {a['shipped_f1']:.3f} "
                f"(more than {MAX_SHIPPED_DROP})"
            )
        if (
            "criticism_fpr" in b
            and "criticism_fpr" in a
            and a["criticism_fpr"] > b["criticism_fpr"] + MAX_CRITICISM_FPR_RISE + EPSILON
        ):
            worse.append(
                f"criticism false-positive rate rose from {b['criticism_fpr']:.2%} to {a['criticism_fpr']:.2%} "
                f"(more than {MAX_CRITICISM_FPR_RISE:.1%})"
            )
    if not any(after.get(t, {}).get("decisions_n") for t in tasks):
        worse.append("no held-out decision of a refitted task to judge the new model on")
    return worse


# -- the action ---------------------------------------------------------------------------------
def _check_data_dir(data_dir: Path | None) -> Path:
    if data_dir is None or not Path(data_dir).is_dir():
        raise ActionError(
            f"Training data directory {data_dir} does not exist: set HEARTH_TRAINING_DATA or pass --data "
            "with the folder of labelled CSV files (for example ../shared/data)."
        )
    data_dir = Path(data_dir)
    if not _present(data_dir, ABUSE_POSITIVE_FILES + ABUSE_CLEAN_FILES + SPAM_CLEAN_FILES):
        raise ActionError(
            f"Training data directory {data_dir} holds none of the training files "
            f"(such as {_dataset(ABUSE_POSITIVE_FILES[0]).file}): set HEARTH_TRAINING_DATA or pass --data."
        )
    return data_dir


def _check_files(data_dir: Path, tasks: Sequence[str]) -> None:
    needed: dict[str, tuple[str, ...]] = {
        Task.ABUSE: ABUSE_POSITIVE_FILES,
        Task.SPAM: SPAM_FILES,
        Task.SENTIMENT: SENTIMENT_FILES,
    }
    for task in tasks:
        if not _present(data_dir, needed[task]):
            files = ", ".join(_dataset(p).file for p in needed[task])
            raise ActionError(
                f"Cannot refit {task}: {data_dir} holds none of {files}; set HEARTH_TRAINING_DATA or pass --data."
            )


def retrain_workspace(
    workspace: Workspace, *, data_dir: Path | None, by: Actor, out: Printer = print
) -> RetrainReport:
    """Refit the workspace's heads on the shipped data plus its decisions; activate if not worse.

    Preconditions: at least ``MIN_DECISIONS`` decisions for abuse, spam or sentiment (otherwise
    nothing changes and the report says so) and the shipped training files in `data_dir`.
    Side effects: a weights file ``HEARTH_DATA_DIR/models/<slug>/v<N>.npz``, a WorkspaceModel row
    (active or not), the previous model deactivated when the new one wins, an audit entry.
    """
    from django.conf import settings
    from django.db import transaction

    started = time.perf_counter()
    data_dir = _check_data_dir(data_dir)
    decisions = _decisions(workspace)
    counts = {task: len(s.train) + len(s.test) for task, s in decisions.items()}
    tasks = [t for t in RETRAINABLE if counts[t] >= MIN_DECISIONS]
    previous = WorkspaceModel.objects.filter(workspace=workspace, is_active=True).first()
    report = RetrainReport(
        workspace=workspace.slug,
        activated=False,
        message="",
        decisions=counts,
        tasks=list(tasks),
        previous_version=previous.version if previous else None,
        active_version=previous.version if previous else None,
    )
    if not tasks:
        have = ", ".join(f"{t} {counts[t]}" for t in RETRAINABLE)
        report.message = (
            f"Not enough decisions to retrain: each of abuse, spam or sentiment needs at least {MIN_DECISIONS} "
            f"(this workspace has {have}). Nothing changed."
        )
        report.seconds = time.perf_counter() - started
        return report
    _check_files(data_dir, tasks)
    _, _, abuse_t, spam_t, _ = workspace_config(workspace.pk)
    shipped = M.Weights.load(M.WEIGHTS_DIR / M.WEIGHTS_FILE)
    current = shipped if previous is None else _load_or_shipped(previous, shipped, out)
    new = _refit(shipped, data_dir, tasks, decisions, out)

    model_dir = Path(settings.HEARTH_DATA_DIR) / "models" / workspace.slug
    tmp = model_dir / f".tmp-{uuid.uuid4().hex}.npz"
    new.save(tmp)
    try:
        new = M.Weights.load(tmp)  # judge the quantised weights the pipeline will use
        ev = _eval_set(data_dir, decisions)
        report.before = measure(current, ev, abuse_threshold=abuse_t, spam_threshold=spam_t)
        report.after = measure(new, ev, abuse_threshold=abuse_t, spam_threshold=spam_t)
        report.reasons = activation_verdict(report.before, report.after, tasks)
        with transaction.atomic():
            Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
            still_active = WorkspaceModel.objects.filter(
                workspace=workspace, is_active=True
            ).first()
            if (still_active.pk if still_active else None) != (previous.pk if previous else None):
                report.reasons.append(
                    "another retrain activated a model meanwhile; run the retrain again"
                )
            last = WorkspaceModel.objects.filter(workspace=workspace).order_by("-version").first()
            version = (last.version if last else 0) + 1
            final = model_dir / f"v{version}.npz"
            tmp.replace(final)
            activate = not report.reasons
            if activate and still_active is not None:
                WorkspaceModel.objects.filter(pk=still_active.pk).update(is_active=False)
            verdict = _verdict_text(activate, version, report)
            row = WorkspaceModel.objects.create(
                workspace=workspace,
                version=version,
                weights_path=str(final.relative_to(Path(settings.HEARTH_DATA_DIR))),
                tasks=list(tasks),
                decisions=counts,
                metrics_before=report.before,
                metrics_after=report.after,
                is_active=activate,
                verdict=verdict,
                created_by=by.user,
            )
            audit.record(
                "analysis.retrain",
                by=by,
                workspace=workspace,
                target=row,
                data={
                    "version": version,
                    "activated": activate,
                    "tasks": list(tasks),
                    "decisions": counts,
                    "previous_version": report.previous_version,
                    "reasons": report.reasons,
                },
            )
    finally:
        tmp.unlink(missing_ok=True)
    report.version = version
    report.activated = activate
    report.active_version = version if activate else report.previous_version
    report.message = verdict
    report.seconds = time.perf_counter() - started
    return report


def _verdict_text(activate: bool, version: int, report: RetrainReport) -> str:
    old = f"v{report.previous_version}" if report.previous_version else "the shipped model"
    if activate:
        return f"Model v{version} is active: no metric got worse than with {old}."
    return (
        f"Model v{version} was not activated; {old} stays active because "
        + "; ".join(report.reasons)
        + "."
    )


def _load_or_shipped(row: WorkspaceModel, shipped: M.Weights, out: Printer) -> M.Weights:
    try:
        return M.Weights.load(row.weights_file)
    except (OSError, ValueError, KeyError):
        out(
            f"The weights of the active model v{row.version} are unreadable ({row.weights_path}); comparing with the shipped model."
        )
        return shipped


def decision_counts(workspace: Workspace) -> dict[str, dict[str, int]]:
    """{task: {label: count, ..., "overturned": count}} of the workspace's decisions."""
    out: dict[str, dict[str, int]] = {task: {} for task in TASK_LABELS}
    qs = LabelDecision.objects.filter(workspace=workspace)
    for row in qs.values("task", "decided").annotate(n=Count("id")).order_by("task", "decided"):
        out[row["task"]][row["decided"]] = row["n"]
    overturned = (
        qs.exclude(predicted="")
        .exclude(predicted=F("decided"))
        .values("task")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_task = {row["task"]: row["n"] for row in overturned}
    for task in out:
        out[task]["overturned"] = by_task.get(task, 0)
    return out
