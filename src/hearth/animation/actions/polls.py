"""Polls: create, vote on the hosted page, publish natively (Mastodon, Telegram and Discord polls, through the
outbox), and aggregate the results of every place where people voted.

The hosted page counts one vote per browser (a random cookie, stored hashed with the poll) and
the public forms' per-address limit; a platform counts its own (one per account). A person who
votes on the page and on Mastodon is counted twice: the platforms do not say who voted.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.animation.models import Poll, PollPublication, PollVote
from hearth.channels import outbox
from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import ConnectorError, PollState
from hearth.channels.models import Channel
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm

log = logging.getLogger(__name__)

MAX_OPTIONS = 4  # Mastodon's default limit, so a poll fits every channel that has polls
NATIVE_POLL_KINDS = frozenset({"mastodon", "telegram", "discord"})


def create_poll(
    workspace: Workspace,
    *,
    question: str,
    options: list[str],
    by: Actor,
    closes_at: datetime | None = None,
) -> Poll:
    check_actor(by, workspace, Perm.PUBLISH)
    question = question.strip()
    cleaned = [o.strip()[:50] for o in options if o.strip()]
    if not question:
        raise ActionError(_("question: write the poll's question."))
    if not 2 <= len(cleaned) <= MAX_OPTIONS:
        raise ActionError(
            _("options: give between 2 and %(max)s options, one per line.") % {"max": MAX_OPTIONS}
        )
    if len(set(cleaned)) != len(cleaned):
        raise ActionError(_("options: two options are the same; make each one different."))
    if closes_at is not None and closes_at <= timezone.now():
        raise ActionError(_("closes_at: choose a moment in the future."))
    with transaction.atomic():
        poll = Poll.objects.create(
            workspace=workspace,
            question=question[:300],
            options=cleaned,
            closes_at=closes_at,
            created_by=by.user,
        )
        audit.record("poll.create", by=by, workspace=workspace, target=poll)
    return poll


def voter_key(poll: Poll, browser_id: str) -> str:
    return hashlib.sha256(f"{poll.pk}:{browser_id}".encode()).hexdigest()


def vote(poll: Poll, option: int, *, browser_id: str) -> PollVote:
    """A vote on the hosted page; a second vote from the same browser is refused."""
    if not poll.is_open:
        raise ActionError(_("This poll is closed."))
    if not 0 <= option < len(poll.options):
        raise ActionError(_("option: choose one of the poll's options."))
    if len(browser_id) < 16:
        raise ActionError(_("Your browser refused the cookie that keeps one vote per person."))
    try:
        with transaction.atomic():
            return PollVote.objects.create(
                poll=poll, option=option, voter_key=voter_key(poll, browser_id)
            )
    except IntegrityError:
        raise ActionError(_("You have already voted in this poll.")) from None


def publish_poll(poll: Poll, channel: Channel, *, by: Actor) -> PollPublication:
    """Post the poll natively on `channel` (once), through the outbox: sent after commit."""
    check_actor(by, poll.workspace_id, Perm.PUBLISH)
    if channel.workspace_id != poll.workspace_id:
        raise ActionError(_("channel: that channel is not in this workspace."))
    if channel.kind not in NATIVE_POLL_KINDS:
        raise ActionError(
            _("channel: %(name)s has no native polls; share the poll's page there instead.")
            % {"name": channel.name}
        )
    expires_in = 7 * 86400
    if poll.closes_at is not None:
        expires_in = max(300, int((poll.closes_at - timezone.now()).total_seconds()))
    payload: dict[str, Any]
    if channel.kind == "mastodon":  # a status with a poll
        action = "post"
        payload = {
            "text": poll.question,
            "poll": {"options": poll.options, "expires_in": expires_in},
        }
    else:  # Telegram's sendPoll, Discord's message poll
        action = "poll"
        payload = {"question": poll.question, "options": poll.options, "duration_s": expires_in}
    with transaction.atomic():
        publication, created = PollPublication.objects.get_or_create(poll=poll, channel=channel)
        if not created:
            raise ActionError(
                _("The poll is already published on %(name)s.") % {"name": channel.name}
            )
        publication.outbox_item = outbox.enqueue(
            channel,
            action,
            payload,
            idempotency_key=f"poll:{poll.pk}:{channel.pk}",
            ref=("poll_publication", publication.pk),
        )
        publication.save(update_fields=["outbox_item"])
        audit.record(
            "poll.publish",
            by=by,
            workspace=poll.workspace,
            target=poll,
            data={"channel": channel.pk},
        )
    return publication


def refresh_results(poll: Poll) -> int:
    """Ask each channel where the poll went out for its counts (outside any transaction: a
    slow platform must not hold the database). Returns how many channels answered.

    Once the poll has closed, each channel is asked one last time for its final counts
    (`final`: Telegram stops the poll, the only way to ask it for them — its live counts come
    pushed, see `apply_platform_poll_state`; Discord ends a poll still running) and not asked
    again."""
    answered = 0
    final = not poll.is_open
    for publication in poll.publications.select_related("channel", "outbox_item"):
        item = publication.outbox_item
        if item is None or not item.external_id or publication.final:
            continue
        connector = get_connector(publication.channel)
        if not final and not getattr(connector, "live_poll_counts", True):
            continue  # its counts come when the poll closes
        try:
            counts = connector.poll_results(item.external_id, final=final)  # type: ignore[attr-defined]
        except ConnectorError as exc:
            PollPublication.objects.filter(pk=publication.pk).update(error=str(exc)[:300])
            continue
        PollPublication.objects.filter(pk=publication.pk, final=False).update(
            counts=counts, fetched_at=timezone.now(), error="", final=final
        )
        answered += 1
    return answered


def apply_platform_poll_state(channel: Channel, state: PollState) -> int:
    """A poll's new state pushed by `channel`'s platform (Telegram's `poll` update, registered
    with hearth.channels.polls): its counts replace the publication's, live. Returns 1 if they
    did, 0 otherwise.

    Only the publication on `channel` (so in its workspace) whose sent outbox item recorded
    that poll id can change; an unknown id is ignored (another bot's poll, or a poll whose send
    answer is not stored yet: its next state will count). One conditional UPDATE, so a state
    delivered twice, or an older one delivered late (a lower sequence number), changes nothing;
    a closed state is final and wins over any open one, and nothing replaces final counts.
    """
    found = (
        PollPublication.objects.filter(
            channel_id=channel.pk,
            poll__workspace_id=channel.workspace_id,
            outbox_item__channel_id=channel.pk,
            outbox_item__external_ref=state.poll_ref,
        )
        .values_list("pk", flat=True)
        .first()
        if state.poll_ref
        else None
    )
    if found is None:
        log.debug("Channel %s: state of unknown poll %r ignored.", channel.pk, state.poll_ref)
        return 0
    current = Q(pk=found, final=False)
    if not state.closed and state.seq:
        current &= Q(state_seq__lt=state.seq)
    return PollPublication.objects.filter(current).update(
        counts=list(state.counts),
        fetched_at=timezone.now(),
        error="",
        final=state.closed,
        state_seq=state.seq,
    )


def close_poll(poll: Poll, *, by: Actor) -> Poll:
    """Close the poll now (the hosted page stops taking votes) and read each channel's final
    counts (Telegram's poll is stopped now: its `stopPoll` answer gives them)."""
    check_actor(by, poll.workspace_id, Perm.PUBLISH)
    if not poll.is_open:
        raise ActionError(_("This poll is closed."))
    now = timezone.now()
    with transaction.atomic():
        Poll.objects.filter(pk=poll.pk).update(closes_at=now)
        audit.record("poll.close", by=by, workspace=poll.workspace, target=poll)
    poll.closes_at = now
    refresh_results(poll)
    return poll


def refresh_open_polls() -> int:
    """The periodic job: refresh the polls that went out on a channel until their final counts
    are read (once closed), or an hour after they close at the latest."""
    done = 0
    recent = timezone.now() - timedelta(hours=1)
    for poll in Poll.objects.filter(publications__final=False).distinct():
        if poll.closes_at is None or poll.closes_at > recent:
            done += refresh_results(poll)
    return done


@dataclass(frozen=True)
class Result:
    option: str
    votes: int
    percent: int


def results(poll: Poll) -> tuple[list[Result], int, dict[str, int]]:
    """The votes per option, summed over the hosted page and every channel; also the total
    and the votes per place ("page", then each channel's name)."""
    counts = [0] * len(poll.options)
    by_place: dict[str, int] = {}
    page = dict(poll.votes.values("option").annotate(n=Count("id")).values_list("option", "n"))
    for option, n in page.items():
        if 0 <= option < len(counts):
            counts[option] += n
    by_place["page"] = sum(page.values())
    for publication in poll.publications.select_related("channel"):
        for i, n in enumerate(publication.counts[: len(counts)]):
            counts[i] += int(n)
        by_place[publication.channel.name] = sum(int(n) for n in publication.counts)
    total = sum(counts)
    rows = [
        Result(text, n, round(100 * n / total) if total else 0)
        for text, n in zip(poll.options, counts, strict=True)
    ]
    return rows, total, by_place
