"""Publishing pages: the calendar, the composer, a post's page, the crisis brake, approvals, and
the client's review page (no account). Thin: parse → access → one action → render."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.channels.models import Channel
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.publishing import besttime, calendar, metrics, rules, slots
from hearth.publishing.access import (
    access_member_message,
    access_note,
    access_post,
    access_review_link,
    access_share_permission,
    access_variant,
)
from hearth.publishing.actions import approvals, brake, planning, posts, publish, shortlinks, ugc
from hearth.publishing.media import human_size
from hearth.publishing.models import (
    ApprovalMode,
    CalendarNote,
    ContentClass,
    MediaAsset,
    NoteKind,
    Post,
    PostState,
    PublishingSlot,
    ReviewLink,
    SharePermission,
    Snippet,
    Theme,
    VariantState,
)


def _membership(request: AuthenticatedRequest, perm: Perm = Perm.VIEW) -> Membership:
    membership = request.membership
    if membership is None:
        raise Http404("No workspace.")
    if not membership.can(perm):
        raise PermissionDenied
    return membership


def _anchor(value: str | None) -> date:
    parsed = parse_date(value or "") if value else None
    return parsed or timezone.localdate()


def _when(value: str) -> datetime | None:
    """A datetime-local field (the workspace's time zone) as an aware datetime."""
    parsed = parse_datetime(value.strip()) if value and value.strip() else None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
    return parsed


def _publishing_channels(membership: Membership) -> list[Channel]:
    return [
        c
        for c in Channel.objects.filter(workspace=membership.workspace, deleted_at=None)
        if rules.can_publish(c)
    ]


def _render_chips(days: list[calendar.Day], *, can_move: bool) -> None:
    """Each chip's HTML, made here rather than by a template include per chip: a month shows a
    few hundred chips, and plain escaped strings make them about ten times faster (`hearth
    bench calendar`). Every value from the database goes through `escape`."""
    prefix = reverse("publishing:post", args=[0])[: -len("0/")]
    untitled = str(_("(untitled)"))
    drag = ' draggable="true"' if can_move else ""
    for day in days:
        for chip in day.chips:
            title = chip.title or untitled
            short = title if len(title) <= 38 else title[:37] + "…"
            chip.html = mark_safe(  # type: ignore[attr-defined]  # noqa: S308 - every value escaped
                f'<a href="{prefix}{chip.id}/" class="chip state-{escape(chip.state)} '
                f'class-{escape(chip.content_class)}" data-post="{chip.id}" '
                f'data-testid="chip-{chip.id}"{drag} '
                f'title="{escape(title)} · {escape(", ".join(chip.channels))}">'
                f"<time>{chip.at:%H:%M}</time> "
                f'<span class="chip-title">{escape(short)}</span> '
                f'<small class="chip-channels">{escape(" · ".join(chip.channels))}</small></a>'
            )


def _render_slots(days: list[calendar.Day]) -> None:
    """Each day's slots as one escaped string (a week holds dozens: see `_render_chips`)."""
    words = {"free": str(_("free slot")), "taken": str(_("taken")), "past": str(_("past"))}
    for day in days:
        day.slots_html = mark_safe(  # type: ignore[attr-defined]  # noqa: S308 - every value escaped
            "".join(
                f'<li class="slot {kind}" data-testid="slot">'
                f"<time>{s.at:%H:%M}</time> {escape(s.channel)} <small>{words[kind]}</small></li>"
                for s in day.slots
                for kind in ("taken" if not s.free else "past" if s.past else "free",)
            )
        )


@login_required
def calendar_view(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    view = request.GET.get("view", "month")
    if view not in ("month", "week", "list"):
        view = "month"
    anchor = _anchor(request.GET.get("date"))
    filters = calendar.Filters.from_query(request.GET)
    settings = posts.publishing_settings(workspace)
    context: dict[str, Any] = {
        "view": view,
        "anchor": anchor,
        "filters": filters,
        "filter_query": filters.query(),
        "settings": settings,
        "can_publish": membership.can(Perm.PUBLISH),
        "channels": Channel.objects.filter(workspace=workspace, deleted_at=None),
        "authors": Membership.objects.filter(workspace=workspace).select_related("user"),
        "campaigns": Post.objects.filter(workspace=workspace)
        .exclude(campaign="")
        .values_list("campaign", flat=True)
        .distinct()
        .order_by("campaign")[:100],
        "states": PostState.choices,
        "today": timezone.localdate(),
    }
    can_move = membership.can(Perm.PUBLISH)
    if view == "month":
        context["weeks"] = calendar.month(workspace, anchor, filters)
        all_days = [d for week in context["weeks"] for d in week]
        _render_chips(all_days, can_move=can_move)
        calendar.attach_notes(workspace, all_days)
        first = anchor.replace(day=1)
        context["prev"] = (first - timedelta(days=1)).replace(day=1)
        context["next"] = (first + timedelta(days=32)).replace(day=1)
    elif view == "week":
        context["days"] = calendar.week(workspace, anchor, filters)
        _render_chips(context["days"], can_move=can_move)
        calendar.attach_notes(workspace, context["days"])
        calendar.attach_slots(workspace, context["days"], filters)
        _render_slots(context["days"])
        context["prev"] = anchor - timedelta(days=7)
        context["next"] = anchor + timedelta(days=7)
    else:
        context["posts"] = calendar.listing(workspace, anchor, filters)
        context["notes"] = calendar.notes_from(workspace, anchor)
        context["prev"] = anchor - timedelta(days=30)
        context["next"] = anchor + timedelta(days=30)
    if view != "list":
        start, end = calendar.range_of(view, anchor)
        counted = calendar.planned_counts(workspace, start, end, filters)
        context["mix"] = calendar.content_mix(
            workspace, start, end, settings.max_promotion_share, filters, counted
        )
        context["themes"] = calendar.theme_share(workspace, start, end, filters, counted)
    return render(request, "publishing/calendar.html", context)


@login_required
@require_POST
def move(request: AuthenticatedRequest, post_id: int) -> HttpResponse:
    """Drag and drop: the post keeps its time of day on the day it was dropped on."""
    membership = _membership(request, Perm.PUBLISH)
    post = access_post(membership, post_id, Perm.PUBLISH)
    day = parse_date(request.POST.get("date", ""))
    if day is None:
        return JsonResponse({"error": _("Drop the post on a day.")}, status=400)
    current = timezone.localtime(post.scheduled_at) if post.scheduled_at else None
    at = current.timetz() if current else datetime.min.time().replace(hour=9)
    when = timezone.make_aware(
        datetime.combine(day, at.replace(tzinfo=None)), timezone.get_current_timezone()
    )
    try:
        posts.move_post(post, when, by=Actor.from_request(request))
    except ActionError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"id": post.pk, "scheduled_at": when.isoformat()})


# The composer ---------------------------------------------------------------------------------


def _post_in(request: HttpRequest, channels: dict[int, Channel]) -> posts.PostIn:
    data = request.POST
    chosen = [int(c) for c in data.getlist("channels") if c.isdigit() and int(c) in channels]
    variants = []
    for cid in chosen:
        media: list[dict[str, Any]] = [
            {"asset_id": int(i)}
            for i in data.get(f"v{cid}-assets", "").split(",")
            if i.strip().isdigit()
        ]
        for line in data.get(f"v{cid}-media", "").splitlines():
            url, _sep, alt = line.partition("|")
            if url.strip():
                kind = (
                    "video" if url.strip().lower().endswith((".mp4", ".mov", ".webm")) else "image"
                )
                media.append({"url": url.strip(), "alt": alt.strip(), "type": kind})
        variants.append(
            posts.VariantIn(
                channel_id=cid,
                text=data.get(f"v{cid}-text", ""),
                link=data.get(f"v{cid}-link", ""),
                media=media,
                first_comment=data.get(f"v{cid}-first_comment", ""),
            )
        )
    return posts.PostIn(
        variants=variants,
        title=data.get("title", ""),
        campaign=data.get("campaign", ""),
        labels=[x.strip() for x in data.get("labels", "").split(",") if x.strip()],
        content_class=data.get("content_class", ContentClass.VALUE),
        scheduled_at=_when(data.get("scheduled_at", "")),
        theme_id=int(data["theme"]) if data.get("theme", "").isdigit() else None,
    )


def asset_json(asset: MediaAsset) -> dict[str, Any]:
    """What the composer's script knows of a library file (to attach, check and preview it)."""
    return {
        "id": asset.pk,
        "name": asset.name,
        "type": asset.kind,
        "content_type": asset.content_type,
        "size": asset.size,
        "size_text": human_size(asset.size),
        "alt": asset.alt_text,
        "url": reverse("publishing:media_file", args=[asset.pk]),
    }


def _composer_context(membership: Membership, post: Post | None) -> dict[str, Any]:
    channels = _publishing_channels(membership)
    variants = {v.channel_id: v for v in post.variants.all()} if post else {}
    has_slots = set(
        PublishingSlot.objects.filter(workspace=membership.workspace).values_list(
            "channel_id", flat=True
        )
    )
    rows = [
        {
            "channel": c,
            "variant": variants.get(c.pk),
            "has_slots": c.pk in has_slots,
            "media": "\n".join(
                f"{m.get('url', '')} | {m.get('alt', '')}"
                for m in (variants[c.pk].media or [])
                if not m.get("asset_id")
            )
            if c.pk in variants
            else "",
            "assets": ",".join(
                str(m["asset_id"]) for m in (variants[c.pk].media or []) if m.get("asset_id")
            )
            if c.pk in variants
            else "",
        }
        for c in channels
    ]
    assets = MediaAsset.objects.filter(workspace=membership.workspace)[:200]
    snippets = Snippet.objects.filter(workspace=membership.workspace)
    scheduled = timezone.localtime(post.scheduled_at) if post and post.scheduled_at else None
    return {
        "post": post,
        "rows": rows,
        "rules": rules.rules_json(channels),
        "classes": ContentClass.choices,
        "themes": Theme.objects.filter(workspace=membership.workspace),
        "scheduled_value": scheduled.strftime("%Y-%m-%dT%H:%M") if scheduled else "",
        "needs_review": posts.publishing_settings(membership.workspace).approval_mode
        != ApprovalMode.NONE,
        "problems": posts.post_problems(post) if post else [],
        "library": [asset_json(a) for a in assets],
        "snippets": snippets,
        "js_messages": {
            "too_many_videos": _("%(channel)s: at most %(max)s video per post."),
            "no_mix": _("%(channel)s does not mix images and a video: keep one kind."),
            "bad_type": _("%(channel)s does not take “%(name)s” (%(type)s)."),
            "too_heavy": _("%(channel)s takes files up to %(max)s; “%(name)s” weighs %(size)s."),
            "no_alt": _("%(channel)s: describe “%(name)s” (alt text) in the media library."),
            "wrong_kind": _("%(channel)s does not take %(type)s media: remove “%(name)s”."),
            "attach": _("Attach to %(channel)s"),
            "detach": _("Remove"),
            "uploading": _("Uploading…"),
            "uploaded": _("“%(name)s” is in the library."),
            "alt_saved": _("Description saved."),
            "shortened": _("%(count)s link(s) shortened."),
            "no_links": _("No web address to shorten in this variant."),
            "alt_placeholder": _("Alt text: describe it for people who cannot see it"),
            "alt_label": _("Alt text"),
            "save_alt": _("Save the description"),
            "too_long": _("%(channel)s: %(over)s characters too many."),
            "too_many_media": _("%(channel)s: at most %(max)s media."),
            "no_first_comment": _("%(channel)s does not take a first comment."),
            "empty": _("%(channel)s: the variant is empty."),
            "saved": _("Draft saved at %(time)s."),
            "saving": _("Saving…"),
            "not_saved": _("Not saved: %(error)s"),
            "ok": _("Every variant follows its platform's rules."),
        },
    }


@login_required
def compose(request: AuthenticatedRequest, post_id: int | None = None) -> HttpResponse:
    membership = _membership(request, Perm.PUBLISH)
    post = access_post(membership, post_id, Perm.PUBLISH) if post_id is not None else None
    if request.method == "POST":
        channels = {c.pk: c for c in _publishing_channels(membership)}
        data = _post_in(request, channels)
        by = Actor.from_request(request)
        intent = request.POST.get("intent", "save")
        try:
            if post is None:
                post = posts.create_post(membership.workspace, data, by=by)
            else:
                post = posts.update_post(post, data, by=by)
            if intent == "submit":
                approvals.submit_for_review(post, by=by)
                flash.success(request, _("The post was submitted for review."))
            elif intent == "queue":
                placed = planning.queue_post(post, by=by)
                flash.success(
                    request,
                    _("Added to the queue: %(when)s.")
                    % {
                        "when": ", ".join(
                            f"{p.variants.get().channel.name} "
                            f"{timezone.localtime(p.scheduled_at):%Y-%m-%d %H:%M}"
                            for p in placed
                            if p.scheduled_at
                        )
                    },
                )
            elif intent == "schedule":
                if data.scheduled_at is None:
                    raise ActionError(_("Choose when to publish the post."))
                posts.schedule_post(post, data.scheduled_at, by=by)
                flash.success(request, _("The post is scheduled."))
            else:
                flash.success(request, _("The draft is saved."))
        except ActionError as exc:
            flash.error(request, str(exc))
            if post is not None:
                return redirect("publishing:edit", post.pk)
            context = _composer_context(membership, None)
            context["error"] = str(exc)
            return render(request, "publishing/compose.html", context, status=400)
        return redirect("publishing:post", post.pk)
    return render(request, "publishing/compose.html", _composer_context(membership, post))


@login_required
@require_POST
def autosave(request: AuthenticatedRequest) -> HttpResponse:
    """The composer saves the draft by itself a few seconds after each change."""
    membership = _membership(request, Perm.PUBLISH)
    channels = {c.pk: c for c in _publishing_channels(membership)}
    data = _post_in(request, channels)
    by = Actor.from_request(request)
    raw_id = request.POST.get("post_id", "")
    try:
        if raw_id:
            post = posts.update_post(access_post(membership, raw_id, Perm.PUBLISH), data, by=by)
        else:
            post = posts.create_post(membership.workspace, data, by=by)
    except ActionError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(
        {
            "id": post.pk,
            "edit_url": reverse("publishing:edit", args=[post.pk]),
            "saved_at": timezone.localtime().strftime("%H:%M:%S"),
            "state": post.state,
        }
    )


# A post's page --------------------------------------------------------------------------------


@login_required
def post_detail(request: AuthenticatedRequest, post_id: int) -> HttpResponse:
    membership = _membership(request)
    post = access_post(membership, post_id)
    steps = approvals.steps_of(post.workspace_id)
    step = (
        steps[post.review_step]
        if post.state == PostState.IN_REVIEW and post.review_step < len(steps)
        else None
    )
    return render(
        request,
        "publishing/post.html",
        {
            "post": post,
            "variants": post.variants.select_related("channel", "outbox_item"),
            "comments": post.comments.all(),
            "steps": steps,
            "step": step,
            "can_publish": membership.can(Perm.PUBLISH),
            "can_approve": step is not None
            and not step.by_client
            and (
                request.user in step.approvers.all()
                if step.approvers.exists()
                else membership.can(Perm.APPROVE_POSTS)
            ),
            "can_links": membership.can(Perm.APPROVE_POSTS),
            "links": post.review_links.all(),
            "new_link": request.session.pop("publishing_new_link", None),
            "problems": posts.post_problems(post) if post.is_editable else [],
            "short_links": shortlinks.links_with_clicks(post),
            "VariantState": VariantState,
            "series": metrics.series_of(post),
            "replies": metrics.replies_of(post),
        },
    )


def _post_action(
    request: AuthenticatedRequest, post_id: int, perm: Perm, do: Any, done: str
) -> HttpResponse:
    membership = _membership(request)
    post = access_post(membership, post_id, perm)
    try:
        do(post, Actor.from_request(request))
        flash.success(request, done)
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("publishing:post", post.pk)


@login_required
@require_POST
def post_decide(request: AuthenticatedRequest, post_id: int) -> HttpResponse:
    decision = request.POST.get("decision", "")
    text = request.POST.get("text", "")
    if decision == "approve":
        return _post_action(
            request,
            post_id,
            Perm.VIEW,
            lambda p, by: approvals.approve_post(p, by=by, text=text),
            _("Approved."),
        )
    if decision == "changes":
        return _post_action(
            request,
            post_id,
            Perm.VIEW,
            lambda p, by: approvals.request_changes(p, by=by, text=text),
            _("Changes requested."),
        )
    if decision == "submit":
        return _post_action(
            request,
            post_id,
            Perm.PUBLISH,
            lambda p, by: approvals.submit_for_review(p, by=by),
            _("The post was submitted for review."),
        )
    if decision == "unschedule":
        return _post_action(
            request,
            post_id,
            Perm.PUBLISH,
            lambda p, by: posts.unschedule_post(p, by=by),
            _("The post is off the schedule."),
        )
    if decision == "schedule":
        when = _when(request.POST.get("scheduled_at", ""))
        if when is None:
            flash.error(request, _("Choose when to publish the post."))
            return redirect("publishing:post", post_id)
        return _post_action(
            request,
            post_id,
            Perm.PUBLISH,
            lambda p, by: posts.schedule_post(p, when, by=by),
            _("The post is scheduled."),
        )
    return _post_action(
        request,
        post_id,
        Perm.VIEW,
        lambda p, by: approvals.comment_on_post(p, by=by, text=text),
        _("Comment added."),
    )


@login_required
@require_POST
def post_delete(request: AuthenticatedRequest, post_id: int) -> HttpResponse:
    membership = _membership(request)
    post = access_post(membership, post_id, Perm.PUBLISH)
    try:
        posts.delete_post(post, by=Actor.from_request(request))
    except ActionError as exc:
        flash.error(request, str(exc))
        return redirect("publishing:post", post.pk)
    flash.success(request, _("The post was deleted."))
    return redirect("publishing:calendar")


@login_required
@require_POST
def variant_action(request: AuthenticatedRequest, variant_id: int) -> HttpResponse:
    membership = _membership(request)
    variant = access_variant(membership, variant_id)
    by = Actor.from_request(request)
    try:
        if request.POST.get("do") == "confirm":
            publish.confirm_published(
                variant,
                by=by,
                external_id=request.POST.get("external_id", ""),
                url=request.POST.get("url", ""),
            )
            flash.success(request, _("Marked as published."))
        else:
            publish.send_again(variant, by=by)
            flash.success(request, _("It will be sent again once."))
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("publishing:post", variant.post_id)


# Review links ----------------------------------------------------------------------------------


@login_required
@require_POST
def link_create(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.APPROVE_POSTS)
    ids = [i for i in request.POST.getlist("posts") if i.isdigit()]
    chosen = [access_post(membership, i) for i in ids]
    try:
        days = int(request.POST.get("days") or 14)
        link, token = approvals.create_review_link(
            membership.workspace,
            request.POST.get("name", ""),
            chosen,
            by=Actor.from_request(request),
            days=days,
        )
    except (ActionError, ValueError) as exc:
        flash.error(request, str(exc))
        return redirect(request.POST.get("next") or "publishing:calendar")
    request.session["publishing_new_link"] = request.build_absolute_uri(
        reverse("publishing:review", args=[token])
    )
    flash.success(request, _("The review link is ready: copy it now, it is shown only once."))
    return redirect(request.POST.get("next") or reverse("publishing:post", args=[chosen[0].pk]))


@login_required
@require_POST
def link_revoke(request: AuthenticatedRequest, link_id: int) -> HttpResponse:
    membership = _membership(request)
    link = access_review_link(membership, link_id)
    approvals.revoke_review_link(link, by=Actor.from_request(request))
    flash.success(request, _("The review link no longer opens."))
    return redirect(request.POST.get("next") or "publishing:calendar")


def review(request: HttpRequest, token: str) -> HttpResponse:
    """The client's page: no account, only the link's signed token."""
    link = ReviewLink.find(token)
    if link is None:
        return render(request, "publishing/review_gone.html", status=404)
    if request.method == "POST":
        post_id = request.POST.get("post", "")
        try:
            approvals.client_decides(
                link,
                int(post_id) if post_id.isdigit() else 0,
                request.POST.get("decision", ""),
                client_name=request.POST.get("name", ""),
                text=request.POST.get("text", ""),
            )
            flash.success(request, _("Thank you, your answer was recorded."))
        except ActionError as exc:
            flash.error(request, str(exc))
        return redirect("publishing:review", token)
    shown = link.posts.prefetch_related("variants__channel", "comments").order_by(
        "scheduled_at", "id"
    )
    channels = [v.channel for p in shown for v in p.variants.all()]
    return render(
        request,
        "publishing/review.html",
        {
            "link": link,
            "posts": shown,
            "rules": rules.rules_json(channels),
            "review_token": token,
        },
    )


# The crisis brake and approvals settings -------------------------------------------------------


@login_required
@require_POST
def pause(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.PUBLISH)
    held = brake.pause_publishing(
        membership.workspace, by=Actor.from_request(request), reason=request.POST.get("reason", "")
    )
    flash.warning(
        request,
        _("Publishing is paused: %(n)s scheduled posts are held until you resume.") % {"n": held},
    )
    return redirect(request.POST.get("next") or "publishing:calendar")


@login_required
def resume(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.PUBLISH)
    by = Actor.from_request(request)
    if request.method == "POST":
        try:
            if request.POST.get("do") == "resume":
                brake.resume_publishing(membership.workspace, by=by)
                flash.success(request, _("Publishing is resumed. Decide for each held post below."))
            else:
                post = access_post(membership, request.POST.get("post", ""), Perm.PUBLISH)
                if request.POST.get("do") == "drop":
                    brake.drop_held(post, by=by)
                    flash.success(request, _("The post will not go out; it is back in the drafts."))
                else:
                    when = _when(request.POST.get("scheduled_at", ""))
                    if when is None:
                        raise ActionError(_("Choose when to publish the post."))
                    brake.reschedule_held(post, when, by=by)
                    flash.success(request, _("The post is scheduled again."))
        except ActionError as exc:
            flash.error(request, str(exc))
        return redirect("publishing:resume")
    held = brake.held_by_pause(membership.workspace)
    for post in held:
        local = timezone.localtime(
            max(post.scheduled_at or timezone.now(), timezone.now() + timedelta(minutes=10))
        )
        post.suggested = local.strftime("%Y-%m-%dT%H:%M")  # type: ignore[attr-defined]
    return render(
        request,
        "publishing/resume.html",
        {"held": held, "settings": posts.publishing_settings(membership.workspace)},
    )


@login_required
def approval_settings(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request, Perm.APPROVE_POSTS)
    workspace = membership.workspace
    members = {
        m.user.email.lower(): m.user
        for m in Membership.objects.filter(workspace=workspace).select_related("user")
    }
    if request.method == "POST":
        steps = []
        error = ""
        for line in request.POST.get("steps", "").splitlines():
            if not line.strip():
                continue
            name, _sep, who = line.partition(":")
            client = "[client]" in name
            ids = []
            for email in (e.strip().lower() for e in who.split(",") if e.strip()):
                if email not in members:
                    error = _("%(email)s is not a member of the workspace.") % {"email": email}
                    break
                ids.append(members[email].pk)
            steps.append(
                {
                    "name": name.replace("[client]", "").strip(),
                    "approver_ids": ids,
                    "by_client": client,
                }
            )
        try:
            if error:
                raise ActionError(error)
            approvals.configure_approvals(
                workspace, request.POST.get("mode", "none"), steps, by=Actor.from_request(request)
            )
            share = request.POST.get("max_promotion_share", "")
            if share:
                posts.set_promotion_share(
                    workspace, int(share) / 100, by=Actor.from_request(request)
                )
            flash.success(request, _("The approval workflow is saved."))
            return redirect("publishing:approvals")
        except (ActionError, ValueError) as exc:
            flash.error(request, str(exc))
    current = approvals.steps_of(workspace)
    text = "\n".join(
        f"{s.name}{' [client]' if s.by_client else ''}: {', '.join(u.email for u in s.approvers.all())}"
        for s in current
    )
    settings = posts.publishing_settings(workspace)
    return render(
        request,
        "publishing/approvals.html",
        {
            "settings": settings,
            "steps_text": request.POST.get("steps", text) if request.method == "POST" else text,
            "modes": ApprovalMode.choices,
            "share": round(settings.max_promotion_share * 100),
            "links": ReviewLink.objects.filter(workspace=workspace).prefetch_related("posts")[:50],
        },
    )


@login_required
def best_time_view(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    channels = list(Channel.objects.filter(workspace=membership.workspace, deleted_at=None))
    raw = request.GET.get("channel", "")
    channel = next((c for c in channels if str(c.pk) == raw), channels[0] if channels else None)
    found = besttime.best_time(channel) if channel else None
    names = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    return render(
        request,
        "publishing/best_time.html",
        {
            "channels": channels,
            "channel": channel,
            "best": found,
            "rows": [(names[d], cells) for d, cells in found.rows()] if found else [],
            "suggestions": [(names[d], h, round(100 * s)) for d, h, s in found.suggestions()]
            if found
            else [],
            "hours": range(24),
        },
    )


# Members' content ----------------------------------------------------------------------------


@login_required
@require_POST
def ask_share(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    membership = _membership(request, Perm.PUBLISH)
    message = access_member_message(membership, message_id)
    try:
        ugc.ask_permission_to_share(message, by=Actor.from_request(request))
        flash.success(
            request, _("The member is asked; their answer will show on the Shared content page.")
        )
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("publishing:shared")


@login_required
def shared(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    permissions = (
        SharePermission.objects.filter(workspace=membership.workspace)
        .select_related("message", "message__channel", "request_item")
        .prefetch_related("posts")[:200]
    )
    return render(
        request,
        "publishing/shared.html",
        {
            "permissions": permissions,
            "channels": _publishing_channels(membership),
            "can_publish": membership.can(Perm.PUBLISH),
        },
    )


@login_required
@require_POST
def shared_action(request: AuthenticatedRequest, permission_id: int) -> HttpResponse:
    membership = _membership(request, Perm.PUBLISH)
    permission = access_share_permission(membership, permission_id)
    by = Actor.from_request(request)
    do = request.POST.get("do", "")
    try:
        if do in ("granted", "refused"):
            ugc.record_answer(permission, do == "granted", by=by, note=request.POST.get("note", ""))
            flash.success(request, _("The answer is recorded."))
        else:
            ids = [int(c) for c in request.POST.getlist("channels") if c.isdigit()]
            allowed = {c.pk for c in _publishing_channels(membership)}
            post = ugc.post_from_member(
                permission,
                [i for i in ids if i in allowed],
                by=by,
                comment=request.POST.get("comment", ""),
            )
            return redirect("publishing:edit", post.pk)
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("publishing:shared")


# Planning: suggestions, notes and key dates, slots and the editorial line -------------------------


@login_required
def suggest(request: AuthenticatedRequest, channel_id: int) -> HttpResponse:
    """The composer's suggested times for one channel (an htmx fragment)."""
    membership = _membership(request, Perm.PUBLISH)
    channel = next((c for c in _publishing_channels(membership) if c.pk == channel_id), None)
    if channel is None:
        raise Http404("No such channel.")
    return render(
        request,
        "publishing/_suggestions.html",
        {"found": slots.suggest(channel), "channel": channel},
    )


def _note_in(request: HttpRequest) -> planning.NoteIn:
    data = request.POST
    return planning.NoteIn(
        title=data.get("title", ""),
        starts_on=parse_date(data.get("starts_on", "") or ""),
        ends_on=parse_date(data.get("ends_on", "") or ""),
        kind=data.get("kind", NoteKind.NOTE),
        text=data.get("text", ""),
    )


@login_required
def notes(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    error = ""
    if request.method == "POST":
        membership = _membership(request, Perm.PUBLISH)
        try:
            note = planning.create_note(
                membership.workspace, _note_in(request), by=Actor.from_request(request)
            )
            flash.success(request, _("The note is on the calendar."))
            return redirect(
                reverse("publishing:calendar") + f"?view=week&date={note.starts_on.isoformat()}"
            )
        except ActionError as exc:
            error = str(exc)
    found = CalendarNote.objects.filter(workspace=membership.workspace).order_by("-starts_on")[:200]
    return render(
        request,
        "publishing/notes.html",
        {
            "notes": found,
            "kinds": NoteKind.choices,
            "error": error,
            "form": request.POST if request.method == "POST" else {},
            "can_publish": membership.can(Perm.PUBLISH),
        },
        status=400 if error else 200,
    )


@login_required
def note_edit(request: AuthenticatedRequest, note_id: int) -> HttpResponse:
    membership = _membership(request, Perm.PUBLISH)
    note = access_note(membership, note_id)
    error = ""
    if request.method == "POST":
        by = Actor.from_request(request)
        try:
            if request.POST.get("do") == "delete":
                planning.delete_note(note, by=by)
                flash.success(request, _("The note was deleted."))
            else:
                planning.update_note(note, _note_in(request), by=by)
                flash.success(request, _("The note is saved."))
            return redirect("publishing:notes")
        except ActionError as exc:
            error = str(exc)
    return render(
        request,
        "publishing/note_edit.html",
        {"note": note, "kinds": NoteKind.choices, "error": error},
        status=400 if error else 200,
    )


@login_required
def planning_settings(request: AuthenticatedRequest) -> HttpResponse:
    """Each channel's recurring slots, and the editorial line (themes and targets)."""
    membership = _membership(request, Perm.PUBLISH)
    workspace = membership.workspace
    by = Actor.from_request(request)
    channels = _publishing_channels(membership)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("do") == "themes":
                if not membership.can(Perm.APPROVE_POSTS):
                    raise PermissionDenied
                planning.set_themes(
                    workspace, planning.parse_themes(request.POST.get("themes", "")), by=by
                )
                flash.success(request, _("The editorial line is saved."))
            else:
                channel = next(
                    (c for c in channels if str(c.pk) == request.POST.get("channel", "")), None
                )
                if channel is None:
                    raise ActionError(_("Choose a channel that can publish."))
                count = planning.set_slots(
                    channel, planning.parse_slots(request.POST.get("slots", "")), by=by
                )
                flash.success(
                    request,
                    _("%(channel)s has %(n)s slots a week.")
                    % {"channel": channel.name, "n": count},
                )
            return redirect("publishing:planning")
        except ActionError as exc:
            error = str(exc)
    day_names = [_("mon"), _("tue"), _("wed"), _("thu"), _("fri"), _("sat"), _("sun")]
    by_channel: dict[int, list[str]] = {}
    for slot in PublishingSlot.objects.filter(workspace=workspace):
        by_channel.setdefault(slot.channel_id, []).append(
            f"{day_names[slot.weekday]} {slot.time:%H:%M}"
        )
    themes = Theme.objects.filter(workspace=workspace)
    return render(
        request,
        "publishing/planning.html",
        {
            "rows": [
                {
                    "channel": c,
                    "slots": "\n".join(by_channel.get(c.pk, [])),
                    "next": slots.free_slots(c, 3) if c.pk in by_channel else [],
                }
                for c in channels
            ],
            "themes_text": request.POST.get("themes", "")
            if error and request.POST.get("do") == "themes"
            else "\n".join(f"{t.name}: {t.target_pct}" for t in themes),
            "can_themes": membership.can(Perm.APPROVE_POSTS),
            "error": error,
            "tz": timezone.get_current_timezone_name(),
        },
        status=400 if error else 200,
    )
