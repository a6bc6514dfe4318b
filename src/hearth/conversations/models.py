from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.analysis.reasons import describe
from hearth.channels.models import Channel, OutboxItem
from hearth.core import secrets as vault
from hearth.core.models import Workspace


class MessageKind(models.TextChoices):
    POST = "post", _("post")
    COMMENT = "comment", _("comment")
    REPLY = "reply", _("reply")
    DM = "dm", _("direct message")
    MENTION = "mention", _("mention")
    REVIEW = "review", _("review")


class Author(models.Model):
    """One identity on one platform (a person may have several: see community.Member)."""

    # db_index=False: each of these keys leads a composite index or unique constraint of Meta, which
    # serves its look-ups; a separate one-column index would only slow every ingested row down.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="authors", db_index=False
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="authors", db_index=False
    )
    external_id = models.CharField(max_length=191)
    handle = models.CharField(max_length=191, blank=True)
    display_name = models.CharField(max_length=191, blank=True)
    is_brand = models.BooleanField(default=False)  # the brand's own account on this channel
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    message_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="author_unique_per_channel"
            )
        ]
        # Not (workspace, message_count): every ingested message changes a count, and would move
        # its author's entry in such an index. A handle never changes on ingestion.
        indexes = [models.Index(fields=["workspace", "handle"], name="author_ws_handle")]

    def __str__(self) -> str:
        return self.display_name or self.handle or self.external_id


class ThreadStatus(models.TextChoices):
    OPEN = "open", _("open")
    PENDING = "pending", _("pending")
    CLOSED = "closed", _("closed")
    SPAM = "spam", _("spam")


class Thread(models.Model):
    """A conversation: a root message (post, mention, review, first DM) and everything under it.

    Keyed by the root's external id, so a reply that arrives before its root still lands in the
    right thread once the root shows up.
    """

    # db_index=False: each of these keys leads a composite index or unique constraint of Meta, which
    # serves its look-ups; a separate one-column index would only slow every ingested row down.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="threads", db_index=False
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="threads", db_index=False
    )
    root_external_id = models.CharField(max_length=191)
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=ThreadStatus.choices, default=ThreadStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_threads",
    )
    created_at = models.DateTimeField()
    last_message_at = models.DateTimeField()
    message_count = models.PositiveIntegerField(default=0)
    # The SLA clock: set when a member writes and the brand has not answered yet, cleared by a
    # brand reply. First response is kept for response-time reporting.
    waiting_since = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    negative_count = models.PositiveIntegerField(default=0)
    flagged_count = models.PositiveIntegerField(default=0)
    # Inbox state, kept in step by routing (see docs/inbox.md): what the latest member message
    # says, so every filter of the inbox reads one indexed row per thread, never its messages.
    lang = models.CharField(max_length=8, blank=True)
    last_sentiment = models.CharField(max_length=8, blank=True)
    last_intent = models.CharField(max_length=12, blank=True)
    abuse_count = models.PositiveIntegerField(default=0)
    unanswered_question = models.BooleanField(default=False)
    # priority = score(priority_base (intent, sentiment, author influence) + waiting-time points),
    # 0–999 (conversations/priority.py), stored so that sorting by priority is an index scan;
    # refreshed by routing and a periodic job.
    priority_base = models.PositiveSmallIntegerField(default=0)
    priority = models.PositiveSmallIntegerField(default=0)
    # "app_label.Model": django-stubs cannot resolve a bare "Tag" (typeddjango/django-stubs#1802).
    tags = models.ManyToManyField("conversations.Tag", blank=True, related_name="threads")
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handed_off_at = models.DateTimeField(null=True, blank=True)

    # Not columns: set by the API's thread detail (api.get_thread) for its response.
    notes_list: list[Note]
    outbox_list: list[OutboxItem]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "root_external_id"], name="thread_unique_root"
            )
        ]
        indexes = [
            models.Index(
                fields=["workspace", "status", "-priority", "-last_message_at"],
                name="thread_priority",
            ),
            models.Index(
                fields=[
                    "workspace",
                    "unanswered_question",
                    "status",
                    "-priority",
                    "-last_message_at",
                ],
                name="thread_unanswered",
            ),
            models.Index(
                fields=["workspace", "last_sentiment", "-last_message_at"], name="thread_sentiment"
            ),
            models.Index(
                fields=["workspace", "-priority", "-last_message_at"], name="thread_ws_priority"
            ),
            models.Index(fields=["workspace", "status", "-last_message_at"], name="thread_inbox"),
            models.Index(fields=["workspace", "-last_message_at"], name="thread_ws_recent"),
            # The "Negative in the last 24 h" and "Mine" views, read in the list's order (ascending
            # columns scanned backwards: the row id breaks ties in the same direction, so SQLite
            # stops after one page instead of sorting every match). See docs/architecture.md.
            models.Index(
                fields=["workspace", "status", "last_sentiment", "priority", "last_message_at"],
                name="thread_negative",
            ),
            models.Index(
                fields=["workspace", "assignee", "status", "priority", "last_message_at"],
                name="thread_mine",
            ),
            models.Index(fields=["workspace", "waiting_since"], name="thread_waiting"),
        ]

    def __str__(self) -> str:
        return self.subject or self.root_external_id

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inbox_thread", args=[self.pk])

    # Not columns: set by the inbox list (the priority's parts, the waiting message's labels).
    explained: Any
    last_abuse: bool
    last_author: str
    preview: str  # e-mail threads: the body's first words, under the subject

    @property
    def is_waiting(self) -> bool:
        return self.waiting_since is not None and self.status in (
            ThreadStatus.OPEN,
            ThreadStatus.PENDING,
        )

    @property
    def priority_level(self) -> int:
        """0 (low) to 3 (urgent): the colour of the priority badge (levels of priority.LEVELS)."""
        return (
            3
            if self.priority >= 500
            else 2
            if self.priority >= 400
            else 1
            if self.priority >= 200
            else 0
        )


def present(prefix: str = "") -> models.Q:
    """The messages still there on their platform: not `removed_at`. Every total, count and
    figure reads only these (`prefix` reaches them through a relation: `present("messages__")`);
    the message's own thread, its author's timeline and the GDPR export show the removed ones too,
    labelled."""
    return models.Q(**{f"{prefix}removed_at__isnull": True})


class MessageQuerySet(models.QuerySet["Message"]):
    def present(self) -> MessageQuerySet:
        """Without the messages their author deleted on the platform (see `present`)."""
        return self.filter(present())


class Message(models.Model):
    # db_index=False: each of these keys leads a composite index or unique constraint of Meta, which
    # serves its look-ups; a separate one-column index would only slow every ingested row down.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    author = models.ForeignKey(
        Author, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    external_id = models.CharField(max_length=191)
    kind = models.CharField(max_length=8, choices=MessageKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    parent_external_id = models.CharField(max_length=191, blank=True)
    text = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    ingested_at = models.DateTimeField(default=timezone.now)
    # The platform's time of the version stored (its `updated_at`, else `created_at`): an older
    # delivery, replayed or late, never overwrites the text or the metrics of a newer one.
    source_version = models.DateTimeField(null=True, blank=True)
    # Platform metrics, as last reported.
    likes = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)
    # Analysis (see hearth.analysis): language as declared by the platform or detected.
    lang = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(max_length=8, blank=True)
    sentiment_score = models.FloatField(default=0.0)
    abuse_score = models.FloatField(default=0.0)
    abuse_kind = models.CharField(max_length=16, blank=True)
    intent = models.CharField(max_length=12, blank=True)
    spam_score = models.FloatField(default=0.0)
    is_abuse = models.BooleanField(default=False)  # abuse_score over the workspace threshold
    is_spam = models.BooleanField(default=False)
    # Why the analysis says so, as codes (hearth.analysis.reasons); read it through reason_text.
    analysis_reason = models.CharField(max_length=255, blank=True)
    from_brand = models.BooleanField(default=False)
    needs_review = models.BooleanField(default=False)  # set by moderation, cleared by a moderator
    # When the platform said its author deleted it (or unsent a message): kept for the moderation
    # and audit history, out of the inbox's queues and counts (conversations/removal.py).
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    # Not columns: set by the views that show them.
    platform_actions: list[Any]
    poll_seconds: int | None

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="message_unique_per_channel"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="msg_ws_time"),
            # The brand's own posts of a period (a report's top posts): a few rows, not a scan.
            models.Index(
                fields=["workspace", "created_at"],
                condition=models.Q(from_brand=True, kind="post"),
                name="msg_brand_posts",
            ),
            models.Index(fields=["thread", "created_at"], name="msg_thread_time"),
            models.Index(fields=["channel", "-created_at"], name="msg_channel_time"),
            models.Index(fields=["workspace", "sentiment", "-created_at"], name="msg_ws_sentiment"),
            models.Index(fields=["workspace", "intent", "-created_at"], name="msg_ws_intent"),
            models.Index(fields=["author", "-created_at"], name="msg_author_time"),
            models.Index(fields=["channel", "parent_external_id"], name="msg_parent_ext"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id}"

    @property
    def reason_text(self) -> str:
        """Why the analysis labelled this message, in the active language."""
        return describe(self.analysis_reason)


class Tag(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="tag_unique_per_workspace")
        ]

    def __str__(self) -> str:
        return self.name


class Note(models.Model):
    """An internal note on a thread: seen by teammates only, never sent to the platform."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notes")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in_notes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"], name="note_thread_time")]

    def __str__(self) -> str:
        return self.text[:60]


class SavedReply(models.Model):
    """A canned answer of a workspace; text may use {{author.name}}, {{brand}} and {{agent.name}}."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(max_length=80)
    lang = models.CharField(max_length=8)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["lang", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "lang", "title"], name="saved_reply_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.lang})"


def default_hours() -> dict[str, list[str]]:
    return {str(day): ["09:00", "18:00"] for day in range(5)}  # Monday (0) to Friday


class InboxSettings(models.Model):
    """Per-workspace inbox settings: business hours for response-time accounting, handoff target."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="inbox_settings"
    )
    timezone = models.CharField(max_length=64, default="Europe/Paris")
    # {"0": ["09:00", "18:00"], …}: weekday (Monday = 0) → opening and closing time; absent = closed.
    hours = models.JSONField(default=default_hours)
    handoff_email = models.EmailField(blank=True)
    handoff_webhook = models.URLField(max_length=500, blank=True)
    # Signs the handoff webhook's body (X-Hearth-Signature), so customer service can trust it.
    handoff_secret_encrypted = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"inbox settings of {self.workspace}"

    @property
    def handoff_secret(self) -> str:
        return vault.decrypt(self.handoff_secret_encrypted) if self.handoff_secret_encrypted else ""


class PresenceMode(models.TextChoices):
    VIEWING = "viewing", _("viewing")
    REPLYING = "replying", _("replying")


class Presence(models.Model):
    """Who has a thread open right now (refreshed by the conversation view's polling)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(
        max_length=8, choices=PresenceMode.choices, default=PresenceMode.VIEWING
    )
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="presence_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.mode} {self.thread_id}"


class PersonalView(models.Model):
    """A person's own saved inbox view: a name and the filters' query string (`InboxFilters`)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_views"
    )
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user", "name"], name="personal_view_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RemovalTombstone(models.Model):
    """A removal the platform sent before the message it removes (webhooks arrive out of order).

    Kept so that the message, when it arrives, is stored already marked removed; taken when it
    does, and purged after `conversations.removal.TOMBSTONE_DAYS` by the periodic job
    `conversations-purge-tombstones` (a message that never comes leaves nothing behind)."""

    # db_index=False: the unique constraint leads with the channel.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    external_id = models.CharField(max_length=191)
    removed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="removal_tombstone_unique"
            )
        ]
        indexes = [models.Index(fields=["removed_at"], name="removal_tombstone_age")]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.external_id} removed"
