"""Moderation pages: thin views — parse, access, one action, render (page or htmx partial)."""

from __future__ import annotations

import csv
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Greatest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.analysis.engine import ABUSE_KINDS
from hearth.channels.models import Channel
from hearth.community.members import member_for_author
from hearth.conversations import platform_actions
from hearth.conversations.models import Author, Message, SavedReply
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import Membership, Workspace
from hearth.moderation.access import (
    access_appeal,
    access_author,
    access_entry,
    access_rule,
    access_sanction,
    access_todo,
    check_moderator,
)
from hearth.moderation.actions.appeals import decide_appeal, submit_appeal
from hearth.moderation.actions.enforce import complete_todo
from hearth.moderation.actions.hide import is_criticism
from hearth.moderation.actions.identities import identities, link_identities, unlink_identity
from hearth.moderation.actions.links import sanction_from_token
from hearth.moderation.actions.netiquette import ensure_netiquette, publish_netiquette
from hearth.moderation.actions.queue import (
    approve,
    bulk_decide,
    escalate,
    hide_entry,
    judge_label,
    mark_false_positive,
    reply_entry,
    sanction_entry,
    suggested_article,
)
from hearth.moderation.actions.reports import criticism_removed_count, moderator_stats
from hearth.moderation.actions.rules import RULE_FIELDS, delete_rule, move_rule, save_rule, try_rule
from hearth.moderation.actions.sanctions import active_sanctions, lift_sanction
from hearth.moderation.actions.second_look import SecondLookRequired
from hearth.moderation.actions.settings import moderation_settings
from hearth.moderation.models import (
    OPEN_STATUSES,
    Appeal,
    AppealStatus,
    EnforcementTodo,
    HiddenMessage,
    ModerationEvent,
    NetiquetteVersion,
    QueueEntry,
    Rule,
    RuleAction,
    Sanction,
    SanctionKind,
    SanctionStatus,
    TodoStatus,
    person_keys_of,
)

PAGE_SIZE = 50
REASONS = ("abuse", "spam", "rule")
DEFAULT_SUGGESTION = {
    "en": "Thank you for telling us. We hear your criticism and we are looking into it; we will come back to you here.",
    "fr": "Merci de nous l’avoir signalé. Nous entendons votre critique et nous regardons ce qui s’est passé\u202f; nous revenons vers vous ici.",
}


def _mod(request: AuthenticatedRequest) -> Membership:
    return check_moderator(request.membership)


def _suggestions(workspace: Workspace) -> list[dict[str, str]]:
    """Saved replies to suggest instead of hiding criticism (the inbox's, or a default text)."""
    found = [
        {"title": r.title, "lang": r.lang, "text": r.text}
        for r in SavedReply.objects.filter(workspace=workspace)[:20]
    ]
    return found or [
        {"title": _("Acknowledge the criticism"), "lang": lang, "text": text}
        for lang, text in DEFAULT_SUGGESTION.items()
    ]


# How the review queue can be ordered: crisis first (entries a rule raised an alert for, then
# newest), newest, most severe (the higher of the abuse and spam scores), oldest.
SORTS = {
    "crisis": ("-urgent", "-created_at", "-id"),
    "newest": ("-created_at", "-id"),
    "severe": ("-severity", "-created_at", "-id"),
    "oldest": ("created_at", "id"),
}


def _page_number(request: AuthenticatedRequest) -> int:
    raw = request.GET.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


@login_required
def queue(request: AuthenticatedRequest) -> HttpResponse:
    membership = _mod(request)
    workspace = membership.workspace
    reason = request.GET.get("reason", "")
    status = request.GET.get("status", "open")
    sort = request.GET.get("sort", "crisis")
    sort = sort if sort in SORTS else "crisis"
    base = QueueEntry.objects.filter(workspace=workspace)
    base = (
        base.filter(status="escalated")
        if status == "escalated"
        else base.filter(status__in=OPEN_STATUSES)
    )
    # Every reason's count in one query: the filter links show true numbers, not a page's.
    by_reason = dict(base.values_list("reason").annotate(n=Count("id")).order_by())
    counts = {r: by_reason.get(r, 0) for r in REASONS}
    total = sum(by_reason.values())
    entries = base.filter(reason=reason) if reason in REASONS else base
    shown_total = counts[reason] if reason in REASONS else total
    paginator = Paginator(range(shown_total), PAGE_SIZE)  # counted above: no second COUNT
    page = paginator.get_page(_page_number(request))
    rows = list(
        entries.select_related("message__author", "message__channel", "message__hidden")
        .annotate(severity=Greatest("message__abuse_score", "message__spam_score"))
        .order_by(*SORTS[sort])[page.start_index() - 1 if shown_total else 0 : page.end_index()]
    )
    version = ensure_netiquette(workspace)
    suggestions = _suggestions(workspace)
    for entry in rows:
        entry.criticism = is_criticism(entry.message)
        entry.suggested_article = suggested_article(entry, version.articles)
        # The reply offered to a member is in the member's language when a saved reply is.
        entry.suggested_reply = next(
            (x["text"] for x in suggestions if x["lang"] == entry.message.lang),
            suggestions[0]["text"] if suggestions else "",
        )
    # The message just acted on (hidden, sanctioned: it left the list) keeps its actions' state
    # in view, live, until they reach the platform.
    acted_id = request.GET.get("acted", "")
    acted = (
        Message.objects.select_related("channel", "hidden", "author")
        .filter(workspace=workspace, pk=int(acted_id))
        .first()
        if acted_id.isdigit()
        else None
    )
    platform_actions.attach(
        workspace.pk, [entry.message for entry in rows] + ([acted] if acted else [])
    )
    lang = (getattr(request, "LANGUAGE_CODE", "en") or "en")[:2]
    context = {
        "entries": rows,
        "acted": acted,
        "reason": reason,
        "status": status,
        "sort": sort,
        "sorts": [
            ("crisis", _("Crisis first")),
            ("newest", _("Newest")),
            ("severe", _("Most severe")),
            ("oldest", _("Oldest")),
        ],
        "reasons": REASONS,
        "counts": counts,
        "total": total,
        "shown_total": shown_total,
        "page": page,
        "open_todos": EnforcementTodo.objects.filter(
            workspace=workspace, status=TodoStatus.OPEN
        ).count(),
        "pending_appeals": Appeal.objects.filter(
            workspace=workspace, status=AppealStatus.PENDING
        ).count(),
        "articles": [
            (number, titles.get(lang) or titles.get("en") or "")
            for number, titles in sorted(version.articles.items(), key=lambda kv: int(kv[0]))
        ],
        "suggestions": suggestions,
        "reply_key": uuid.uuid4().hex,
    }
    template = "moderation/queue/_entries.html" if request.htmx else "moderation/queue/page.html"
    return render(request, template, context)


# The verbs that send something to the platform about the entry's message.
ACTED_VERBS = ("hide", "reply", "sanction")


def _back_to_queue(
    request: AuthenticatedRequest,
    acted: int | None = None,
    gone: int | None = None,
    refused: int | None = None,
) -> HttpResponse:
    """Back where the moderator was; `acted`: the message acted on, whose platform actions
    the queue keeps showing (`?acted=`); `gone`: the entry that had left the queue (`?gone=`);
    `refused`: the entry whose action was refused, the reason shown (`?refused=`)."""
    target = request.POST.get("next", "")
    if not target.startswith("/moderation/"):
        target = reverse("moderation_queue")
    marks = {"acted": acted, "gone": gone, "refused": refused}
    if any(value is not None for value in marks.values()):
        parts = urlsplit(target)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in marks]
        query += [(k, str(v)) for k, v in marks.items() if v is not None]
        target = urlunsplit(parts._replace(query=urlencode(query)))
    return redirect(target)


@login_required
@require_POST
def entry_action(request: AuthenticatedRequest, entry_id: int, verb: str) -> HttpResponse:
    try:
        entry = access_entry(_mod(request), entry_id)
    except Http404:
        # Gone between the page and the click: a teammate's bulk action, or the message read
        # again (an edit, the second analysis stage) and no longer flagged. Another workspace's
        # entry gets the very same answer, so nothing tells it exists.
        messages.info(
            request,
            _(
                "This entry is no longer in the queue: a teammate dealt with it, or the message "
                "was read again and no longer needs a review. Nothing was done."
            ),
        )
        return _back_to_queue(request, gone=entry_id)
    by = Actor.from_request(request)
    post = request.POST
    confirmed = post.get("confirm_influencer") == "1"
    try:
        if verb == "approve":
            approve(entry, by=by)
            done = _("Approved: the message stays visible.")
        elif verb == "hide":
            hide_entry(
                entry,
                by=by,
                article=post.get("article", ""),
                justification=post.get("justification", ""),
                confirm_influencer=confirmed,
            )
            done = _("Message hidden.")
        elif verb == "escalate":
            escalate(entry, by=by, note=post.get("note", ""))
            done = _("Escalated.")
        elif verb == "reply":
            reply_entry(entry, post.get("text", ""), by=by, idempotency_key=post.get("key", ""))
            done = _("Reply queued.")
        elif verb == "sanction":
            sanction = sanction_entry(
                entry,
                by=by,
                article=post.get("article", ""),
                reason=post.get("reason", ""),
                hide=post.get("hide") == "on",
                justification=post.get("justification", ""),
                confirm_influencer=confirmed,
            )
            done = _("Sanction applied: %(kind)s.") % {"kind": sanction.get_kind_display()}
        elif verb == "false_positive":
            mark_false_positive(entry, by=by)
            done = _("Approved, and the label recorded as wrong: the analysis learns from it.")
        elif verb in ("confirm", "overturn"):
            judge_label(entry, confirm=verb == "confirm", by=by)
            done = _("Label decision recorded.")
        else:
            raise Http404("No such action.")
        messages.success(request, done)
    except SecondLookRequired as exc:
        return _second_look(request, exc, entries=[entry])
    except ActionError as exc:
        messages.error(request, str(exc))
        return _back_to_queue(request, refused=entry.pk)
    return _back_to_queue(request, acted=entry.message_id if verb in ACTED_VERBS else None)


def _second_look(
    request: AuthenticatedRequest, exc: SecondLookRequired, *, entries: list[QueueEntry]
) -> HttpResponse:
    """The second step of hiding or sanctioning an influencer or a champion: the same form,
    posted again with `confirm_influencer=1` once the moderator has looked again."""
    fields = [
        (key, value)
        for key in request.POST
        if key not in ("csrfmiddlewaretoken", "confirm_influencer")
        for value in request.POST.getlist(key)
    ]
    return render(
        request,
        "moderation/queue/second_look.html",
        {
            "member": exc.member,
            "entries": entries,
            "fields": fields,
            "action": request.path,
            "back": next_url
            if (next_url := request.POST.get("next", "")).startswith("/moderation/")
            else reverse("moderation_queue"),
        },
        status=409,
    )


@login_required
@require_POST
def bulk(request: AuthenticatedRequest) -> HttpResponse:
    membership = _mod(request)
    ids = [int(i) for i in request.POST.getlist("entry") if i.isdigit()]
    try:
        changed = bulk_decide(
            membership.workspace,
            ids,
            request.POST.get("verb", ""),
            by=Actor.from_request(request),
            article=request.POST.get("article", ""),
            justification=request.POST.get("justification", ""),
            confirm_influencer=request.POST.get("confirm_influencer") == "1",
        )
        messages.success(request, _("%(count)s messages updated.") % {"count": changed})
    except SecondLookRequired as exc:
        found = QueueEntry.objects.filter(workspace=membership.workspace, pk__in=ids)
        return _second_look(request, exc, entries=list(found.select_related("message")))
    except ActionError as exc:
        messages.error(request, str(exc))
    return _back_to_queue(request)


# --- rules --------------------------------------------------------------------------------------


@login_required
def rules(request: AuthenticatedRequest) -> HttpResponse:
    membership = _mod(request)
    return render(
        request,
        "moderation/rules/list.html",
        {
            "rules": Rule.objects.filter(workspace=membership.workspace),
            "settings": moderation_settings(membership.workspace),
        },
    )


def _rule_data(request: AuthenticatedRequest) -> dict[str, Any]:
    post = request.POST
    has_link = {"yes": True, "no": False}.get(post.get("has_link", ""))
    return {
        "name": post.get("name", ""),
        "enabled": post.get("enabled") == "on",
        "article": post.get("article", ""),
        "min_abuse": post.get("min_abuse") or None,
        "abuse_kinds": post.getlist("abuse_kinds"),
        "min_spam": post.get("min_spam") or None,
        "words": post.get("words", ""),
        "patterns": post.get("patterns", ""),
        "has_link": has_link,
        "new_member_days": post.get("new_member_days") or None,
        "max_rate_per_hour": post.get("max_rate_per_hour") or None,
        "channels": post.getlist("channels"),
        "actions": post.getlist("actions"),
        "reply_text": post.get("reply_text", ""),
        "stop": post.get("stop") == "on",
    }


def _rule_context(
    workspace: Workspace, rule: Rule | None, data: dict[str, Any] | None, error: str = ""
) -> dict[str, Any]:
    version = ensure_netiquette(workspace)
    values = data or (
        {f: getattr(rule, f) for f in RULE_FIELDS if f != "position"}
        if rule
        else {"enabled": True, "actions": ["queue"], "abuse_kinds": [], "channels": []}
    )
    values["channels"] = [
        int(c) for c in values.get("channels") or [] if str(c).isdigit() or isinstance(c, int)
    ]
    return {
        "rule": rule,
        "values": values,
        "error": error,
        "abuse_kinds": [k for k in ABUSE_KINDS if k],
        "rule_actions": RuleAction.choices,
        "channels": Channel.objects.filter(workspace=workspace).order_by("name"),
        "articles": sorted(version.articles.items(), key=lambda kv: int(kv[0])),
    }


@login_required
def rule_edit(request: AuthenticatedRequest, rule_id: int | None = None) -> HttpResponse:
    membership = _mod(request)
    rule = access_rule(membership, rule_id) if rule_id is not None else None
    if request.method == "POST":
        data = _rule_data(request)
        try:
            save_rule(membership.workspace, data, rule=rule, by=Actor.from_request(request))
            messages.success(request, _("Rule saved."))
            return redirect("moderation_rules")
        except ActionError as exc:
            return render(
                request,
                "moderation/rules/edit.html",
                _rule_context(membership.workspace, rule, data, str(exc)),
                status=400,
            )
    return render(
        request, "moderation/rules/edit.html", _rule_context(membership.workspace, rule, None)
    )


@login_required
@require_POST
def rule_test(request: AuthenticatedRequest) -> HttpResponse:
    """The rule editor's "test this rule" box: matches among the last 1,000 messages, before saving."""
    membership = _mod(request)
    error = ""
    matched: list[Message] = []
    scanned = 0
    try:
        matched, scanned = try_rule(
            membership.workspace, _rule_data(request), by=Actor.from_request(request)
        )
    except ActionError as exc:
        error = str(exc)
    return render(
        request,
        "moderation/rules/_test.html",
        {"error": error, "matched": matched[:50], "count": len(matched), "scanned": scanned},
    )


@login_required
@require_POST
def rule_delete(request: AuthenticatedRequest, rule_id: int) -> HttpResponse:
    delete_rule(access_rule(_mod(request), rule_id), by=Actor.from_request(request))
    messages.success(request, _("Rule deleted."))
    return redirect("moderation_rules")


@login_required
@require_POST
def rule_move(request: AuthenticatedRequest, rule_id: int) -> HttpResponse:
    move_rule(
        access_rule(_mod(request), rule_id),
        up=request.POST.get("direction") == "up",
        by=Actor.from_request(request),
    )
    return redirect("moderation_rules")


# --- netiquette ---------------------------------------------------------------------------------


@login_required
def netiquette_edit(request: AuthenticatedRequest) -> HttpResponse:
    membership = _mod(request)
    workspace = membership.workspace
    current = ensure_netiquette(workspace)
    error = ""
    if request.method == "POST":
        try:
            version = publish_netiquette(
                workspace,
                body_fr=request.POST.get("body_fr", ""),
                body_en=request.POST.get("body_en", ""),
                note=request.POST.get("note", ""),
                by=Actor.from_request(request),
            )
            messages.success(
                request, _("Netiquette version %(number)s published.") % {"number": version.number}
            )
            return redirect("moderation_netiquette")
        except ActionError as exc:
            error = str(exc)
    shown = current
    if request.GET.get("v", "").isdigit():
        shown = (
            NetiquetteVersion.objects.filter(
                workspace=workspace, number=int(request.GET["v"])
            ).first()
            or current
        )
    return render(
        request,
        "moderation/netiquette/edit.html",
        {
            "current": current,
            "shown": shown,
            "error": error,
            "versions": NetiquetteVersion.objects.filter(workspace=workspace).select_related(
                "created_by"
            ),
            "body_fr": request.POST.get("body_fr", current.body_fr) if error else current.body_fr,
            "body_en": request.POST.get("body_en", current.body_en) if error else current.body_en,
        },
        status=400 if error else 200,
    )


def netiquette_public(request: HttpRequest, slug: str) -> HttpResponse:
    """The public netiquette: no login, ?lang=fr|en, ?v=N for an older version."""
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise Http404("No such community.")
    lang = (
        request.GET.get("lang")
        if request.GET.get("lang") in ("fr", "en")
        else (getattr(request, "LANGUAGE_CODE", "en")[:2])
    )
    lang = lang if lang in ("fr", "en") else "en"
    version = ensure_netiquette(workspace)
    if request.GET.get("v", "").isdigit():
        version = (
            NetiquetteVersion.objects.filter(
                workspace=workspace, number=int(request.GET["v"])
            ).first()
            or version
        )
    return render(
        request,
        "moderation/public/netiquette.html",
        {
            "community": workspace,
            "version": version,
            "lang": lang,
            "html": version.html(lang),
        },
    )


def appeal_public(request: HttpRequest, token: str) -> HttpResponse:
    """The member's appeal form: the signed link sent with the sanction is the only credential."""
    try:
        sanction = sanction_from_token(token)
    except LookupError:
        return render(request, "moderation/public/appeal.html", {"invalid": True}, status=404)
    error = ""
    submitted = None
    if request.method == "POST":
        try:
            submitted = submit_appeal(token, request.POST.get("text", ""))
        except ActionError as exc:
            error = str(exc)
    existing = Appeal.objects.filter(sanction=sanction).first()
    version = ensure_netiquette(sanction.workspace)
    return render(
        request,
        "moderation/public/appeal.html",
        {
            "sanction": sanction,
            "community": sanction.workspace,
            "error": error,
            "submitted": submitted,
            "existing": existing,
            "article_title": version.article_title(
                sanction.article, getattr(request, "LANGUAGE_CODE", "en")[:2]
            ),
            "text": request.POST.get("text", "") if error else "",
        },
        status=400 if error else 200,
    )


# --- sanctions, appeals, to-dos -------------------------------------------------------------------


@login_required
def sanctions(request: AuthenticatedRequest) -> HttpResponse:
    membership = _mod(request)
    workspace = membership.workspace
    return render(
        request,
        "moderation/sanctions.html",
        {
            "active": Sanction.objects.filter(workspace=workspace, status=SanctionStatus.ACTIVE)
            .exclude(kind=SanctionKind.WARNING)
            .select_related("author", "created_by")[:200],
            "recent": Sanction.objects.filter(workspace=workspace)
            .exclude(
                status=SanctionStatus.ACTIVE, kind__in=[SanctionKind.BLOCK, SanctionKind.EXCLUSION]
            )
            .select_related("author", "created_by")[:50],
            "appeals": Appeal.objects.filter(
                workspace=workspace, status=AppealStatus.PENDING
            ).select_related("sanction__author", "sanction__created_by"),
            "todos": EnforcementTodo.objects.filter(
                workspace=workspace, status=TodoStatus.OPEN
            ).select_related("channel")[:200],
            "settings": moderation_settings(workspace),
        },
    )


@login_required
@require_POST
def sanction_lift(request: AuthenticatedRequest, sanction_id: int) -> HttpResponse:
    sanction = access_sanction(_mod(request), sanction_id)
    try:
        lift_sanction(
            sanction, by=Actor.from_request(request), reason=request.POST.get("reason", "")
        )
        messages.success(request, _("Sanction lifted."))
    except ActionError as exc:
        messages.error(request, str(exc))
    next_url = request.POST.get("next", "")
    return redirect(next_url if next_url.startswith("/moderation/") else "moderation_sanctions")


@login_required
@require_POST
def appeal_decide(request: AuthenticatedRequest, appeal_id: int) -> HttpResponse:
    appeal = access_appeal(_mod(request), appeal_id)
    try:
        decide_appeal(
            appeal,
            overturn=request.POST.get("decision") == "overturn",
            note=request.POST.get("note", ""),
            by=Actor.from_request(request),
        )
        messages.success(request, _("Appeal decided."))
    except ActionError as exc:
        messages.error(request, str(exc))
    return redirect("moderation_sanctions")


@login_required
@require_POST
def todo_done(request: AuthenticatedRequest, todo_id: int) -> HttpResponse:
    try:
        complete_todo(access_todo(_mod(request), todo_id), by=Actor.from_request(request))
    except ActionError as exc:
        messages.error(request, str(exc))
    return redirect("moderation_sanctions")


# --- log, stats, people ----------------------------------------------------------------------------

LOG_COLUMNS = (
    "at",
    "moderator",
    "action",
    "member",
    "channel",
    "article",
    "criticism_removed",
    "justification",
    "message",
)


def _log_rows(events: Any) -> Any:
    for e in events:
        yield [
            e.at.isoformat(),
            e.moderator_label,
            e.action,
            (e.author.handle or e.author.external_id) if e.author else "",
            e.author.channel.slug if e.author else "",
            e.article,
            "yes" if e.criticism_removed else "",
            e.justification,
            (e.message.text[:200] if e.message else ""),
        ]


@login_required
def log(request: AuthenticatedRequest) -> HttpResponse:
    membership = _mod(request)
    workspace = membership.workspace
    events = ModerationEvent.objects.filter(workspace=workspace).select_related(
        "author__channel", "message"
    )
    action = request.GET.get("action", "")
    if action:
        events = events.filter(action__startswith=action)
    if request.GET.get("criticism") == "1":
        events = events.filter(criticism_removed=True)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="moderation-log-{workspace.slug}.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(LOG_COLUMNS)
        writer.writerows(_log_rows(events.iterator(chunk_size=1000)))
        return response
    return render(
        request,
        "moderation/log.html",
        {
            "events": events[:200],
            "action": action,
            "criticism": request.GET.get("criticism") == "1",
            "stats": moderator_stats(workspace),
            "criticism_removed": criticism_removed_count(workspace),
        },
    )


@login_required
def person(request: AuthenticatedRequest, author_id: int) -> HttpResponse:
    """A member's moderation history, across all their linked identities."""
    membership = _mod(request)
    author = access_author(membership, author_id)
    people = identities(author)
    keys = person_keys_of(author)
    key = keys[0]
    ids = [a.pk for a in people]
    return render(
        request,
        "moderation/person.html",
        {
            "author": author,
            "member": member_for_author(author),
            "identities": people,
            "person_key": key,
            "sanctions": Sanction.objects.filter(workspace=membership.workspace)
            .filter(Q(person_key__in=keys) | Q(author_id__in=ids))
            .select_related("created_by"),
            "events": ModerationEvent.objects.filter(workspace=membership.workspace)
            .filter(Q(person_key__in=keys) | Q(author_id__in=ids))
            .select_related("message")[:200],
            "hidden": HiddenMessage.objects.filter(
                workspace=membership.workspace, message__author_id__in=ids
            ).select_related("message")[:100],
            "active": active_sanctions(membership.workspace, keys),
        },
    )


@login_required
@require_POST
def person_link(request: AuthenticatedRequest, author_id: int) -> HttpResponse:
    membership = _mod(request)
    author = access_author(membership, author_id)
    by = Actor.from_request(request)
    try:
        if request.POST.get("unlink"):
            unlink_identity(access_author(membership, request.POST["unlink"]), by=by)
        else:
            other = request.POST.get("other", "").strip().lstrip("@")
            found = (
                Author.objects.filter(workspace=membership.workspace)
                .filter(
                    Q(pk=int(other))
                    if other.isdigit()
                    else Q(handle__iexact=other)
                    | Q(handle__iexact=f"@{other}")
                    | Q(external_id=other)
                )
                .first()
            )
            if found is None:
                raise ActionError(
                    f"other: no identity '{other}' in this workspace; give its handle or number."
                )
            link_identities(membership.workspace, [author, found], by=by)
        messages.success(request, _("Identities updated."))
    except ActionError as exc:
        messages.error(request, str(exc))
    return redirect("moderation_person", author_id=author.pk)
