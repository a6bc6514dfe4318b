"""Publishing due posts through the one way out, and following what the outbox did with them.

`publish_due` (the periodic job `publishing-dispatch-due`) claims each scheduled post whose time
has come with a conditional UPDATE (scheduled → publishing: one worker per post), checks every
variant again — the platform's rules, its hourly cap and rate limit, the channel's state — and
enqueues one outbox item ("post") per variant, keyed by the variant (`post:<variant id>`): a
second dispatch of the same variant finds the same item and can never publish it twice.

What the outbox decides comes back two ways: the on-sent handler records the platform's id and
URL at once (`record_sent`); `follow_outbox` (the same job) copies every other outcome — failed,
unconfirmed, held — onto the variants and the post, and tells the author. So the sweep of the
outbox (a worker killed mid-send: unconfirmed, never sent again blindly) reaches the post too.

The job is also the catch-up after downtime: a post whose time passed while no worker ran is
published when the worker returns, unless it is more than `HEARTH_PUBLISHING_LATE_HOURS` late;
then it is held ("missed its time") for a person to reschedule, since a post about this
morning is wrong tomorrow.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hearth.channels import outbox
from hearth.channels.models import OutboxItem, OutboxStatus
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.permissions import Perm
from hearth.notify.actions import absolute_url, deliver
from hearth.publishing import rules
from hearth.publishing.actions import library
from hearth.publishing.actions.posts import publishing_settings
from hearth.publishing.models import (
    HoldReason,
    Post,
    PostState,
    PostVariant,
    VariantState,
)

log = logging.getLogger(__name__)

DUE_BATCH = 200
CAP_WAIT = timedelta(minutes=15)


def _late_limit() -> timedelta:
    return timedelta(hours=getattr(settings, "HEARTH_PUBLISHING_LATE_HOURS", 6))


def publish_due(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic pass: follow the outbox, then publish what is due. Returns counts."""
    now = now or timezone.now()
    counts = {"followed": follow_outbox(), "dispatched": 0, "held": 0, "waiting": 0}
    ids = list(
        Post.objects.filter(state=PostState.SCHEDULED, scheduled_at__lte=now)
        .exclude(workspace__publishing_settings__paused_at__isnull=False)
        .order_by("scheduled_at")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )
    for post_id in ids:
        outcome = publish_post(post_id, now=now)
        if outcome:
            counts[outcome] += 1
    return counts


def publish_post(post_id: int, *, now: datetime | None = None) -> str | None:
    """Claim one due post and hand its variants to the outbox; returns "dispatched" (handed
    over), "held", "waiting" (back to scheduled, e.g. a rate limit) or None (not claimed)."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Post.objects.filter(
            pk=post_id, state=PostState.SCHEDULED, scheduled_at__lte=now
        ).update(state=PostState.PUBLISHING, updated_at=now)
        if not claimed:
            return None
        post = Post.objects.select_related("workspace", "author").get(pk=post_id)
        if publishing_settings(post.workspace_id).is_paused:
            _hold(post, HoldReason.PAUSED, _("Publishing is paused for the workspace."), now=now)
            return "held"
        assert post.scheduled_at is not None
        if now - post.scheduled_at > _late_limit():
            _hold(
                post,
                HoldReason.MISSED,
                _(
                    "It was due at %(when)s but Hearth was not running then: reschedule it, or "
                    "drop it."
                )
                % {"when": timezone.localtime(post.scheduled_at).strftime("%Y-%m-%d %H:%M")},
                now=now,
            )
            return "held"
        variants = list(post.variants.select_related("channel").filter(outbox_item=None))
        resolved: dict[int, list[dict[str, Any]]] = {}
        for variant in variants:
            channel = variant.channel
            if channel.deleted_at is not None or not channel.is_active:
                _hold(
                    post,
                    HoldReason.CHANNEL,
                    _(
                        "The channel %(channel)s is paused or removed: resume it, or drop it from "
                        "the post."
                    )
                    % {"channel": channel.name},
                    now=now,
                )
                return "held"
            if channel.needs_reauth_since is not None:
                _hold(
                    post,
                    HoldReason.REAUTH,
                    _(
                        "The channel %(channel)s needs re-authorisation: reconnect it, then "
                        "reschedule the post."
                    )
                    % {"channel": channel.name},
                    now=now,
                )
                return "held"
            if channel.rate_limited_until is not None and channel.rate_limited_until > now:
                # Waiting is not failing: the post goes back to scheduled at the end of the wait.
                Post.objects.filter(pk=post.pk).update(
                    state=PostState.SCHEDULED,
                    scheduled_at=channel.rate_limited_until,
                    state_detail=_("Waiting for %(channel)s's rate limit.")
                    % {"channel": channel.name},
                )
                return "waiting"
            limits = rules.limits_of(channel)
            if limits.posts_per_hour is not None:
                sent_in_hour = PostVariant.objects.filter(
                    channel=channel, outbox_item__created_at__gt=now - rules.HOUR
                ).count()
                if sent_in_hour >= limits.posts_per_hour:
                    Post.objects.filter(pk=post.pk).update(
                        state=PostState.SCHEDULED,
                        scheduled_at=now + CAP_WAIT,
                        state_detail=_(
                            "%(channel)s takes at most %(max)s posts an hour: moved by a few "
                            "minutes."
                        )
                        % {"channel": channel.name, "max": limits.posts_per_hour},
                    )
                    return "waiting"
            # The library's current facts (an alt text written since the post was saved).
            try:
                resolved[variant.pk] = library.resolve_media(
                    post.workspace_id, list(variant.media or [])
                )
            except ActionError as exc:
                _fail(post, f"{channel.name}: {exc}", now=now)
                return None
            problems = rules.variant_problems(
                channel,
                text=variant.text,
                link=variant.link,
                media=resolved[variant.pk],
                first_comment=variant.first_comment,
            )
            if problems:
                _fail(post, " ".join(problems), now=now)
                return None
        for variant in variants:
            media = resolved[variant.pk]
            item = outbox.enqueue(
                variant.channel,
                "post",
                {
                    "text": variant.full_text,
                    "link": variant.link,
                    "media": media,
                },
                idempotency_key=f"post:{variant.pk}",
                ref=("post_variant", variant.pk),
            )
            PostVariant.objects.filter(pk=variant.pk).update(
                outbox_item=item, state=VariantState.SENDING, detail=""
            )
        audit.record(
            "publishing.post.dispatch",
            by=Actor.system(),
            workspace=post.workspace,
            target=post,
            data={"variants": len(variants)},
        )
    return "dispatched"


def _hold(post: Post, reason: str, detail: str, *, now: datetime) -> None:
    Post.objects.filter(pk=post.pk).update(
        state=PostState.HELD, hold_reason=reason, state_detail=detail, updated_at=now
    )
    post.state, post.hold_reason, post.state_detail = PostState.HELD, reason, detail
    audit.record(
        "publishing.post.hold",
        by=Actor.system(),
        workspace=post.workspace,
        target=post,
        data={"reason": reason},
    )
    if reason != HoldReason.PAUSED:  # the person who paused knows; a banner shows it
        _tell_author(post, "held", detail)


def _fail(post: Post, detail: str, *, now: datetime) -> None:
    Post.objects.filter(pk=post.pk).update(
        state=PostState.FAILED, state_detail=detail, updated_at=now
    )
    post.state, post.state_detail = PostState.FAILED, detail
    _tell_author(post, "failed", detail)


def record_sent(item: OutboxItem) -> None:
    """On-sent handler of "post" items: the platform's id and URL on the variant, then the
    post's state; a first comment goes out as the brand's reply."""
    if item.ref_type != "post_variant" or item.ref_id is None:
        return
    variant = PostVariant.objects.select_related("channel").filter(pk=item.ref_id).first()
    if variant is None:
        return
    PostVariant.objects.filter(pk=variant.pk).update(
        state=VariantState.PUBLISHED,
        external_id=item.external_id,
        external_url=item.external_url,
        published_at=item.sent_at or timezone.now(),
        detail="",
    )
    if variant.first_comment.strip() and item.external_id:
        outbox.enqueue(
            variant.channel,
            "reply",
            {"text": variant.first_comment.strip(), "parent_external_id": item.external_id},
            idempotency_key=f"post-comment:{variant.pk}",
            ref=("post_variant", variant.pk),
        )
    refresh_post_state(variant.post_id)


_OUTBOX_TO_VARIANT = {
    OutboxStatus.QUEUED: VariantState.SENDING,
    OutboxStatus.SENDING: VariantState.SENDING,
    OutboxStatus.SENT: VariantState.PUBLISHED,
    OutboxStatus.FAILED: VariantState.FAILED,
    OutboxStatus.UNCONFIRMED: VariantState.UNCONFIRMED,
    OutboxStatus.HELD: VariantState.HELD,
}


def follow_outbox() -> int:
    """Copy the outbox's outcome onto every variant in flight whose item moved; returns how many
    variants changed. One query finds them (the variant's state differs from its item's)."""
    changed = 0
    moved = (
        Q(state=VariantState.SENDING)
        & ~Q(outbox_item__status__in=(OutboxStatus.QUEUED, OutboxStatus.SENDING))
        | Q(state=VariantState.HELD) & ~Q(outbox_item__status=OutboxStatus.HELD)
        | Q(state=VariantState.UNCONFIRMED) & ~Q(outbox_item__status=OutboxStatus.UNCONFIRMED)
        | Q(state=VariantState.FAILED) & ~Q(outbox_item__status=OutboxStatus.FAILED)
    )
    in_flight = (
        PostVariant.objects.filter(outbox_item__isnull=False)
        .filter(moved)
        .select_related("outbox_item", "channel")
    )
    for variant in in_flight:
        item = variant.outbox_item
        assert item is not None
        target = _OUTBOX_TO_VARIANT[OutboxStatus(item.status)]
        if target == variant.state:
            continue
        if target == VariantState.PUBLISHED:
            record_sent(item)  # sent while no handler ran (confirmed by a person, say)
        else:
            detail = _variant_detail(variant, target, item.last_error)
            PostVariant.objects.filter(pk=variant.pk).update(state=target, detail=detail)
            refresh_post_state(variant.post_id)
        changed += 1
    return changed


def _variant_detail(variant: PostVariant, state: str, error: str) -> str:
    if state == VariantState.UNCONFIRMED:
        account = (variant.channel.identity or {}).get("url") or ""
        return _(
            "Unconfirmed — check the account%(where)s: Hearth does not know whether %(channel)s "
            "published it (%(error)s). If it is there, confirm it; if not, send it again."
        ) % {
            "where": f" ({account})" if account else "",
            "channel": variant.channel.name,
            "error": error.split(" It may or may not")[0].rstrip(". ") or _("no answer"),
        }
    if state == VariantState.HELD:
        return _(
            "Held: %(channel)s needs re-authorisation. It will be published once the channel is "
            "reconnected."
        ) % {"channel": variant.channel.name}
    if state == VariantState.FAILED:
        return _("%(channel)s refused it: %(error)s") % {
            "channel": variant.channel.name,
            "error": error,
        }
    return ""


_ORDER = (
    (VariantState.UNCONFIRMED, PostState.UNCONFIRMED),
    (VariantState.FAILED, PostState.FAILED),
    (VariantState.HELD, PostState.HELD),
    (VariantState.SENDING, PostState.PUBLISHING),
    (VariantState.PENDING, PostState.PUBLISHING),
)


def refresh_post_state(post_id: int) -> None:
    """The post's state from its variants' (the most urgent wins); the author is told once
    when it becomes failed, unconfirmed or held."""
    post = Post.objects.select_related("workspace", "author").filter(pk=post_id).first()
    if post is None or post.state not in (
        PostState.PUBLISHING,
        PostState.FAILED,
        PostState.UNCONFIRMED,
        PostState.HELD,
        PostState.PUBLISHED,
    ):
        return
    variants = list(post.variants.all())
    states = {v.state for v in variants}
    state = PostState.PUBLISHED
    for variant_state, post_state in _ORDER:
        if variant_state in states:
            state = post_state
            break
    if state == post.state:
        return
    now = timezone.now()
    details = " ".join(v.detail for v in variants if v.detail)
    fields = {
        "state": state,
        "state_detail": details,
        "updated_at": now,
        "hold_reason": HoldReason.REAUTH if state == PostState.HELD else "",
    }
    if state == PostState.PUBLISHED:
        fields["published_at"] = now
    Post.objects.filter(pk=post.pk).update(**fields)
    audit.record(
        f"publishing.post.{state}",
        by=Actor.system(),
        workspace=post.workspace,
        target=post,
        data={"detail": details[:500]},
    )
    if state in (PostState.FAILED, PostState.UNCONFIRMED, PostState.HELD):
        _tell_author(post, state, details)


def _tell_author(post: Post, state: str, detail: str) -> None:
    """E-mail the post's author (through notify's outbox delivery) once per state reached."""
    email = post.author.email if post.author is not None else ""
    if not email:
        return
    link = absolute_url(reverse("publishing:post", args=[post.pk]))
    with translation.override(settings.LANGUAGE_CODE):
        subject = {
            "failed": _("[Hearth] Your post “%(title)s” was not published"),
            "unconfirmed": _("[Hearth] Check whether your post “%(title)s” was published"),
            "held": _("[Hearth] Your post “%(title)s” is held"),
        }[state] % {"title": str(post)}
        body = _("%(detail)s\n\nSee the post and what to do: %(link)s") % {
            "detail": detail,
            "link": link,
        }
    deliver(
        post.workspace_id,
        action="post_state",
        key=f"post-state:{post.pk}:{state}:{int(timezone.now().timestamp())}",
        ref=("post", post.pk),
        email={"to": [email], "subject": subject, "body": body},
    )


@transaction.atomic
def confirm_published(
    variant: PostVariant, *, by: Actor, external_id: str = "", url: str = ""
) -> PostVariant:
    """A person checked the account: the unconfirmed variant is there. With its id and URL
    (from the platform), they are stored like a send's.

    Preconditions: the actor may PUBLISH; the variant is unconfirmed.
    Side effects: the outbox item marked sent, the variant published, the post's state, an
    audit entry.
    """
    check_actor(by, variant.post.workspace_id, Perm.PUBLISH)
    if variant.state != VariantState.UNCONFIRMED or variant.outbox_item is None:
        raise ActionError(_("Only an unconfirmed post can be confirmed."))
    item = variant.outbox_item
    outbox.confirm_sent(item, external_id=external_id.strip())
    PostVariant.objects.filter(pk=variant.pk).update(
        state=VariantState.PUBLISHED,
        external_id=external_id.strip()[:191],
        external_url=url.strip()[:500],
        published_at=timezone.now(),
        detail="",
    )
    refresh_post_state(variant.post_id)
    audit.record(
        "publishing.variant.confirm",
        by=by,
        workspace=variant.post.workspace,
        target=variant.post,
        data={"channel": variant.channel_id, "external_id": external_id},
    )
    variant.refresh_from_db()
    return variant


@transaction.atomic
def send_again(variant: PostVariant, *, by: Actor) -> PostVariant:
    """A person checked the account and the post is not there (unconfirmed), or fixed what made
    it fail: send it again, once.

    Preconditions: the actor may PUBLISH; the variant failed or is unconfirmed.
    Side effects: its outbox item queued again (sent after commit), the post publishing, an
    audit entry.
    """
    check_actor(by, variant.post.workspace_id, Perm.PUBLISH)
    if variant.state not in (VariantState.FAILED, VariantState.UNCONFIRMED) or (
        variant.outbox_item is None
    ):
        raise ActionError(_("Only a failed or unconfirmed post can be sent again."))
    if not outbox.requeue(variant.outbox_item):
        raise ActionError(_("This post is already being sent again."))
    PostVariant.objects.filter(pk=variant.pk).update(state=VariantState.SENDING, detail="")
    Post.objects.filter(pk=variant.post_id).update(
        state=PostState.PUBLISHING, state_detail="", updated_at=timezone.now()
    )
    audit.record(
        "publishing.variant.send_again",
        by=by,
        workspace=variant.post.workspace,
        target=variant.post,
        data={"channel": variant.channel_id},
    )
    variant.refresh_from_db()
    return variant
