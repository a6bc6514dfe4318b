"""Members: one person across platforms, their identities (authors), segments and history.

A `Member` groups the `Author` rows of one person in a workspace. Every author belongs to exactly
one member (`Identity`, created by the members stage of the pipeline, or on first need by
`members.member_for_author`). Linking two identities merges their members; a `MergeRecord`
keeps what the merge moved so that it can be undone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.conversations.models import Author
from hearth.core.models import Workspace

# The segments, in display order; each is a boolean column `is_<name>` of Member.
SEGMENTS = (
    "creator",
    "contributor",
    "newcomer",
    "champion",
    "at_risk",
    "influencer",
)
SEGMENT_LABELS = {
    "creator": _("creators"),
    "contributor": _("contributors"),
    "newcomer": _("newcomers"),
    "champion": _("champions"),
    "at_risk": _("at risk"),
    "influencer": _("influencers"),
}


class Member(models.Model):
    """A person of the community, across the channels where they write."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="members")
    # The key the moderation ladder counts sanctions by. Migrated people keep their former
    # PersonLink key; a new member takes "author:<id>" of its first identity, the key moderation
    # used for an unlinked author, so sanctions given before the member existed still count.
    person_key = models.CharField(max_length=191)
    # Keys of members merged into this one: their sanctions count on this member's ladder.
    former_keys = models.JSONField(default=list, blank=True)
    display_name = models.CharField(max_length=191, blank=True)
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    first_message_id = models.BigIntegerField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    # Activity counted by the members stage and recounted by the periodic job (segments.py).
    posts_count = models.PositiveIntegerField(default=0)  # started a conversation
    replies_count = models.PositiveIntegerField(default=0)  # answered in one
    positive_count = models.PositiveIntegerField(default=0)
    negative_count = models.PositiveIntegerField(default=0)
    followers = models.PositiveIntegerField(default=0)  # largest audience of an identity, if known
    love = models.FloatField(default=0)  # Orbit's "love": weighted activity (segments.py)
    reach = models.FloatField(default=0)  # Orbit's "reach": audience, log-scaled
    influence = models.FloatField(default=0)
    is_creator = models.BooleanField(default=False)
    is_contributor = models.BooleanField(default=False)
    is_newcomer = models.BooleanField(default=False)
    is_champion = models.BooleanField(default=False)
    is_at_risk = models.BooleanField(default=False)
    is_influencer = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    # {"share_content": true, "contact": false, …}: what the member allowed, with when.
    consent = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    segments_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "person_key"], name="member_unique_key")
        ]
        indexes = [
            models.Index(fields=["workspace", "-last_seen_at"], name="member_ws_recent"),
            models.Index(fields=["workspace", "display_name"], name="member_ws_name"),
            # The list filtered by a segment: its members only, most recent first (a rare segment
            # would otherwise scan the whole workspace's recency index).
            *(
                models.Index(
                    fields=["workspace", "-last_seen_at"],
                    condition=models.Q(**{f"is_{name}": True}),
                    name=f"member_ws_{name}"[:30],
                )
                for name in SEGMENTS
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.person_key

    @property
    def segments(self) -> list[str]:
        return [name for name in SEGMENTS if getattr(self, f"is_{name}")]


class AuthorWeek(models.Model):
    """One author's messages still there in one week (UTC, from Monday): how many, and the sum of
    their sentiment scores. Kept by the members stage (new, edited, relabelled and removed
    messages), so a profile's weekly sentiment trend reads a dozen rows per identity instead of
    every message of its busiest members. By author, not member: merges move identities only."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+", db_index=False)
    week = models.DateField()
    messages = models.IntegerField(default=0)
    score_sum = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "week"], name="author_week_unique")
        ]

    def __str__(self) -> str:
        return f"{self.author_id} week of {self.week}"


class LinkRule(models.TextChoices):
    FIRST_SEEN = "first_seen", _("first seen")
    VERIFIED_EMAIL = "verified_email", _("same verified e-mail")
    EXPLICIT = "explicit", _("explicit link given by the member")
    HANDLE_AND_NAME = "handle_name", _("same handle and display name")
    MANUAL = "manual", _("linked by a teammate")
    MIGRATED = "migrated", _("moderation's person link")


SUGGESTION_RULES = {
    "email": _("same e-mail, not verified"),
    "handle": _("same handle"),
    "name": _("same full name"),
}


def rule_label(rule: str) -> str:
    """The reader's words for a linking rule's code (LinkRule or a suggestion's rule)."""
    if rule in LinkRule.values:
        return str(LinkRule(rule).label)
    return str(SUGGESTION_RULES.get(rule, rule))


class Identity(models.Model):
    """One author of a member, with why it was attached and the evidence the linking rules read."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="identities")
    author = models.OneToOneField(Author, on_delete=models.CASCADE, related_name="identity")
    rule = models.CharField(max_length=16, choices=LinkRule.choices, default=LinkRule.FIRST_SEEN)
    confidence = models.FloatField(default=1.0)
    email = models.CharField(max_length=254, blank=True)
    email_verified = models.BooleanField(default=False)
    # Accounts the member declares on this identity's profile: ["mastodon:@ana", …].
    declared = models.JSONField(default=list, blank=True)
    followers = models.PositiveIntegerField(null=True, blank=True)
    linked_at = models.DateTimeField(default=timezone.now)
    # When the linking rules last ran for this identity; None: they are due (a new author, whose
    # rules run in a job after the ingest transaction commits — `actions.linking.link_pending`).
    rules_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "email"], name="identity_ws_email"),
            models.Index(
                fields=["id"], condition=models.Q(rules_at__isnull=True), name="identity_rules_due"
            ),
        ]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"{self.author_id} → {self.member_id}"


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("to confirm")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("rejected")


class LinkSuggestion(models.Model):
    """Two members that may be one person, for a teammate to confirm or reject."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=16)
    confidence = models.FloatField()
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "other"], name="suggestion_unique_pair")
        ]
        indexes = [models.Index(fields=["workspace", "status"], name="suggestion_ws_status")]

    def __str__(self) -> str:
        return f"{self.member_id} ~ {self.other_id} ({self.rule})"

    @property
    def rule_label(self) -> str:
        return rule_label(self.rule)


class MergeRecord(models.Model):
    """A merge of `source` into `target`, with what it moved, so that it can be undone."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="merges")
    # The merged member's own fields (key, name, tags, notes, consent…) to restore it.
    source_snapshot = models.JSONField(default=dict)
    author_ids = models.JSONField(default=list)  # identities moved to the target
    rule = models.CharField(max_length=16)
    confidence = models.FloatField(default=1.0)
    merged_at = models.DateTimeField(default=timezone.now)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    restored_member_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"merge into {self.target_id}"

    @property
    def rule_label(self) -> str:
        return rule_label(self.rule)


class ErasePolicy(models.TextChoices):
    PSEUDONYMISE = "pseudonymise", _("pseudonymise their messages")
    DELETE = "delete", _("delete their messages")


class CommunitySettings(models.Model):
    """The thresholds of the segments and the privacy choices of one workspace."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="community_settings"
    )
    newcomer_days = models.PositiveSmallIntegerField(default=30)
    creator_min_posts = models.PositiveSmallIntegerField(default=1)
    contributor_min_replies = models.PositiveSmallIntegerField(default=1)
    champion_min_messages = models.PositiveSmallIntegerField(default=10)
    champion_min_positive_share = models.PositiveSmallIntegerField(default=50)  # percent
    champion_active_days = models.PositiveSmallIntegerField(default=60)
    at_risk_drop_percent = models.PositiveSmallIntegerField(default=50)
    at_risk_negative_share = models.PositiveSmallIntegerField(default=50)  # percent, last 30 days
    influencer_top_percent = models.PositiveSmallIntegerField(default=1)
    influencer_min_followers = models.PositiveIntegerField(default=1000)
    audience_size = models.PositiveIntegerField(default=0)  # followers of the channels; 0 = unknown
    erase_policy = models.CharField(
        max_length=12, choices=ErasePolicy.choices, default=ErasePolicy.PSEUDONYMISE
    )
    retention_days = models.PositiveIntegerField(default=0)  # 0 = keep personal data

    def __str__(self) -> str:
        return f"community settings of {self.workspace_id}"


class ShapeSnapshot(models.Model):
    """The community's shape on one day: creators, contributors and lurkers (the 1/9/90 rule)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    creators = models.PositiveIntegerField(default=0)
    contributors = models.PositiveIntegerField(default=0)
    lurkers = models.PositiveIntegerField(default=0)
    members = models.PositiveIntegerField(default=0)
    # The audience the lurkers come from, and where it came from: "settings" (set by hand),
    # "followers" (the channels' latest follower counts), "" (unknown: no lurker counted).
    audience = models.PositiveIntegerField(default=0)
    audience_source = models.CharField(max_length=10, blank=True)
    audience_as_of = models.DateField(null=True, blank=True)  # the counts' oldest day

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "day"], name="shape_unique_day")
        ]
        ordering = ["day"]

    def __str__(self) -> str:
        return f"shape of {self.workspace_id} on {self.day}"
