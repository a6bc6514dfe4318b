"""The engine a workspace uses: its active retrained weights (if any) and its thresholds.

Engines are cached in-process per (workspace, model version, thresholds). A workspace without
an active model shares the shipped weights (same arrays, no copy); a retrained model costs one
dense weight matrix (~38 MB), so at most ``MAX_ENGINES`` retrained engines are kept.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence

from hearth.analysis import model as M
from hearth.analysis.engine import (
    DEFAULT_ABUSE_THRESHOLD,
    DEFAULT_SPAM_THRESHOLD,
    BatchAnalysis,
    Engine,
    get_engine,
)
from hearth.analysis.models import WorkspaceAnalysisSettings, WorkspaceModel

log = logging.getLogger(__name__)
MAX_ENGINES = 8

_engines: OrderedDict[tuple[int, int, str, float, float], Engine] = OrderedDict()
_lock = threading.Lock()


def engine_for_weights(
    weights: M.Weights, *, abuse_threshold: float, spam_threshold: float
) -> Engine:
    """An engine over `weights` whose reasons and spam intent follow the given thresholds."""
    engine = Engine(weights)
    engine.abuse_threshold = abuse_threshold
    engine.spam_threshold = spam_threshold
    return engine


def workspace_config(workspace_id: int) -> tuple[int, str, float, float, str]:
    """(active model version or 0, its weights path or "", abuse threshold, spam threshold,
    the active model's creation time: part of the cache key, so a restored database never
    serves weights cached for another row)."""

    active = (
        WorkspaceModel.objects.filter(workspace_id=workspace_id, is_active=True)
        .values_list("version", "weights_path", "created_at")
        .first()
    )
    thresholds = (
        WorkspaceAnalysisSettings.objects.filter(workspace_id=workspace_id)
        .values_list("abuse_threshold", "spam_threshold")
        .first()
    )
    version, path, created = active or (0, "", None)
    abuse_t, spam_t = thresholds or (DEFAULT_ABUSE_THRESHOLD, DEFAULT_SPAM_THRESHOLD)
    return version, path, abuse_t, spam_t, created.isoformat() if created else ""


def get_workspace_engine(workspace_id: int) -> tuple[Engine, float, float]:
    from django.conf import settings

    version, path, abuse_t, spam_t, stamp = workspace_config(workspace_id)
    key = (workspace_id if version else 0, version, stamp, abuse_t, spam_t)
    with _lock:
        engine = _engines.get(key)
        if engine is not None:
            _engines.move_to_end(key)
            return engine, abuse_t, spam_t
    weights = get_engine().weights
    if version:
        try:
            weights = M.Weights.load(settings.HEARTH_DATA_DIR / path)
        except (OSError, ValueError, KeyError):
            # The data directory lost the file (restored from an old backup?): analysis must go on.
            log.exception(
                "Weights %s of workspace %s are unreadable; using the shipped model.",
                path,
                workspace_id,
            )
            key = (0, 0, "", abuse_t, spam_t)
            weights = get_engine().weights
    engine = engine_for_weights(weights, abuse_threshold=abuse_t, spam_threshold=spam_t)
    with _lock:
        _engines[key] = engine
        _engines.move_to_end(key)
        while len(_engines) > MAX_ENGINES:
            _engines.popitem(last=False)
    return engine, abuse_t, spam_t


def analyze_for_workspace(
    workspace_id: int, texts: Sequence[str], *, history: Sequence[str] | None = None
) -> tuple[BatchAnalysis, float, float]:
    """Analyse a batch with the workspace's active model and return it with the workspace's
    (abuse threshold, spam threshold). One vectorised call; two small queries."""
    engine, abuse_t, spam_t = get_workspace_engine(workspace_id)
    return engine.analyze(texts, history=history), abuse_t, spam_t


def clear_cache() -> None:
    with _lock:
        _engines.clear()
