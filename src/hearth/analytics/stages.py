"""Analytics' pipeline stage: a message removed on the platform marks its day's roll-ups stale.

The roll-ups are recomputed from the messages still there (`rollups.roll_up_stale`), after the
removal commits; new messages need nothing here (the periodic roll-up reads them).
"""

from __future__ import annotations

from hearth.analytics.rollups import mark_stale
from hearth.pipeline.batch import Batch
from hearth.pipeline.stages import Stage


class StaleDaysStage(Stage):
    name = "analytics-days"

    def on_remove(self, batch: Batch) -> None:
        mark_stale(batch.workspace_id, [m.created_at for m in batch.removed])
