"""The inbox pages: thin views — parse, access, one action, render (the page or its htmx partial)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Substr
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.channels.models import ChannelKind, OutboxItem
from hearth.conversations import platform_actions
from hearth.conversations.access import (
    access_message,
    access_outbox_item,
    access_personal_view,
    access_saved_reply,
    access_thread,
)
from hearth.conversations.actions.assign import assign_thread
from hearth.conversations.actions.bulk import bulk_update_threads
from hearth.conversations.actions.handoff import hand_off_thread
from hearth.conversations.actions.notes import add_note
from hearth.conversations.actions.presence import others_present, touch_presence
from hearth.conversations.actions.reply import (
    confirm_outbox_item,
    reply_to_thread,
    retry_outbox_item,
)
from hearth.conversations.actions.saved_replies import (
    create_saved_reply,
    delete_saved_reply,
    update_saved_reply,
)
from hearth.conversations.actions.settings import update_inbox_settings
from hearth.conversations.actions.status import set_thread_status
from hearth.conversations.actions.tags import tag_thread
from hearth.conversations.actions.views import delete_personal_view, save_personal_view
from hearth.conversations.inbox import (
    SAVED_VIEWS,
    InboxFilters,
    inbox_queryset,
    sidebar_counts,
)
from hearth.conversations.models import (
    Author,
    InboxSettings,
    Message,
    PersonalView,
    SavedReply,
    Tag,
    Thread,
    ThreadStatus,
)
from hearth.conversations.priority import explain
from hearth.conversations.replies import (
    DEFAULTS,
    VARIABLES,
    find_reply,
    render_sample,
    saved_replies,
    unknown_variables,
)
from hearth.conversations.replies import render as render_reply
from hearth.conversations.reply_window import reply_window
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import Membership, User
from hearth.core.permissions import Perm

PAGE_SIZE = 50
PREVIEW = 140  # characters of an e-mail body shown under its subject in the inbox
SENTIMENTS = ("negative", "neutral", "positive")
INTENTS = ("question", "complaint", "suggestion", "praise", "spam", "other")


def _membership(request: AuthenticatedRequest) -> Membership:
    membership = request.membership
    if membership is None:
        raise PermissionDenied
    return membership


def _teammates(membership: Membership) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(workspace=membership.workspace)
        .select_related("user")
        .order_by("user__email")
        if m.can(Perm.REPLY)
    ]


@login_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    filters = InboxFilters.from_query(request.GET)
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    qs = (
        inbox_queryset(workspace, request.user, filters)
        .select_related("channel", "author", "assignee")
        .prefetch_related("tags")
    )
    start = (page_number - 1) * PAGE_SIZE
    rows = list(qs[start : start + PAGE_SIZE + 1])
    _label_by_waiting_message(rows)
    now = timezone.now()
    for row in rows:
        row.explained = explain(row, now)
    # The sidebar counts ride along with every list, so polling keeps them live (one query for all).
    counts = sidebar_counts(workspace, request.user)
    context: dict[str, Any] = {
        "threads": rows[:PAGE_SIZE],
        "has_more": len(rows) > PAGE_SIZE,
        "page_number": page_number,
        "filters": filters,
        "query_next": _urlencode(filters.as_query(page=page_number + 1)),
        "waiting": counts["waiting"],
        "views": [
            (key, label, _urlencode({"view": key}) if key != "inbox" else "", counts[key])
            for key, label in SAVED_VIEWS
        ],
        "can_reply": membership.can(Perm.REPLY),
        "can_moderate": membership.can(Perm.MODERATE),
    }
    if request.htmx:
        return render(request, "conversations/inbox/_list.html", context | {"views_oob": True})
    context.update(
        {
            "channels": list(workspace.channels.order_by("name").values_list("slug", "name")),
            "teammates": _teammates(membership),
            "personal_views": list(
                PersonalView.objects.filter(workspace=workspace, user=request.user)
            ),
            "current_query": _urlencode(filters.as_query()),
            "tags": list(Tag.objects.filter(workspace=workspace).values_list("name", flat=True)),
            "statuses": ThreadStatus.choices,
            "sentiments": SENTIMENTS,
            "intents": INTENTS,
        }
    )
    return render(request, "conversations/inbox/page.html", context)


def _label_by_waiting_message(rows: list[Thread]) -> None:
    """Label each row by the message that needs the answer (the latest member message), not by
    every label the thread ever had: a suggestion under an old insult is a suggestion.

    One query for the page's rows only (at most PAGE_SIZE + 1 correlated look-ups, each an
    index seek on msg_thread_time), never for the whole filtered list.
    """
    if not rows:
        return
    latest = (
        Message.objects.present()
        .filter(thread=OuterRef("pk"), from_brand=False)
        .order_by("-created_at", "-pk")
    )
    found = {
        row["pk"]: row
        for row in Thread.objects.filter(pk__in=[t.pk for t in rows])
        .annotate(
            waiting_abuse=Subquery(latest.values("is_abuse")[:1]),
            waiting_author=Subquery(latest.values("author__display_name")[:1]),
            waiting_text=Subquery(
                latest.annotate(head=Substr("text", 1, PREVIEW + 200)).values("head")[:1]
            ),
        )
        .values("pk", "waiting_abuse", "waiting_author", "waiting_text")
    }
    for thread in rows:
        thread.last_abuse = bool(found.get(thread.pk, {}).get("waiting_abuse"))
        thread.last_author = found.get(thread.pk, {}).get("waiting_author") or ""
        thread.preview = _mail_preview(thread, found.get(thread.pk, {}).get("waiting_text") or "")


def _mail_preview(thread: Thread, text: str) -> str:
    """The first words of an e-mail's body under its subject (the root message starts with the
    subject line: not repeated)."""
    if thread.channel.kind != ChannelKind.EMAIL:
        return ""
    head, _sep, rest = text.partition("\n")
    if " ".join(head.split()) == thread.subject:
        text = rest
    return " ".join(text.split())[:PREVIEW]


def _urlencode(query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(query)


@login_required
@require_POST
def personal_view_save(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    query = request.POST.get("query", "")
    filters = InboxFilters.from_query(QueryDict(query))
    try:
        view = save_personal_view(
            membership.workspace,
            filters,
            name=request.POST.get("name", ""),
            by=Actor.from_request(request),
        )
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
        return redirect(reverse("inbox") + "?" + view.query)
    except ActionError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("inbox") + "?" + query)


@login_required
@require_POST
def personal_view_delete(request: AuthenticatedRequest, view_id: int) -> HttpResponse:
    view = access_personal_view(_membership(request), view_id)
    try:
        delete_personal_view(view, by=Actor.from_request(request))
        messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    except ActionError as exc:
        messages.error(request, str(exc))
    return redirect("inbox")


@login_required
@require_POST
def bulk(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    if not membership.can(Perm.REPLY):
        raise PermissionDenied
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    op = request.POST.get("action", "")
    # The bar's selects post the value of the chosen action under its own name (codes: a status
    # code, a teammate's e-mail or "me"); a client may still post a single "value".
    value = request.POST.get(f"value_{op}", "") or request.POST.get("value", "")
    if op == "assign" and value == "me":
        value = request.user.email
    try:
        changed = bulk_update_threads(
            membership.workspace, ids, op, value, by=Actor.from_request(request)
        )
        messages.success(request, _("%(n)d conversations updated.") % {"n": changed})
    except ActionError as exc:
        messages.error(request, str(exc))
    return redirect(request.POST.get("next") or reverse("inbox"))


def _thread_context(
    request: AuthenticatedRequest, membership: Membership, thread: Thread
) -> dict[str, Any]:
    conversation = list(
        thread.messages.select_related("author", "hidden", "queue_entry").order_by(
            "created_at", "pk"
        )[:200]
    )
    platform_actions.attach(thread.workspace_id, conversation)
    parent_post = (
        conversation[0]
        if conversation and conversation[0].external_id == thread.root_external_id
        else None
    )
    author = thread.author
    profile: dict[str, Any] | None = None
    earlier: list[Message] = []
    if author is not None:
        # The same person on other channels: same handle or display name in this workspace.
        names = [n for n in (author.handle, author.display_name) if n]
        identities = (
            list(
                Author.objects.filter(workspace=thread.workspace, is_brand=False).filter(
                    pk=author.pk
                )
                | Author.objects.filter(
                    workspace=thread.workspace, handle__in=names, is_brand=False
                )
            )
            if names
            else [author]
        )
        identities = identities or [author]  # a thread started by the brand's own account
        identity_ids = [a.pk for a in identities]
        earlier = list(
            Message.objects.filter(workspace=thread.workspace, author_id__in=identity_ids)
            .exclude(thread=thread)
            .select_related("channel", "thread")
            .order_by("-created_at")[:10]
        )
        reviewed = (
            Message.objects.present()
            .filter(workspace=thread.workspace, author_id__in=identity_ids, needs_review=True)
            .count()
        )
        profile = {
            "author": author,
            "channels": sorted(
                {
                    a.channel.name
                    for a in Author.objects.filter(pk__in=identity_ids).select_related("channel")
                }
            ),
            "message_count": sum(a.message_count for a in identities),
            "first_seen": min(a.first_seen_at for a in identities),
            "flagged": reviewed,
        }
    settings = InboxSettings.objects.filter(workspace=thread.workspace).first()
    return {
        "thread": thread,
        "conversation": conversation,
        "parent_post": parent_post,
        "earlier": earlier,
        "profile": profile,
        "notes": list(thread.notes.select_related("author").prefetch_related("mentions")),
        "outbox": list(_outbox(thread)),
        "tags": list(thread.tags.values_list("name", flat=True)),
        "teammates": _teammates(membership),
        "statuses": ThreadStatus.choices,
        "saved_replies": saved_replies(thread.workspace),
        "reply_key": uuid.uuid4().hex,
        "can_reply": membership.can(Perm.REPLY),
        "can_moderate": membership.can(Perm.MODERATE),
        "others": others_present(thread, request.user),
        "handoff_ready": bool(settings and (settings.handoff_email or settings.handoff_webhook)),
        "neighbours": _neighbours(request, membership, thread),
        "window": reply_window(thread, conversation),
    }


def _neighbours(
    request: AuthenticatedRequest, membership: Membership, thread: Thread
) -> dict[str, int | None]:
    """Previous and next thread of the default inbox, for j/k in the conversation view."""
    ids = list(
        inbox_queryset(membership.workspace, request.user, InboxFilters()).values_list(
            "pk", flat=True
        )[:200]
    )
    if thread.pk not in ids:
        return {"prev": None, "next": ids[0] if ids else None}
    i = ids.index(thread.pk)
    return {"prev": ids[i - 1] if i > 0 else None, "next": ids[i + 1] if i + 1 < len(ids) else None}


def _outbox(thread: Thread) -> Any:
    """What Hearth sent or is sending about the thread: replies (also a rule's) and handoffs."""
    return OutboxItem.objects.filter(
        Q(ref_type="thread", ref_id=thread.pk)
        | Q(channel=thread.channel, payload__thread_id=thread.pk),
        workspace=thread.workspace,
    ).order_by("created_at")


@login_required
def thread(request: AuthenticatedRequest, thread_id: int) -> HttpResponse:
    membership = _membership(request)
    thread = access_thread(membership, thread_id)
    touch_presence(thread, request.user, "viewing")
    return render(
        request, "conversations/thread/page.html", _thread_context(request, membership, thread)
    )


def _back(thread: Thread) -> HttpResponse:
    return redirect("inbox_thread", thread_id=thread.pk)


@login_required
@require_POST
def reply(request: AuthenticatedRequest, thread_id: int) -> HttpResponse:
    membership = _membership(request)
    thread = access_thread(membership, thread_id, Perm.REPLY)
    error = ""
    try:
        reply_to_thread(
            thread,
            request.POST.get("text", ""),
            by=Actor.from_request(request),
            idempotency_key=request.POST.get("key", ""),
            template=request.POST.get("template", ""),
        )
    except ActionError as exc:
        error = str(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return _back(thread)
    return render(
        request,
        "conversations/thread/_composer.html",
        {
            "thread": thread,
            "outbox": list(_outbox(thread)),
            "saved_replies": saved_replies(thread.workspace),
            "reply_key": uuid.uuid4().hex,
            "error": error,
            "text": request.POST.get("text", "") if error else "",
            "can_reply": True,
            "window": reply_window(thread),
        },
    )


@login_required
def message_state(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """The state of a message's platform actions, in place (thread, review queue): polled by
    itself while one is on its way, no longer once all are settled."""
    message = access_message(_membership(request), message_id)
    platform_actions.attach(message.workspace_id, [message])
    return render(
        request,
        "conversations/thread/_message_state.html",
        {"m": message, "channel": message.channel},
    )


@login_required
def outbox_status(request: AuthenticatedRequest, thread_id: int) -> HttpResponse:
    thread = access_thread(_membership(request), thread_id)
    return render(
        request,
        "conversations/thread/_outbox.html",
        {
            "thread": thread,
            "outbox": list(_outbox(thread)),
            "can_reply": _membership(request).can(Perm.REPLY),
        },
    )


@login_required
def saved_reply(request: AuthenticatedRequest, thread_id: int) -> HttpResponse:
    """The chosen saved reply, with its variables filled for this thread (plain text)."""
    thread = access_thread(_membership(request), thread_id, Perm.REPLY)
    chosen = find_reply(thread.workspace, request.GET.get("key", ""))
    if chosen is None:
        raise Http404("No such saved reply.")
    return HttpResponse(
        render_reply(chosen.text, thread=thread, agent=request.user),
        content_type="text/plain; charset=utf-8",
    )


@login_required
@require_POST
def retry(request: AuthenticatedRequest, item_id: int) -> HttpResponse:
    return _outbox_action(request, item_id, retry_outbox_item)


@login_required
@require_POST
def confirm(request: AuthenticatedRequest, item_id: int) -> HttpResponse:
    return _outbox_action(request, item_id, confirm_outbox_item)


def _outbox_action(request: AuthenticatedRequest, item_id: int, do: Any) -> HttpResponse:
    item = access_outbox_item(_membership(request), item_id)
    try:
        do(item, by=Actor.from_request(request))
    except ActionError as exc:
        messages.error(request, str(exc))
    return (
        redirect("inbox_thread", thread_id=int(item.payload.get("thread_id", 0)))
        if item.payload.get("thread_id")
        else redirect("inbox")
    )


def _act(request: AuthenticatedRequest, thread_id: int, do: Any, done: str) -> HttpResponse:
    membership = _membership(request)
    thread = access_thread(membership, thread_id, Perm.REPLY)
    try:
        do(thread, Actor.from_request(request))
        messages.success(request, done)
    except ActionError as exc:
        messages.error(request, str(exc))
    if request.POST.get("next") == "inbox":
        return redirect("inbox")
    return _back(thread)


@login_required
@require_POST
def assign(request: AuthenticatedRequest, thread_id: int) -> HttpResponse:
    def do(thread: Thread, by: Actor) -> None:
        email = request.POST.get("assignee", "")
        if email == "me":
            email = request.user.email
        user = (
            User.objects.filter(email=email, memberships__workspace=thread.workspace).first()
            if email
            else None
        )
        if email and user is None:
            raise ActionError(_("This teammate is not a member of the workspace."))
        assign_thread(thread, user, by=by)

    return _act(request, thread_id, do, _("Assignment saved."))


@login_required
@require_POST
def status(request: AuthenticatedRequest, thread_id: int) -> HttpResponse:
    return _act(
        request,
        thread_id,
        lambda t, by: set_thread_status(t, request.POST.get("status", ""), by=by),
        _("Status changed."),
    )


@login_required
@require_POST
def note(request: AuthenticatedRequest, thread_id: int) -> HttpResponse:
    return _act(
        request,
        thread_id,
        lambda t, by: add_note(t, request.POST.get("text", ""), by=by),
        _("Note added."),
    )


@login_required
@require_POST
def tags(request: AuthenticatedRequest, thread_id: int) -> HttpResponse:
    add = [t for t in request.POST.get("add", "").split(",") if t.strip()]
    remove = request.POST.getlist("remove")
    return _act(
        request,
        thread_id,
        lambda t, by: tag_thread(t, add=add, remove=remove, by=by),
        _("Tags saved."),
    )


@login_required
@require_POST
def handoff(request: AuthenticatedRequest, thread_id: int) -> HttpResponse:
    return _act(
        request,
        thread_id,
        lambda t, by: hand_off_thread(t, note=request.POST.get("note", ""), by=by),
        _("Handed off to customer service: the delivery's progress shows below the conversation."),
    )


@login_required
@require_POST
def presence(request: AuthenticatedRequest, thread_id: int) -> HttpResponse:
    thread = access_thread(_membership(request), thread_id)
    others = touch_presence(thread, request.user, request.POST.get("mode", "viewing"))
    return render(request, "conversations/thread/_presence.html", {"others": others})


@login_required
def settings_view(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    if not membership.can(Perm.MANAGE_CHANNELS):
        raise PermissionDenied
    settings, _created = InboxSettings.objects.get_or_create(workspace=membership.workspace)
    if request.method == "POST":
        try:
            update_inbox_settings(
                membership.workspace,
                by=Actor.from_request(request),
                handoff_email=request.POST.get("handoff_email", ""),
                handoff_webhook=request.POST.get("handoff_webhook", ""),
            )
            messages.success(request, _("Inbox settings saved."))
        except ActionError as exc:
            messages.error(request, str(exc))
        return redirect("inbox_settings")
    return render(
        request,
        "conversations/settings.html",
        {"settings": settings},
    )


def _braced(names: list[str]) -> list[str]:
    return ["{{" + name + "}}" for name in names]


def _replies_membership(request: AuthenticatedRequest) -> Membership:
    membership = _membership(request)
    if not membership.can(Perm.REPLY):
        raise PermissionDenied
    return membership


def _replies_context(
    membership: Membership, form: dict[str, str], editing: SavedReply | None = None, error: str = ""
) -> dict[str, Any]:
    workspace = membership.workspace
    return {
        "replies": list(SavedReply.objects.filter(workspace=workspace).order_by("lang", "title")),
        "defaults": DEFAULTS,
        "variables": ["{{" + name + "}}" for name in VARIABLES],
        "variable_help": [("{{" + name + "}}", help_text) for name, help_text in VARIABLES.items()],
        "form": form,
        "editing": editing,
        "error": error,
        "preview": render_sample(form.get("text", ""), workspace=workspace, agent=membership.user),
        "unknown": _braced(unknown_variables(form.get("text", ""))),
    }


@login_required
def saved_replies_page(request: AuthenticatedRequest) -> HttpResponse:
    """List the workspace's saved replies and create one (REPLY, like the actions)."""
    membership = _replies_membership(request)
    form = {
        "title": "",
        "lang": "fr" if (get_language() or "").startswith("fr") else "en",
        "text": "",
    }
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("title", "lang", "text")}
        try:
            reply = create_saved_reply(
                membership.workspace,
                title=form["title"],
                lang=form["lang"],
                text=form["text"],
                by=Actor.from_request(request),
            )
            messages.success(
                request, _("Saved reply “%(title)s” created.") % {"title": reply.title}
            )
            return redirect("inbox_saved_replies")
        except ActionError as exc:
            return render(
                request,
                "conversations/saved_replies.html",
                _replies_context(membership, form, error=str(exc)),
                status=400,
            )
    return render(request, "conversations/saved_replies.html", _replies_context(membership, form))


@login_required
def saved_reply_edit(request: AuthenticatedRequest, reply_id: int) -> HttpResponse:
    membership = _replies_membership(request)
    reply = access_saved_reply(membership, reply_id)
    form = {"title": reply.title, "lang": reply.lang, "text": reply.text}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("title", "lang", "text")}
        try:
            update_saved_reply(
                reply,
                title=form["title"],
                lang=form["lang"],
                text=form["text"],
                by=Actor.from_request(request),
            )
            messages.success(
                request, _("Saved reply “%(title)s” updated.") % {"title": reply.title}
            )
            return redirect("inbox_saved_replies")
        except ActionError as exc:
            reply.refresh_from_db()
            return render(
                request,
                "conversations/saved_replies.html",
                _replies_context(membership, form, reply, str(exc)),
                status=400,
            )
    return render(
        request, "conversations/saved_replies.html", _replies_context(membership, form, reply)
    )


@login_required
@require_POST
def saved_reply_delete(request: AuthenticatedRequest, reply_id: int) -> HttpResponse:
    membership = _replies_membership(request)
    reply = access_saved_reply(membership, reply_id)
    title = reply.title
    delete_saved_reply(reply, by=Actor.from_request(request))
    messages.success(request, _("Saved reply “%(title)s” deleted.") % {"title": title})
    return redirect("inbox_saved_replies")


@login_required
@require_POST
def saved_reply_preview(request: AuthenticatedRequest) -> HttpResponse:
    """The live preview (htmx): the text rendered for a sample member, and any unknown variable."""
    membership = _replies_membership(request)
    text = request.POST.get("text", "")
    return render(
        request,
        "conversations/_saved_reply_preview.html",
        {
            "preview": render_sample(text, workspace=membership.workspace, agent=membership.user),
            "unknown": _braced(unknown_variables(text)),
            "variables": ["{{" + name + "}}" for name in VARIABLES],
        },
    )
