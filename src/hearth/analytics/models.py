"""Analytics data: daily roll-ups (what every KPI reads), conversions and SMART objectives.

The roll-up tables are derived: `hearth.analytics.rollups` recomputes a day from the source tables
(absolute writes, safe to run twice), so a row is never incremented by two writers. Days are the
workspace's local days (its business-hours time zone), daylight-saving days included (23 or 25
hours).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.channels.models import Channel
from hearth.core.models import Workspace


class ChannelDay(models.Model):
    """One channel's figures for one local day."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    messages_in = models.PositiveIntegerField(default=0)  # the community's messages
    messages_out = models.PositiveIntegerField(default=0)  # the brand's messages
    positive = models.PositiveIntegerField(default=0)  # of messages_in
    neutral = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    # Of messages_in, those analysis gave no label (counted as neutral above; reports leave them
    # out of their sentiment shares).
    unlabelled = models.PositiveIntegerField(default=0)
    active_members = models.PositiveIntegerField(default=0)  # distinct writers that day
    first_responses = models.PositiveIntegerField(default=0)  # given that day
    first_response_s = models.FloatField(default=0.0)  # their sum, 24/7
    first_response_business_s = models.FloatField(default=0.0)
    resolutions = models.PositiveIntegerField(default=0)  # threads closed that day
    resolution_s = models.FloatField(default=0.0)
    resolution_business_s = models.FloatField(default=0.0)
    replies_written = models.PositiveIntegerField(default=0)  # sent from Hearth by teammates
    conversations = models.PositiveIntegerField(default=0)  # inbox threads started that day
    posts = models.PositiveIntegerField(default=0)  # variants published that day
    interactions = models.PositiveIntegerField(default=0)  # likes + comments + shares, last read
    post_reach = models.PositiveIntegerField(default=0)  # of the posts that report reach
    reached_interactions = models.PositiveIntegerField(default=0)  # interactions of those posts
    criticism_removed = models.PositiveIntegerField(default=0)
    # Tracked links (publishing's short links) of the posts published on this channel: their
    # clicks and the conversions that came through them (see rollups._links_and_conversions).
    link_clicks = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)
    conversion_value = models.FloatField(default=0.0)
    # The channel's own figures, read from its connector once a day (None: not given).
    followers = models.PositiveIntegerField(null=True, blank=True)
    reach = models.PositiveIntegerField(null=True, blank=True)
    impressions = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "day"], name="channel_day_unique")
        ]
        indexes = [models.Index(fields=["workspace", "day"], name="channel_day_ws")]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.day}"


class CampaignDay(models.Model):
    """A campaign's figures for one local day; campaign "" holds what belongs to none."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    campaign = models.CharField(max_length=80, blank=True)
    day = models.DateField()
    posts = models.PositiveIntegerField(default=0)
    interactions = models.PositiveIntegerField(default=0)
    post_reach = models.PositiveIntegerField(default=0)
    reached_interactions = models.PositiveIntegerField(default=0)
    messages_in = models.PositiveIntegerField(default=0)  # replies under the campaign's posts
    link_clicks = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)
    conversion_value = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "campaign", "day"], name="campaign_day_unique"
            )
        ]
        indexes = [models.Index(fields=["workspace", "day"], name="campaign_day_ws")]

    def __str__(self) -> str:
        return f"{self.campaign or '-'} {self.day}"


class MemberDay(models.Model):
    """A member (author) who wrote on a channel on a local day: distinct counts over a range.

    `prev_day` is the member's previous day of writing on that channel (None: the first). A
    member wrote in [a, b] exactly once "for the first time since before a": on the first of
    its days inside, whose `prev_day` is before a. So the distinct writers of [a, b] are a
    count of rows, no DISTINCT (see `kpis.distinct_members`).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel_id = models.BigIntegerField()
    day = models.DateField()
    author_id = models.BigIntegerField()
    prev_day = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "day", "author_id"], name="member_day_ws"),
            # Covering: the writers of [a, b] whose previous day is in [month start, a).
            models.Index(
                fields=["workspace", "prev_day", "day", "channel_id"], name="member_day_prev"
            ),
            # A member's days in order (to link each day to the previous one).
            models.Index(
                fields=["workspace", "channel_id", "author_id", "day"], name="member_day_author"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_id} {self.day}"


class MemberGap(models.Model):
    """How many members wrote on a channel on a day whose previous day of writing falls in the
    month `since` (0001-01-01: never before). Summing the rows of [a, b] whose `since` is before
    a's month counts, without a scan, most of the distinct writers of [a, b]."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel_id = models.BigIntegerField()
    day = models.DateField()
    since = models.DateField()
    writers = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # Covering: a range sum reads the index alone.
            models.Index(
                fields=["workspace", "day", "since", "channel_id", "writers"], name="member_gap_ws"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.day} since {self.since}: {self.writers}"


class ResponseMeasure(models.IntegerChoices):
    FIRST = 0, _("first response, 24/7")
    FIRST_BUSINESS = 1, _("first response, business hours")
    RESOLUTION = 2, _("resolution, 24/7")
    RESOLUTION_BUSINESS = 3, _("resolution, business hours")


class ResponseBucket(models.Model):
    """How many first responses (or resolutions) of a channel on a local day took a duration in
    one step of `rollups.duration_bucket` (1 minute under 2 hours, 10 minutes under 2 days, 1
    hour beyond), and the exact sum of those durations: counts and means over a range are exact,
    a median or a percentile is the mean of the durations of the step it falls in."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel_id = models.BigIntegerField()
    day = models.DateField()
    measure = models.PositiveSmallIntegerField(choices=ResponseMeasure.choices)
    bucket = models.PositiveIntegerField()
    count = models.PositiveIntegerField(default=0)
    total_s = models.FloatField(default=0.0)

    class Meta:
        indexes = [
            # Covering: a range's histogram reads the index alone.
            models.Index(
                fields=["workspace", "day", "measure", "channel_id", "bucket", "count", "total_s"],
                name="response_bucket_ws",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.day} {self.measure}/{self.bucket}: {self.count}"


class HourCell(models.Model):
    """Activity of one channel in one local hour of one day (the heatmaps sum them)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel_id = models.BigIntegerField()
    day = models.DateField()
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday, of `day`
    hour = models.PositiveSmallIntegerField()  # 0–23, local
    messages_in = models.PositiveIntegerField(default=0)
    posts = models.PositiveIntegerField(default=0)
    interactions = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # Covering: a year's heatmap sums the index alone (no row look-ups).
            models.Index(
                fields=[
                    "workspace",
                    "day",
                    "channel_id",
                    "weekday",
                    "hour",
                    "messages_in",
                    "posts",
                    "interactions",
                ],
                name="hour_cell_ws_cover",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.hour}h"


class TeammateDay(models.Model):
    """Replies a teammate wrote from Hearth on a local day (time spent in dialogue)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel_id = models.BigIntegerField()
    replies = models.PositiveIntegerField(default=0)
    characters = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["workspace", "day"], name="teammate_day_ws")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}: {self.replies}"


class ConversionSource(models.TextChoices):
    ENDPOINT = "endpoint", _("signed endpoint")
    PIXEL = "pixel", _("pixel")


class Conversion(models.Model):
    """A goal reached on the brand's site (a sign-up, a sale), posted back to Hearth."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    goal = models.CharField(max_length=60)
    value = models.FloatField(default=0.0)
    occurred_at = models.DateTimeField()
    campaign = models.CharField(max_length=80, blank=True)
    link_code = models.CharField(max_length=16, blank=True)  # the short link it came through
    source = models.CharField(max_length=8, choices=ConversionSource.choices)
    external_id = models.CharField(
        max_length=100, blank=True
    )  # the site's id: sent twice, kept once
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~models.Q(external_id=""),
                name="conversion_unique_external",
            )
        ]
        indexes = [models.Index(fields=["workspace", "occurred_at"], name="conversion_ws_time")]

    def __str__(self) -> str:
        return f"{self.goal} {self.occurred_at:%Y-%m-%d}"


class AnalyticsSettings(models.Model):
    """The workspace's conversion key (public, in the URL) and signing secret (encrypted)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    conversion_key = models.CharField(max_length=43, unique=True)
    conversion_secret_encrypted = models.TextField()

    def __str__(self) -> str:
        return f"analytics settings of {self.workspace_id}"


class Direction(models.TextChoices):
    INCREASE = "increase", _("increase")
    DECREASE = "decrease", _("decrease")


class ObjectiveStatus(models.TextChoices):
    PENDING = "pending", _("not started")
    ON_TRACK = "on_track", _("on track")
    OFF_COURSE = "off_course", _("off course")
    ACHIEVED = "achieved", _("achieved")
    MISSED = "missed", _("missed")


class Objective(models.Model):
    """A SMART objective: Specific (the statement), Measurable (a KPI, its scope and a target),
    Achievable (the baseline it starts from), Relevant (the business goal), Time-bound (dates)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="objectives")
    name = models.CharField(max_length=120)
    specific = models.TextField()
    kpi = models.CharField(max_length=40)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.CharField(max_length=80, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    baseline = models.FloatField(null=True, blank=True)
    target = models.FloatField()
    business_goal = models.TextField()
    achievable_note = models.TextField(blank=True)
    start = models.DateField()
    deadline = models.DateField()
    tolerance = models.FloatField(default=0.1)  # share of the distance to the target
    status = models.CharField(
        max_length=10, choices=ObjectiveStatus.choices, default=ObjectiveStatus.PENDING
    )
    current = models.FloatField(null=True, blank=True)
    forecast = models.FloatField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["workspace", "deadline"], name="objective_ws_deadline")]

    def __str__(self) -> str:
        return self.name


class StaleDay(models.Model):
    """A local day whose roll-ups no longer match their sources: a message of that day was
    removed on the platform after it was rolled up. The durable mark behind the job that
    recomputes it (`rollups.roll_up_stale`, also run by the periodic `analytics-roll-up`)."""

    # db_index=False: the unique constraint leads with the workspace.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "day"], name="stale_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.day} stale"
