"""Animation: contests with a verifiable draw, events with limited seats.

Every row carries its workspace. Public pages find a contest or an event only by its random
`public_token` (never by id), so a visitor learns nothing about other workspaces.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hearth.community.models import SEGMENT_LABELS
from hearth.conversations.models import Author, Message, Thread
from hearth.core.models import Workspace


def new_token() -> str:
    return secrets.token_urlsafe(18)


class ContestState(models.TextChoices):
    OPEN = "open", _("open for entries")
    FROZEN = "frozen", _("entrant list frozen")
    DRAWN = "drawn", _("drawn")


class Contest(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contests")
    title = models.CharField(max_length=200)
    rules = models.TextField()
    # Entry by a comment: a comment in `thread` whose text contains `keyword` (any, if blank).
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    keyword = models.CharField(max_length=80, blank=True)
    form_entries = models.BooleanField(default=True)  # entry by the public form
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    countries = models.JSONField(default=list, blank=True)  # ISO codes; empty: anywhere
    # A community segment (community.models.SEGMENTS) the entrant must belong to at the freeze;
    # empty: everyone.
    segment = models.CharField(max_length=16, blank=True)
    winners_count = models.PositiveSmallIntegerField(default=1)
    closes_at = models.DateTimeField(null=True, blank=True)
    public_token = models.CharField(max_length=32, unique=True, default=new_token)
    state = models.CharField(max_length=8, choices=ContestState.choices, default=ContestState.OPEN)
    # The seed stays secret until the draw; its SHA-256 is published from creation.
    seed = models.CharField(max_length=64)
    seed_commitment = models.CharField(max_length=64)
    entrants_hash = models.CharField(max_length=64, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    winners = models.JSONField(default=list, blank=True)  # entrant ids, in ranking order
    reserves = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        if self.state != ContestState.OPEN:
            return False
        return self.closes_at is None or self.closes_at > timezone.now()

    @property
    def segment_label(self) -> str:
        return str(SEGMENT_LABELS.get(self.segment, self.segment))

    @property
    def revealed_seed(self) -> str:
        return self.seed if self.state == ContestState.DRAWN else ""


class EntrySource(models.TextChoices):
    COMMENT = "comment", _("comment")
    FORM = "form", _("form")


class ContestEntry(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="entries")
    # Public and meaningless: what the published list, the hash and the draw use.
    entrant_id = models.CharField(max_length=16)
    person_key = models.CharField(max_length=191)
    source = models.CharField(max_length=8, choices=EntrySource.choices)
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    country = models.CharField(max_length=2, blank=True)
    age_declared = models.BooleanField(default=False)
    excluded_reason = models.CharField(max_length=200, blank=True)  # set: not in the draw
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One entry per person: a second comment or form of the same person is not an entry.
            models.UniqueConstraint(fields=["contest", "person_key"], name="entry_one_per_person"),
            models.UniqueConstraint(fields=["contest", "entrant_id"], name="entry_id_unique"),
        ]

    def __str__(self) -> str:
        return self.entrant_id

    @property
    def label(self) -> str:
        if self.author_id is not None and self.author is not None:
            return self.author.handle or self.author.display_name
        return self.name

    @property
    def public_label(self) -> str:
        """What the public list shows next to the id: enough to recognise oneself, no more."""
        label = self.label.lstrip("@")
        return (label[:2] + "…") if label else ""


class EventMode(models.TextChoices):
    ONLINE = "online", _("online")
    OFFLINE = "offline", _("in person")


class Event(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="events")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    mode = models.CharField(max_length=8, choices=EventMode.choices, default=EventMode.ONLINE)
    location = models.CharField(max_length=300, blank=True)  # an address or the meeting link
    starts_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    registration_open = models.BooleanField(default=True)
    remind_hours = models.PositiveSmallIntegerField(default=24)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Each invitation of a community segment: {"segment", "at", "sent", "already",
    # "no_address", "no_consent"} (actions/events.py: invite_segment).
    invitations = models.JSONField(default=list, blank=True)
    public_token = models.CharField(max_length=32, unique=True, default=new_token)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.title


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed")
    WAITLISTED = "waitlisted", _("on the waiting list")
    CANCELLED = "cancelled", _("cancelled")


class Registration(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(max_length=120)
    email = models.EmailField()
    person_key = models.CharField(max_length=191)
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RegistrationStatus.choices)
    # The attendee's own link to cancel (and to see their place): a secret, never listed.
    token = models.CharField(max_length=32, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "person_key"],
                condition=~models.Q(status="cancelled"),
                name="registration_one_per_person",
            )
        ]
        indexes = [models.Index(fields=["event", "status", "created_at"], name="reg_event_status")]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class Poll(models.Model):
    """A question asked on a hosted public page and, natively, on the channels that have polls.
    Results add the page's votes and each channel's last fetched counts."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="polls")
    question = models.CharField(max_length=300)
    options = models.JSONField()  # the options' texts, in order
    public_token = models.CharField(max_length=32, unique=True, default=new_token)
    closes_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.question

    @property
    def is_open(self) -> bool:
        return self.closes_at is None or self.closes_at > timezone.now()


class PollVote(models.Model):
    """A vote on the hosted page: one per browser (a random cookie, kept hashed)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    option = models.PositiveSmallIntegerField()
    voter_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "voter_key"], name="poll_vote_once")]

    def __str__(self) -> str:
        return f"{self.poll_id}:{self.option}"


class PollPublication(models.Model):
    """The poll posted natively on one channel (through the outbox); `counts` are the votes
    per option the platform reported at `fetched_at`."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="publications")
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="+")
    outbox_item = models.ForeignKey(
        "channels.OutboxItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    counts = models.JSONField(default=list, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    # The platform's final counts are in (the poll closed there, or was stopped by Hearth).
    final = models.BooleanField(default=False)
    # The platform's sequence number of the pushed state `counts` come from (Telegram's
    # update_id): an older state delivered late never replaces them.
    state_seq = models.BigIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "channel"], name="poll_once_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.poll_id}@{self.channel_id}"


class FaqStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    PUBLISHED = "published", _("published")
    DISMISSED = "dismissed", _("dismissed")


class FaqEntry(models.Model):
    """A recurring question of the inbox, proposed by clustering and published by a person,
    in English and French. `sources` are the question messages it was found from."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="faq")
    question_en = models.CharField(max_length=300, blank=True)
    question_fr = models.CharField(max_length=300, blank=True)
    answer_en = models.TextField(blank=True)
    answer_fr = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=FaqStatus.choices, default=FaqStatus.PROPOSED)
    sources = models.JSONField(default=list, blank=True)  # message ids
    askers = models.PositiveIntegerField(default=0)  # distinct people who asked
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "-askers", "id"]

    def __str__(self) -> str:
        return self.question_en or self.question_fr

    def question(self, lang: str) -> str:
        return (
            (self.question_fr or self.question_en)
            if lang == "fr"
            else (self.question_en or self.question_fr)
        )

    def answer(self, lang: str) -> str:
        return (
            (self.answer_fr or self.answer_en)
            if lang == "fr"
            else (self.answer_en or self.answer_fr)
        )
