"""Pipeline stages: how the apps above the pipeline plug into ingestion without being imported by it.

A stage is a class named, in its order, in `settings.HEARTH_PIPELINE_STAGES` (moderation, then
routing, then counting…). For each batch the pipeline calls, inside the batch's transaction:

1. `before_insert(batch)` on every stage, in order: the new messages have their keys and their
   analysis but are not stored; a stage may set their fields (e.g. `needs_review`), which the
   single insert writes.
2. `after_insert(batch)` on every stage, in order: the new messages are stored; a stage writes
   its own rows (queue entries, counters) and may change the batch's threads in memory.
3. `on_edit(batch)` on every stage, in order, when the batch re-delivers messages whose text
   changed: they went through the same analysis as new messages; a stage adjusts what it
   derived from the old text (re-moderation, thread counters, listening counters).
4. `on_refine(batch)` on every stage, in order, in the background job that runs the second
   analysis stage after ingestion (`hearth.pipeline.refine`): `batch.edits` hold stored messages
   whose labels the second stage changed (same text). By default it is `on_edit`; moderation
   overrides it (the queue gains or loses the message; no automatic action is taken).
5. `on_remove(batch)` on every stage, in order, when the platform said the authors of stored
   messages deleted them: `batch.removed` holds them, already marked (`removed_at`) and out of
   their threads' counts (conversations/removal.py); a stage takes them out of what it counted
   (listening counters and mentions, member counters, idea counts, the analytics days). Also
   called when a message arrives after its removal: it is inserted, then removed, in one
   transaction.

A stage that must see another's work lists it in `after`; the system check `hearth.E101`…
refuses a setting whose order breaks that, or that names something that is not a stage.
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar

from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from hearth.pipeline.batch import Batch


class Stage:
    """Base of every pipeline stage: each phase does nothing unless the stage overrides it."""

    name: ClassVar[str] = ""
    after: ClassVar[tuple[str, ...]] = ()  # stages that must run before this one

    def before_insert(self, batch: Batch) -> None:
        """New messages in memory, with keys and analysis: set fields on them (written once)."""

    def after_insert(self, batch: Batch) -> None:
        """New messages stored: write this stage's rows; change `batch.threads` and `touch()` them."""

    def on_edit(self, batch: Batch) -> None:
        """`batch.edits` re-analysed, not yet written: re-decide and adjust what was counted."""

    def on_remove(self, batch: Batch) -> None:
        """`batch.removed` marked removed on the platform: take them out of what was counted."""

    def on_refine(self, batch: Batch) -> None:
        """`batch.edits` relabelled by the second stage (same text), not yet written."""
        self.on_edit(batch)


class StageConfigError(ValueError):
    pass


def _load(paths: Any) -> list[Stage]:
    if not isinstance(paths, list | tuple):
        raise StageConfigError(
            "HEARTH_PIPELINE_STAGES must be a list of dotted paths to Stage classes."
        )
    stages: list[Stage] = []
    names: set[str] = set()
    for path in paths:
        try:
            cls = import_string(path)
        except ImportError as exc:
            raise StageConfigError(
                f"HEARTH_PIPELINE_STAGES: cannot import '{path}' ({exc})."
            ) from None
        if not (isinstance(cls, type) and issubclass(cls, Stage)) or not cls.name:
            raise StageConfigError(
                f"HEARTH_PIPELINE_STAGES: '{path}' is not a named subclass of "
                "hearth.pipeline.stages.Stage."
            )
        if cls.name in names:
            raise StageConfigError(
                f"HEARTH_PIPELINE_STAGES: the stage '{cls.name}' is named twice."
            )
        missing = [need for need in cls.after if need not in names]
        if missing:
            raise StageConfigError(
                f"HEARTH_PIPELINE_STAGES: '{cls.name}' must come after "
                f"{', '.join(repr(m) for m in missing)}; move it below them in the list."
            )
        names.add(cls.name)
        stages.append(cls())
    return stages


@cache
def active_stages() -> tuple[Stage, ...]:
    """The configured stages, in order (loaded once per process)."""
    return tuple(_load(settings.HEARTH_PIPELINE_STAGES))


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "HEARTH_PIPELINE_STAGES":
        active_stages.cache_clear()


@checks.register()
def check_stages(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        _load(getattr(settings, "HEARTH_PIPELINE_STAGES", None))
    except StageConfigError as exc:
        return [checks.Error(str(exc), id="hearth.E101")]
    return []
