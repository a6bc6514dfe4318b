"""Moderation data: netiquette versions, rules, the review queue, sanctions, appeals, the log.

Hiding a message, sanctioning a person, deciding an appeal: every such act is a row of
`ModerationEvent` (the public-facing moderation log: who did what to whom, under which article)
and an entry of the core audit log.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.channels.models import Channel
from hearth.community.members import member_for_author
from hearth.conversations.models import Author, Message
from hearth.core.models import Workspace

LANGS = ("fr", "en")


class NetiquetteVersion(models.Model):
    """One published version of a workspace's netiquette, in both languages. Never edited."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="netiquette_versions"
    )
    number = models.PositiveIntegerField()
    body_fr = models.TextField()
    body_en = models.TextField()
    html_fr = models.TextField()  # sanitised at save time: the public page serves it as is
    html_en = models.TextField()
    # {"1": {"fr": "Respect", "en": "Respect"}, …}: the numbered articles that actions cite.
    articles = models.JSONField(default=dict)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "number"], name="netiquette_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"netiquette v{self.number} of {self.workspace_id}"

    def html(self, lang: str) -> str:
        return self.html_fr if lang == "fr" else self.html_en

    def article_title(self, number: str, lang: str = "en") -> str:
        entry = self.articles.get(str(number)) or {}
        return str(entry.get(lang) or entry.get("en") or "")


def default_ladder() -> list[dict[str, object]]:
    return [{"kind": "warning"}, {"kind": "block", "days": 7}, {"kind": "exclusion"}]


class ModerationSettings(models.Model):
    """Per-workspace moderation settings; `rules_version` changes whenever a rule does."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="moderation_settings"
    )
    rules_version = models.PositiveIntegerField(default=0)
    # Changed with every rule change: the compiled-rules cache is keyed by it (a counter alone
    # could repeat after a rolled-back transaction or a re-created workspace).
    rules_token = models.CharField(max_length=32, blank=True)
    # The default policy, applied whether or not rules exist: abuse or spam goes to the queue.
    queue_flagged = models.BooleanField(default=True)
    # The sanctions ladder: step n applies to the person's (n+1)-th violation within the window.
    ladder = models.JSONField(default=default_ladder)
    window_days = models.PositiveIntegerField(default=90)

    def __str__(self) -> str:
        return f"moderation settings of {self.workspace_id}"


class RuleAction(models.TextChoices):
    QUEUE = "queue", _("queue for review")
    HIDE = "hide", _("hide automatically")
    REPLY = "reply", _("reply automatically")
    SANCTION = "sanction", _("propose a sanction")
    ALERT = "alert", _("alert the team")


class Rule(models.Model):
    """An ordered rule: every condition set must hold (AND); empty conditions are ignored.

    Words and patterns are one per line. Validated on save by `actions.save_rule`.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="moderation_rules"
    )
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=120)
    enabled = models.BooleanField(default=True)
    article = models.CharField(max_length=8, blank=True)  # the netiquette article it applies
    # Conditions.
    min_abuse = models.FloatField(null=True, blank=True)
    abuse_kinds = models.JSONField(default=list, blank=True)
    min_spam = models.FloatField(null=True, blank=True)
    words = models.TextField(blank=True)
    patterns = models.TextField(blank=True)
    has_link = models.BooleanField(null=True, blank=True)
    new_member_days = models.PositiveIntegerField(
        null=True, blank=True
    )  # author first seen less than N days ago
    max_rate_per_hour = models.PositiveIntegerField(
        null=True, blank=True
    )  # author wrote more than N in an hour
    channels = models.JSONField(default=list, blank=True)  # channel ids; empty = every channel
    # Actions.
    actions = models.JSONField(default=list)  # RuleAction values
    reply_text = models.TextField(blank=True)
    stop = models.BooleanField(default=False)  # later rules are not evaluated once this one matched
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "position"], name="modrule_ws_pos")]

    def __str__(self) -> str:
        return self.name


class QueueStatus(models.TextChoices):
    OPEN = "open", _("open")
    ESCALATED = "escalated", _("escalated")
    APPROVED = "approved", _("approved")
    HIDDEN = "hidden", _("hidden")
    REPLIED = "replied", _("replied")
    SANCTIONED = "sanctioned", _("sanctioned")


OPEN_STATUSES = (QueueStatus.OPEN, QueueStatus.ESCALATED)


class QueueEntry(models.Model):
    """A flagged message waiting for a moderator, with the reasons it was flagged."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="queue_entries")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="queue_entry")
    # [{"code": "abuse" | "spam" | "rule", "label": "…", "rule_id": 3, "article": "2"}, …]
    reasons = models.JSONField(default=list)
    reason = models.CharField(
        max_length=16, db_index=True
    )  # the first reason's code, for filtering
    article = models.CharField(max_length=8, blank=True)
    sanction_proposed = models.BooleanField(default=False)
    urgent = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=QueueStatus.choices, default=QueueStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    criticism: bool  # not a column: the queue page's "criticism, not abuse" hint
    suggested_article: str  # not a column: the article the queue page preselects
    suggested_reply: str  # not a column: the reply the queue page offers for criticism

    class Meta:
        ordering = ["-urgent", "created_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "status", "created_at"], name="queue_ws_status")
        ]

    def __str__(self) -> str:
        return f"queue entry {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class HiddenMessage(models.Model):
    """A message hidden by moderation (on the platform when it allows, in Hearth always)."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="hidden_messages"
    )
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="hidden")
    article = models.CharField(max_length=8, blank=True)
    justification = models.TextField(blank=True)
    criticism = models.BooleanField(default=False)  # negative but not abusive when hidden
    hidden_at = models.DateTimeField(default=timezone.now)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"hidden message {self.message_id}"


def person_key_of(author: Author) -> str:
    """The key of the author's member (community.Member), which the ladder counts sanctions by."""
    return member_for_author(author).person_key


def person_keys_of(author: Author) -> list[str]:
    """The member's key and those of the members merged into it: all their sanctions count."""
    member = member_for_author(author)
    return [member.person_key, *member.former_keys]


class SanctionKind(models.TextChoices):
    WARNING = "warning", _("warning")
    BLOCK = "block", _("temporary block")
    EXCLUSION = "exclusion", _("exclusion")


class SanctionStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    EXPIRED = "expired", _("expired")
    LIFTED = "lifted", _("lifted")
    OVERTURNED = "overturned", _("overturned on appeal")


class Sanction(models.Model):
    """A step of the ladder applied to a person (all their linked identities)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="sanctions")
    person_key = models.CharField(max_length=191, db_index=True)
    author = models.ForeignKey(
        Author, on_delete=models.CASCADE, related_name="sanctions"
    )  # the identity that violated
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="sanctions"
    )
    kind = models.CharField(max_length=10, choices=SanctionKind.choices)
    step = models.PositiveSmallIntegerField(default=1)  # 1 = first violation in the window
    article = models.CharField(max_length=8)
    reason = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=SanctionStatus.choices, default=SanctionStatus.ACTIVE
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(
        null=True, blank=True
    )  # None: permanent (exclusion) or instant (warning)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "status", "ends_at"], name="sanction_ws_status")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.person_key}"

    @property
    def counts_as_violation(self) -> bool:
        return self.status != SanctionStatus.OVERTURNED

    def is_active(self, now: datetime | None = None) -> bool:
        if self.status != SanctionStatus.ACTIVE or self.kind == SanctionKind.WARNING:
            return False
        return self.ends_at is None or self.ends_at > (now or timezone.now())


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    UPHELD = "upheld", _("sanction upheld")
    OVERTURNED = "overturned", _("sanction overturned")


class Appeal(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="appeals")
    sanction = models.ForeignKey(Sanction, on_delete=models.CASCADE, related_name="appeals")
    text = models.TextField()
    status = models.CharField(
        max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"appeal {self.pk} ({self.status})"


class TodoStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")


class EnforcementTodo(models.Model):
    """What a human must do by hand because the platform cannot enforce it (no hide/ban API)."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="moderation_todos"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=16)  # hide | unhide | ban | unban | reply
    description = models.TextField()
    sanction = models.ForeignKey(
        Sanction, null=True, blank=True, on_delete=models.CASCADE, related_name="todos"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=8, choices=TodoStatus.choices, default=TodoStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["status", "-created_at"]

    def __str__(self) -> str:
        return f"to-do {self.action} ({self.status})"


class ModerationEvent(models.Model):
    """The moderation log: who did what to whom, when, under which article."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="moderation_events"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderator_label = models.CharField(max_length=254)
    action = models.CharField(max_length=32)
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="moderation_events"
    )
    person_key = models.CharField(max_length=191, blank=True, db_index=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sanction = models.ForeignKey(
        Sanction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    article = models.CharField(max_length=8, blank=True)
    justification = models.TextField(blank=True)
    criticism_removed = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["workspace", "-at"], name="modevent_ws_time")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.moderator_label} {self.action}"
