"""Ideas from the community: what they ask, who asked, where it went, and what they were told.

An idea gathers the messages that asked for it (`IdeaMessage`) and the people behind them
(`IdeaPerson`, one row per person whatever the number of messages: `people_count` is what
"how many people asked" means). Votes from the public page are `IdeaVote` rows. Each status
change is an `IdeaEvent` (the public history); each person told about it an `IdeaNotice`, unique
per (idea, person, status), which is what makes the loop close exactly once.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.conversations.models import Author, Message
from hearth.core import secrets as vault
from hearth.core.models import User, Workspace


def new_hook_key() -> str:
    """A target's webhook address key: 32 URL-safe characters (`token_urlsafe()` gives 43,
    which the 40-character column refuses on PostgreSQL)."""
    return secrets.token_urlsafe(24)


class IdeaStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "review", _("Under review")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "progress", _("In progress")
    SHIPPED = "shipped", _("Shipped")
    DECLINED = "declined", _("Declined")


# The statuses a person who asked is told about (new and under review are internal steps).
ANNOUNCED = (IdeaStatus.PLANNED, IdeaStatus.IN_PROGRESS, IdeaStatus.SHIPPED, IdeaStatus.DECLINED)
CLOSED = (IdeaStatus.SHIPPED, IdeaStatus.DECLINED)


class IdeaSource(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    PIPELINE = "pipeline", _("Proposed by the pipeline")
    PUBLIC = "public", _("Public ideas page")
    API = "api", _("API")
    CLI = "cli", _("Command line")


class Idea(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="ideas")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    area = models.CharField(max_length=60, blank=True)  # product area, free text per workspace
    status = models.CharField(max_length=10, choices=IdeaStatus.choices, default=IdeaStatus.NEW)
    public_reason = models.TextField(blank=True)  # shown on the public page with the status
    is_public = models.BooleanField(default=True)
    source = models.CharField(max_length=10, choices=IdeaSource.choices, default=IdeaSource.INBOX)
    # Triage: 1 (low) to 5 (high), 0 = not assessed.
    feasibility = models.PositiveSmallIntegerField(default=0)
    impact = models.PositiveSmallIntegerField(default=0)
    revenue_tags = models.CharField(max_length=200, blank=True)  # e.g. "enterprise, churn-risk"
    # Derived counters, kept by the actions that change them.
    people_count = models.PositiveIntegerField(default=0)
    vote_count = models.PositiveIntegerField(default=0)
    negative_count = models.PositiveIntegerField(
        default=0
    )  # linked messages with negative sentiment
    message_count = models.PositiveIntegerField(default=0)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    # The text's vector for duplicate matching (float16), and which method made it.
    vector = models.BinaryField(blank=True, default=b"")
    vector_kind = models.CharField(max_length=12, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    first_answered_at = models.DateTimeField(null=True, blank=True)  # first status past "new"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "status", "area"], name="idea_ws_status_area"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED

    @property
    def demand(self) -> int:
        """How the board sorts: distinct people first, then votes, then negative messages."""
        return self.people_count * 3 + self.vote_count + self.negative_count


class IdeaMessage(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="links")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "message"], name="idea_message_once"),
        ]

    def __str__(self) -> str:
        return f"{self.idea_id}: message {self.message_id}"


class IdeaPerson(models.Model):
    """A person who asked for the idea, and where to tell them (the message they asked in)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="people")
    person_key = models.CharField(max_length=40)  # hearth.feedback.people.person_key
    author = models.ForeignKey(Author, null=True, blank=True, on_delete=models.SET_NULL)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "person_key"], name="idea_person_once"),
        ]

    def __str__(self) -> str:
        return f"{self.idea_id}: {self.person_key}"


class IdeaVote(models.Model):
    """A vote from the public page: one per browser (a random cookie, stored hashed)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=64)  # sha256 of the voter cookie
    ip_hash = models.CharField(max_length=64, blank=True)  # rate limiting only
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "voter"], name="idea_vote_once")]
        indexes = [models.Index(fields=["ip_hash", "created_at"], name="idea_vote_rate")]

    def __str__(self) -> str:
        return f"vote for {self.idea_id}"


class EventKind(models.TextChoices):
    STATUS = "status", _("Status change")
    NOTE = "note", _("Note for the team")


class IdeaEvent(models.Model):
    """The idea's history: each status change with its public reason (the public page shows
    these), and the team's notes (`kind` note: how people were told, never public)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=6, choices=EventKind.choices, default=EventKind.STATUS)
    status = models.CharField(max_length=10, choices=IdeaStatus.choices)
    reason = models.TextField(blank=True)
    by_label = models.CharField(max_length=191, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.idea_id}: {self.status}"


class NoticeVia(models.TextChoices):
    REPLY = "reply", _("Reply in the thread")
    DM = "dm", _("Direct message")


class IdeaNotice(models.Model):
    """A person told about a status of the idea: at most one per (idea, person, status)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="notices")
    person_key = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=IdeaStatus.choices)
    via = models.CharField(max_length=5, choices=NoticeVia.choices, default=NoticeVia.REPLY)
    outbox_item = models.ForeignKey(
        "channels.OutboxItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["idea", "person_key", "status"], name="idea_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.idea_id}: {self.person_key} told {self.status}"


class ProposalKind(models.TextChoices):
    NEW = "new", _("New idea")
    DUPLICATE = "duplicate", _("Same as an existing idea")


class Proposal(models.Model):
    """What the pipeline proposes for a person to confirm: a message that looks like an idea (a
    new one, or one already known), or a new idea that looks like an older one (`source_idea`)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ProposalKind.choices)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE)
    source_idea = models.ForeignKey(
        Idea, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    idea = models.ForeignKey(
        Idea, null=True, blank=True, on_delete=models.CASCADE, related_name="proposals"
    )
    score = models.FloatField(default=0.0)
    method = models.CharField(max_length=12, blank=True)
    decided = models.CharField(max_length=10, blank=True)  # "" | accepted | dismissed
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message"],
                condition=models.Q(message__isnull=False),
                name="proposal_message_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} proposal {self.pk}"


class FeedbackSettings(models.Model):
    """Per workspace: the public page, the saved bilingual templates, the product team's e-mails."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="feedback_settings"
    )
    public_enabled = models.BooleanField(default=True)
    public_intro = models.CharField(max_length=300, blank=True)
    template_en = models.TextField(blank=True)
    template_fr = models.TextField(blank=True)
    digest_emails = models.CharField(max_length=500, blank=True)  # comma-separated
    areas = models.CharField(max_length=500, blank=True)  # comma-separated product areas
    # Tell people by direct message where their channel can send one (else a reply, as always).
    prefer_dm = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"feedback settings of {self.workspace_id}"

    @property
    def area_list(self) -> list[str]:
        return [a.strip() for a in self.areas.split(",") if a.strip()]


class TargetKind(models.TextChoices):
    WEBHOOK = "webhook", _("Signed webhook")
    GITHUB = "github", _("GitHub issues")
    JIRA = "jira", _("Jira")


class ForwardTarget(models.Model):
    """Where the product team works: a signed webhook, a GitHub repository or a Jira project.

    `base_url` is the API's address (https://api.github.com, https://<site>.atlassian.net), so a
    test points it at a local server; `project` is "owner/repo" or the Jira project key. The
    token calls the API; the secret checks the status webhooks the tracker sends back (and signs
    Hearth's own webhook). `hook_key` names the receiving address.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=TargetKind.choices)
    base_url = models.CharField(max_length=300)
    project = models.CharField(max_length=120, blank=True)
    user = models.CharField(max_length=191, blank=True)  # Jira: the account's e-mail
    token_encrypted = models.TextField(blank=True)
    secret_encrypted = models.TextField(blank=True)
    hook_key = models.CharField(max_length=40, unique=True, default=new_hook_key)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def token(self) -> str:
        return vault.decrypt(self.token_encrypted) if self.token_encrypted else ""

    @property
    def secret(self) -> str:
        return vault.decrypt(self.secret_encrypted) if self.secret_encrypted else ""


class IdeaLink(models.Model):
    """An idea forwarded to a target: the external item, and its status as last seen."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="forwards")
    target = models.ForeignKey(ForwardTarget, on_delete=models.CASCADE, related_name="links")
    outbox_item = models.ForeignKey(
        "channels.OutboxItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_id = models.CharField(max_length=120, blank=True)  # issue number, Jira key
    url = models.CharField(max_length=500, blank=True)
    external_status = models.CharField(max_length=60, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "target"], name="idea_forward_once"),
        ]

    def __str__(self) -> str:
        return f"{self.idea_id} → {self.target_id} {self.external_id}"
