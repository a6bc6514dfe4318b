from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.channels.models import Channel
from hearth.conversations.models import Message
from hearth.core.models import Workspace


class MinuteCount(models.Model):
    """Messages per minute × channel × sentiment: what charts and the crisis detector read."""

    # db_index=False: minute_count_ws_time and minute_count_unique lead with these keys already.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    minute = models.DateTimeField()
    sentiment = models.CharField(max_length=8)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "minute", "sentiment"], name="minute_count_unique"
            )
        ]
        indexes = [models.Index(fields=["workspace", "minute"], name="minute_count_ws_time")]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.sentiment} {self.count}"


class QueryCategory(models.TextChoices):
    BRAND = "brand", _("brand")
    PRODUCT = "product", _("product")
    COMPETITOR = "competitor", _("competitor")
    TOPIC = "topic", _("topic")


class Sensitivity(models.TextChoices):
    LOW = "low", _("low (fewer alerts)")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high (earlier alerts)")


class ListeningSettings(models.Model):
    """A workspace's crisis-detection and alerting preferences (created on first use)."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="listening_settings"
    )
    sensitivity = models.CharField(
        max_length=8, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )

    def __str__(self) -> str:
        return f"{self.workspace}: {self.sensitivity}"


class ListeningQuery(models.Model):
    """A saved query: what the workspace listens for (its brand, a product, a competitor, a topic)."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="listening_queries"
    )
    name = models.CharField(max_length=80)
    category = models.CharField(
        max_length=12, choices=QueryCategory.choices, default=QueryCategory.TOPIC
    )
    expression = models.TextField()
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    last_24h: int  # not a column: the home page's count of mentions in the last 24 hours

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="listening_query_name")
        ]

    def __str__(self) -> str:
        return self.name


class Mention(models.Model):
    """One message matched by one query (denormalised for the lists, top authors and exports)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    query = models.ForeignKey(ListeningQuery, on_delete=models.CASCADE, related_name="mentions")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    sentiment = models.CharField(max_length=8)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["query", "message"], name="mention_unique")]
        indexes = [
            models.Index(fields=["query", "-created_at"], name="mention_query_time"),
            models.Index(fields=["workspace", "-created_at"], name="mention_ws_time"),
        ]

    def __str__(self) -> str:
        return f"{self.query_id}:{self.message_id}"


class BucketCount(models.Model):
    """Mentions of one query on one channel in one time bucket, one column per sentiment.

    Three sentiments as columns rather than rows: a third of the rows, one read per bucket.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    query = models.ForeignKey(ListeningQuery, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    bucket = models.DateTimeField()
    positive = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.query_id}/{self.channel_id} {self.bucket:%Y-%m-%d %H:%M} {self.total}"

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative


class QueryMinute(BucketCount):
    # Set by the counting hook on every increment, cleared by the roll-up that has read the row.
    dirty = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["query", "channel", "bucket"], name="query_minute_unique"
            )
        ]
        indexes = [
            models.Index(fields=["query", "bucket"], name="query_minute_time"),
            models.Index(
                fields=["dirty"], name="query_minute_dirty", condition=models.Q(dirty=True)
            ),
        ]


class QueryHour(BucketCount):
    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["query", "channel", "bucket"], name="query_hour_unique")
        ]
        indexes = [models.Index(fields=["workspace", "bucket"], name="query_hour_ws_time")]


class QueryDay(BucketCount):
    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["query", "channel", "bucket"], name="query_day_unique")
        ]
        indexes = [models.Index(fields=["workspace", "bucket"], name="query_day_ws_time")]


class DetectorState(models.Model):
    """The online crisis detector's memory for one query (see hearth.listening.detector)."""

    query = models.OneToOneField(
        ListeningQuery, on_delete=models.CASCADE, related_name="detector_state"
    )
    last_minute = models.DateTimeField(null=True, blank=True)  # the last minute fed to the detector
    state = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"detector of {self.query_id}"


class CrisisStatus(models.TextChoices):
    OPEN = "open", _("open")
    COMMUNICATING = "communicating", _("communicating")
    RESOLVED = "resolved", _("resolved")


class CrisisRoom(models.Model):
    """Opened by the detector on an anomaly; where the team follows and answers the spike."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="crisis_rooms")
    query = models.ForeignKey(ListeningQuery, on_delete=models.CASCADE, related_name="crisis_rooms")
    kind = models.CharField(max_length=16)  # volume | negative_share (what fired first)
    status = models.CharField(
        max_length=16, choices=CrisisStatus.choices, default=CrisisStatus.OPEN
    )
    onset_at = models.DateTimeField()  # where the detector estimates the spike began
    detected_at = models.DateTimeField()  # the minute (data time) the alarm fired
    opened_at = models.DateTimeField(default=timezone.now)
    last_alarm_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    observed = models.FloatField(default=0)  # mentions per minute when it fired
    expected = models.FloatField(default=0)  # the seasonal baseline at that moment
    negative_share = models.FloatField(default=0)
    checklist = models.JSONField(default=dict, blank=True)  # item key → done

    class Meta:
        ordering = ["-detected_at"]
        indexes = [models.Index(fields=["workspace", "status"], name="crisis_ws_status")]

    def __str__(self) -> str:
        return f"{self.query} {self.detected_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status != CrisisStatus.RESOLVED
