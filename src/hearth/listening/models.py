from __future__ import annotations

from django.db import models

from hearth.channels.models import Channel
from hearth.core.models import Workspace


class MinuteCount(models.Model):
    """Messages per minute × channel × sentiment: what charts and the crisis detector read."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    sentiment = models.CharField(max_length=8)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "minute", "sentiment"], name="minute_count_unique")
        ]
        indexes = [models.Index(fields=["workspace", "minute"], name="minute_count_ws_time")]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.sentiment} {self.count}"
