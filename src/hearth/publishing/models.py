"""Posts, their per-channel variants, approvals and the workspace's publishing settings.

A post's life (`PostState`):

    draft ──submit──▶ in_review ──approve (every step)──▶ approved ──schedule──▶ scheduled
      ▲                  │ request changes                                         │ due
      └──────────────────┘                                                         ▼
                                  published ◀── publishing ──▶ failed | unconfirmed | held

With no approval workflow a draft is approved by scheduling it. Publishing sends one outbox
item ("post") per variant through the one way out (hearth/channels/outbox.py); the post's state
follows its variants': published when all are, failed / unconfirmed / held when one is. A post
is held — with a reason a person can read — when its channel needs re-authorisation, when it
missed its slot while Hearth was stopped, or when the workspace's publishing is paused.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core import signing
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.channels.models import Channel, OutboxItem
from hearth.core.models import User, Workspace


class PostState(models.TextChoices):
    DRAFT = "draft", _("draft")
    IN_REVIEW = "in_review", _("in review")
    APPROVED = "approved", _("approved")
    SCHEDULED = "scheduled", _("scheduled")
    PUBLISHING = "publishing", _("publishing")
    PUBLISHED = "published", _("published")
    FAILED = "failed", _("failed")
    # The platform may or may not have it (a timeout, a worker that died mid-send): a person
    # checks the account, then confirms it or sends it again. Never sent again blindly.
    UNCONFIRMED = "unconfirmed", _("unconfirmed")
    HELD = "held", _("held")


# States in which the post's content may still change (and the calendar may move it).
EDITABLE = (PostState.DRAFT, PostState.IN_REVIEW, PostState.APPROVED, PostState.SCHEDULED)
# States the calendar shows as planned, and that the crisis brake holds.
PLANNED = (PostState.SCHEDULED,)
# Once a post is handed to the outbox, its variants carry the outcome.
OUT = (
    PostState.PUBLISHING,
    PostState.PUBLISHED,
    PostState.FAILED,
    PostState.UNCONFIRMED,
)


class ContentClass(models.TextChoices):
    """What a post brings to the audience; the calendar warns when promotion takes over."""

    VALUE = "value", _("value (useful, informative)")
    ENGAGEMENT = "engagement", _("engagement (conversation, community)")
    PROMOTION = "promotion", _("promotion (offer, product)")


class HoldReason(models.TextChoices):
    PAUSED = "paused", _("publishing is paused for the workspace")
    REAUTH = "reauth", _("the channel needs re-authorisation")
    MISSED = "missed", _("it missed its time while Hearth was stopped")
    CHANNEL = "channel", _("the channel is paused or removed")


class ApprovalMode(models.TextChoices):
    NONE = "none", _("No approval: a post can be scheduled directly")
    ONE = "one", _("One approval step")
    MULTI = "multi", _("Several steps, in order")


class PublishingSettings(models.Model):
    """One per workspace: the approval workflow, the content mix and the crisis brake."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="publishing_settings"
    )
    approval_mode = models.CharField(
        max_length=8, choices=ApprovalMode.choices, default=ApprovalMode.NONE
    )
    # At most this share of the planned posts may be promotional before the calendar warns
    # (the "1 in 5" rule of thumb of community management).
    max_promotion_share = models.FloatField(default=0.2)
    # The crisis brake: while set, nothing is published and scheduled posts are held.
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_by = models.CharField(max_length=254, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"publishing settings of {self.workspace_id}"

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class ApprovalStep(models.Model):
    """One step of the workspace's approval workflow; its named approvers (none: anyone who may
    approve posts)."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="approval_steps"
    )
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    approvers = models.ManyToManyField(User, blank=True, related_name="approval_steps")
    # A step the client takes, through a review link (no account needed).
    by_client = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "position"], name="approval_step_order")
        ]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    title = models.CharField(max_length=200, blank=True)  # internal: how the team names it
    campaign = models.CharField(max_length=80, blank=True)
    labels = models.JSONField(default=list, blank=True)
    content_class = models.CharField(
        max_length=12, choices=ContentClass.choices, default=ContentClass.VALUE
    )
    state = models.CharField(max_length=12, choices=PostState.choices, default=PostState.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    # The approval step the post waits for (0-based), while in review.
    review_step = models.PositiveSmallIntegerField(default=0)
    hold_reason = models.CharField(max_length=8, choices=HoldReason.choices, blank=True)
    # In plain words, what went wrong and what to do (failed, unconfirmed, held).
    state_detail = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # A member's content re-posted with their permission (and credit).
    share_permission = models.ForeignKey(
        "SharePermission", null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    # The editorial line's theme the post belongs to (the calendar weighs them against targets).
    theme = models.ForeignKey(
        "Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    # Placed by the queue in its channel's next free slot: re-planned when a slot frees up.
    # A person choosing a time takes it out of the queue.
    queued = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["scheduled_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "scheduled_at"], name="post_calendar"),
            models.Index(fields=["state", "scheduled_at"], name="post_due"),
            models.Index(fields=["workspace", "campaign"], name="post_campaign"),
        ]

    def __str__(self) -> str:
        return self.title or f"post {self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE or self.state == PostState.HELD

    @property
    def label_text(self) -> str:
        return ", ".join(str(x) for x in self.labels or [])


class VariantState(models.TextChoices):
    PENDING = "pending", _("not sent yet")
    SENDING = "sending", _("sending")
    PUBLISHED = "published", _("published")
    FAILED = "failed", _("failed")
    UNCONFIRMED = "unconfirmed", _("unconfirmed — check the account")
    HELD = "held", _("held")


class PostVariant(models.Model):
    """The post as it goes out on one channel: its own text, link, media and first comment."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="post_variants")
    text = models.TextField(blank=True)
    link = models.URLField(max_length=500, blank=True)
    # [{"url": …, "alt": …, "type": "image" | "video"}]: references, uploaded by the connector.
    media = models.JSONField(default=list, blank=True)
    first_comment = models.TextField(blank=True)
    state = models.CharField(
        max_length=12, choices=VariantState.choices, default=VariantState.PENDING
    )
    outbox_item = models.ForeignKey(
        OutboxItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.TextField(blank=True)
    external_id = models.CharField(max_length=191, blank=True)
    external_url = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Engagement collection after publishing (hearth/publishing/metrics.py): the next reading's
    # time (None: not started, or finished) and how many readings of the schedule are done.
    metrics_due_at = models.DateTimeField(null=True, blank=True)
    metrics_round = models.PositiveSmallIntegerField(default=0)
    metrics_detail = models.CharField(max_length=300, blank=True)  # why collection stopped

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="one_variant_per_channel")
        ]
        indexes = [
            models.Index(fields=["state", "outbox_item"], name="variant_in_flight"),
            models.Index(fields=["channel", "external_id"], name="variant_external"),
            models.Index(fields=["metrics_due_at"], name="variant_metrics_due"),
        ]

    def __str__(self) -> str:
        return f"{self.post} on {self.channel}"

    @property
    def full_text(self) -> str:
        """What the platform receives: the text, then the link when the text does not hold it."""
        text = self.text.strip()
        if self.link and self.link not in text:
            text = f"{text}\n\n{self.link}" if text else self.link
        return text


class CommentKind(models.TextChoices):
    COMMENT = "comment", _("comment")
    CHANGES = "changes", _("changes requested")
    APPROVE = "approve", _("approved")


class PostComment(models.Model):
    """A comment or a decision on a post, by a teammate or a client (through a review link)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=254)
    review_link = models.ForeignKey(
        "ReviewLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    kind = models.CharField(max_length=8, choices=CommentKind.choices, default=CommentKind.COMMENT)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.author_label}"


class MediaKind(models.TextChoices):
    IMAGE = "image", _("image")
    VIDEO = "video", _("video")


class MediaAsset(models.Model):
    """A file of the workspace's media library, attached to post variants by reference.

    The bytes live under HEARTH_DATA_DIR (`path`, relative to it) and are served only to
    members of the workspace; `content_type` is what Hearth found in the file (never what the
    browser claimed). The alt text describes it for people who cannot see it: a variant with
    media lacking it cannot be scheduled.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media")
    uploaded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200)  # the uploaded file's name, for people
    kind = models.CharField(max_length=5, choices=MediaKind.choices)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=300)
    alt_text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "sha256"], name="one_asset_per_file")
        ]

    def __str__(self) -> str:
        return self.name


class SnippetKind(models.TextChoices):
    HASHTAGS = "hashtags", _("hashtag group")
    TEXT = "text", _("snippet")


class Snippet(models.Model):
    """A saved hashtag group or piece of text the composer inserts into a variant."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="snippets")
    kind = models.CharField(max_length=8, choices=SnippetKind.choices, default=SnippetKind.TEXT)
    name = models.CharField(max_length=80)
    body = models.TextField()
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "kind", "name"], name="snippet_name")
        ]

    def __str__(self) -> str:
        return self.name


class ShortLink(models.Model):
    """Hearth's own short link (`/l/<code>`): a redirect to `target` (the person's address with
    the UTM parameters of its platform and campaign), whose clicks are counted per day."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="short_links")
    code = models.CharField(max_length=16, unique=True)
    url = models.URLField(max_length=2000)  # what the person wrote
    target = models.URLField(max_length=2000)  # with the UTM parameters
    source = models.CharField(max_length=40)  # utm_source: the platform
    campaign = models.CharField(max_length=80, blank=True)
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="short_links"
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "target"], name="short_link_target")]

    def __str__(self) -> str:
        return self.code


class ShortLinkDay(models.Model):
    """Clicks on a short link in one day: a coarse counter, nothing about who clicked."""

    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "day"], name="one_count_per_day")]

    def __str__(self) -> str:
        return f"{self.link_id} on {self.day}: {self.clicks}"


class FeedMode(models.TextChoices):
    DRAFT = "draft", _("a draft to review")
    QUEUE = "queue", _("the queue (the next free time)")


class PostFeed(models.Model):
    """RSS-to-post: each new item of the feed becomes a post (a draft, or queued), once."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="post_feeds")
    name = models.CharField(max_length=80)
    url = models.URLField(max_length=1000)
    mode = models.CharField(max_length=5, choices=FeedMode.choices, default=FeedMode.DRAFT)
    template = models.TextField(default="{title} {link}")
    channels = models.ManyToManyField(Channel, related_name="post_feeds")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)  # what went wrong at the last poll, and what to do
    posts_made = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PostFeedEntry(models.Model):
    """An item of a feed already seen (by its GUID, else its link): never made into a post
    twice, whatever the feed does with its order or dates."""

    feed = models.ForeignKey(PostFeed, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=64)  # sha256 of the GUID or link
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "key"], name="feed_entry_once")]

    def __str__(self) -> str:
        return f"{self.feed_id}:{self.key[:12]}"


TOKEN_SALT = "hearth.publishing.review-link"  # noqa: S105 - a namespace, not a secret


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ReviewLink(models.Model):
    """A link for a client without an account: the planned posts it covers, rendered, to
    approve or comment. Its token is signed with the installation's secret key and carries a
    nonce of which only the hash is stored; the link expires and can be revoked."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="review_links")
    name = models.CharField(max_length=120)  # who it is for: "Client — Marie (Lumio)"
    token_hash = models.CharField(max_length=64, unique=True)
    posts = models.ManyToManyField(Post, related_name="review_links")
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_nonce() -> tuple[str, str]:
        nonce = secrets.token_urlsafe(24)
        return nonce, _hash(nonce)

    def token(self, nonce: str) -> str:
        """The signed token of the link's URL (shown once, when the link is made)."""
        return signing.dumps({"id": self.pk, "n": nonce}, salt=TOKEN_SALT, compress=True)

    @classmethod
    def find(cls, token: str) -> ReviewLink | None:
        """The link of a token, if its signature holds and it is still valid (not expired, not
        revoked); None otherwise, whatever the reason (a client learns nothing more)."""
        try:
            data = signing.loads(token, salt=TOKEN_SALT)
            pk, nonce = int(data["id"]), str(data["n"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return None
        link = (
            cls.objects.select_related("workspace").filter(pk=pk, token_hash=_hash(nonce)).first()
        )
        if link is None or not link.is_valid:
            return None
        return link

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @staticmethod
    def default_expiry() -> timedelta:
        return timedelta(days=14)


class PermissionState(models.TextChoices):
    REQUESTED = "requested", _("asked, waiting for the answer")
    GRANTED = "granted", _("granted")
    REFUSED = "refused", _("refused")


class SharePermission(models.Model):
    """A member's permission to re-post what they wrote (user-generated content), with credit.

    Asked from the inbox (a message sent through the outbox to the member), answered by the
    member in the conversation (read by the periodic job) or recorded by a person; a post made
    from the member's message keeps the permission it was made under (`Post.share_permission`).
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="share_permissions"
    )
    message = models.ForeignKey(
        "conversations.Message", on_delete=models.CASCADE, related_name="share_permissions"
    )
    credit = models.CharField(max_length=191)  # how the member is credited: their handle or name
    state = models.CharField(
        max_length=9, choices=PermissionState.choices, default=PermissionState.REQUESTED
    )
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    request_item = models.ForeignKey(
        OutboxItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)  # the member's words, or who recorded it

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["message"], name="one_permission_per_message")
        ]

    def __str__(self) -> str:
        return f"permission of {self.credit} ({self.state})"


class PublishingSlot(models.Model):
    """A recurring time of the week at which a channel publishes (e.g. Monday 09:30), in the
    workspace's time zone: the queue fills the next free one."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="publishing_slots"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="publishing_slots")
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday
    time = models.TimeField()

    class Meta:
        ordering = ["channel_id", "weekday", "time"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "weekday", "time"], name="one_slot_per_time")
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.weekday} {self.time:%H:%M}"


class NoteKind(models.TextChoices):
    EVENT = "event", _("event")
    LAUNCH = "launch", _("launch")
    HOLIDAY = "holiday", _("holiday")
    NOTE = "note", _("note")


class CalendarNote(models.Model):
    """A note or key date on the calendar: an event, a launch, a holiday; one day or a range."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="calendar_notes"
    )
    title = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=NoteKind.choices, default=NoteKind.NOTE)
    starts_on = models.DateField()
    ends_on = models.DateField()  # the same day for a one-day note
    text = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on", "id"]
        indexes = [models.Index(fields=["workspace", "starts_on"], name="note_calendar")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_range(self) -> bool:
        return self.ends_on != self.starts_on


class Theme(models.Model):
    """A theme of the workspace's editorial line, with the share of posts it should take."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(max_length=60)
    target_share = models.FloatField(default=0.0)  # 0–1; the targets of a workspace sum to ≤ 1

    class Meta:
        ordering = ["-target_share", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="theme_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def target_pct(self) -> int:
        return round(100 * self.target_share)


class PostMetric(models.Model):
    """One reading of a published variant's engagement (a point of its time series). A figure
    the platform does not give is None, not 0."""

    variant = models.ForeignKey(PostVariant, on_delete=models.CASCADE, related_name="metrics")
    collected_at = models.DateTimeField()
    likes = models.PositiveIntegerField(null=True, blank=True)
    comments = models.PositiveIntegerField(null=True, blank=True)
    shares = models.PositiveIntegerField(null=True, blank=True)
    clicks = models.PositiveIntegerField(null=True, blank=True)
    reach = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["variant_id", "collected_at"]
        indexes = [models.Index(fields=["variant", "collected_at"], name="metric_series")]

    def __str__(self) -> str:
        return f"metrics of {self.variant_id} at {self.collected_at}"


class PostThread(models.Model):
    """An inbox thread of replies to a published variant (linked by the pipeline stage)."""

    variant = models.ForeignKey(PostVariant, on_delete=models.CASCADE, related_name="threads")
    thread = models.OneToOneField(
        "conversations.Thread", on_delete=models.CASCADE, related_name="post_link"
    )

    def __str__(self) -> str:
        return f"thread {self.thread_id} replies to {self.variant_id}"
