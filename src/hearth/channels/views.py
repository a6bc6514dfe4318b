"""The Channels pages: thin views — parse, access, one action, render (the page or its partial).

Every teammate sees the channels (read-only); owners and managers (MANAGE_CHANNELS) add,
configure, test, pause, resume and remove them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hearth.channels import actions, health
from hearth.channels.access import access_channel
from hearth.channels.connectors import CONNECTORS, connector_class
from hearth.channels.connectors.base import Check
from hearth.channels.forms import ChannelForm
from hearth.channels.listing import capabilities, docs_page, platform_label, with_counts
from hearth.channels.models import Channel, ChannelKind, OutboxItem
from hearth.core.access import require_perm
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import Membership
from hearth.core.permissions import Perm

CAPABILITY_LABELS = {
    "read": gettext_lazy("Read"),
    "reply": gettext_lazy("Reply"),
    "dm": gettext_lazy("Direct message"),
    "hide": gettext_lazy("Hide"),
    "delete": gettext_lazy("Delete"),
    "ban": gettext_lazy("Ban or mute"),
    "report": gettext_lazy("Report"),
    "publish": gettext_lazy("Publish"),
    "metrics": gettext_lazy("Metrics"),
}
# Each platform's mark: its usual initials on a hue of its own (dark enough for white text).
# A demo channel shows the platform it simulates (`channel.platform`).
BADGES = {
    "import": ("IM", "#56606b"),
    "webhook": ("WH", "#56606b"),
    "demo": ("De", "#8a5a00"),
    "rss": ("RSS", "#c45100"),
    "mastodon": ("Ma", "#563acc"),
    "matrix": ("[m]", "#0b6e62"),
    "email": ("@", "#0067a3"),
    "bluesky": ("Bs", "#0a6fd8"),
    "discourse": ("Di", "#8f3600"),
    "reddit": ("Re", "#c43c00"),
    "telegram": ("Tg", "#1a6fa0"),
    "discord": ("Dc", "#4e5ad6"),
    "facebook": ("FB", "#1559c9"),
    "instagram": ("IG", "#b3186d"),
    "whatsapp": ("WA", "#167a3a"),
    "x": ("X", "#222222"),
    "linkedin": ("in", "#0a5fa8"),
    "youtube": ("YT", "#c4120a"),
    "tiktok": ("TT", "#2b2b2b"),
    "pinterest": ("Pi", "#b3071d"),
    "forum": ("Fo", "#6b4fa0"),
    "reviews": ("Rv", "#7a5c00"),
}
HIDDEN_KINDS = {ChannelKind.DEMO}  # created by the demo loader only
RECENT_ACTIONS = 20


def _membership(request: AuthenticatedRequest) -> Membership:
    if request.membership is None:
        raise PermissionDenied
    return request.membership


def badge(kind: str, platform: str = "") -> dict[str, str]:
    """The platform's mark: initials and colour (a demo channel's simulated platform's)."""
    key = platform.lower() if kind == "demo" and platform.lower() in BADGES else kind
    letters, colour = BADGES.get(key, ("", "#56606b"))
    if not letters:
        label = platform_label(kind)
        letters = label[:2]
    # The colour is a class of channels.css (`.badge-<key>`): the CSP forbids style= attributes.
    css = f"badge-{key}" if key in BADGES else "badge-other"
    return {"initials": letters, "colour": colour, "badge": css}


def docs_url(kind: str) -> str:
    """The platform's page of Hearth's documentation (the connector's `docs`, with its anchor)."""
    page = docs_page(kind)
    if not page:
        return ""
    path, _sep, anchor = page.partition("#")
    return reverse("docs", args=[path]) + (f"#{anchor}" if anchor else "")


def capability_rows(kind: str) -> list[tuple[str, str, bool]]:
    """(code, label, available) of the kind's capabilities matrix, in the page's order."""
    return [(name, str(CAPABILITY_LABELS.get(name, name)), ok) for name, ok in capabilities(kind)]


def _expiry(channel: Channel) -> dict[str, Any]:
    """When the channel's access lapses (the platform's own limit, e.g. Meta's 90 days of data
    access), and whether a person should reconnect it soon."""
    if not channel.credentials_encrypted or channel.deleted_at is not None:
        return {"token_expires": None, "expires_soon": False, "reconnect_url": ""}
    when = health.access_lapses(channel)
    provider = (
        getattr(connector_class(channel.kind), "oauth_provider", "")
        if channel.kind in CONNECTORS
        else ""
    )
    return {
        "token_expires": when,
        "expires_soon": when is not None and when - timezone.now() <= health.EXPIRY_NOTICE,
        "reconnect_url": reverse("channels:platform_app", args=[provider]) if provider else "",
    }


def _row(channel: Channel) -> dict[str, Any]:
    kind = channel.kind
    caps = connector_class(kind).capabilities if kind in CONNECTORS else None
    fetches = bool(caps and caps.fetch)
    streams = bool(caps and caps.stream)
    # What Hearth can send there (anything but reading and counting).
    sends = any(ok for name, ok in capabilities(kind) if name not in ("read", "metrics"))
    identity = actions.has_identity(kind)
    return {
        "channel": channel,
        "label": platform_label(kind),
        **badge(kind, channel.platform),
        "docs": docs_url(kind),
        "capabilities": capability_rows(kind),
        # What the platform's API does not allow, in words (TikTok, Pinterest).
        "cannot": getattr(connector_class(kind), "cannot", "") if kind in CONNECTORS else "",
        "fetches": fetches,
        "streams": streams,
        "sends": sends,
        "has_identity": identity,
        # A feed has no account of the brand; a push channel or one Hearth answers on has.
        "shows_brand": identity or sends or bool(caps and caps.push),
        "account": channel.identity.get("handle")
        or channel.identity.get("display_name")
        or channel.identity.get("external_id")
        or ", ".join(channel.brand_author_ids),
        **_expiry(channel),
    }


@login_required
def channel_list(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    channels = with_counts(Channel.objects.filter(workspace=membership.workspace)).order_by("name")
    rows = [_row(c) for c in channels]
    return render(
        request,
        "channels/list.html",
        {
            "rows": [r for r in rows if r["channel"].deleted_at is None],
            "removed": [r for r in rows if r["channel"].deleted_at is not None],
            "can_manage": membership.can(Perm.MANAGE_CHANNELS),
            "readme": reverse("docs", args=["channels/README.md"]),
        },
    )


def _quota(channel: Channel) -> Any:
    """Today's quota units, for the platforms that count them (a connector's `quota_state`)."""
    if channel.kind not in CONNECTORS or channel.deleted_at is not None:
        return None
    cls = connector_class(channel.kind)
    if not hasattr(cls, "quota_state"):
        return None
    return cls(channel).quota_state()  # type: ignore[attr-defined]


@login_required
def add(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, Perm.MANAGE_CHANNELS)
    platforms = [
        {
            "kind": kind,
            "href": _add_href(kind),
            "label": platform_label(kind),
            **badge(kind),
            "docs": docs_url(kind),
            "capabilities": [c for c in capability_rows(kind) if c[2]],
        }
        for kind in ChannelKind.values
        if kind in CONNECTORS and kind not in HIDDEN_KINDS
    ]
    later = [str(ChannelKind(kind).label) for kind in ChannelKind.values if kind not in CONNECTORS]
    return render(request, "channels/add.html", {"platforms": platforms, "later": later})


def _add_href(kind: str) -> str:
    """Where adding a channel of `kind` starts: its guided form, or its platform app's page for
    the platforms connected through a consent screen."""
    provider = getattr(connector_class(kind), "oauth_provider", "")
    if provider:
        return reverse("channels:platform_app", args=[provider])
    return reverse("channels:add_kind", args=[kind])


def _kind(kind: str) -> str:
    if kind not in CONNECTORS or kind in HIDDEN_KINDS:
        raise Http404("No such platform.")
    return kind


@login_required
def add_kind(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, Perm.MANAGE_CHANNELS)
    kind = _kind(kind)
    provider = getattr(connector_class(kind), "oauth_provider", "")
    if provider and not getattr(connector_class(kind), "token_form", False):
        return redirect("channels:platform_app", provider)
    form = ChannelForm(kind, request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        config, credentials = form.config_values()
        try:
            channel, secret = actions.create_channel(
                membership.workspace,
                name=form.cleaned_data["name"],
                kind=kind,
                config=config,
                credentials=credentials,
                sync_interval_s=form.interval_s(),
                brand_author_ids=form.cleaned_data.get("brand_author_ids", ""),
                by=Actor.from_request(request),
            )
        except ActionError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Channel %(name)s added.") % {"name": channel.name})
            if secret:
                request.session[f"webhook-secret-{channel.pk}"] = secret
            return redirect("channels:detail", channel.pk)
    return render(
        request,
        "channels/form.html",
        {
            "form": form,
            "kind": kind,
            "label": platform_label(kind),
            **badge(kind),
            "docs": docs_url(kind),
            "capabilities": capability_rows(kind),
            "error": error,
            "creating": True,
        },
    )


@login_required
@require_POST
def add_kind_test(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    """Test the connection of the form's values, before anything is stored (htmx partial)."""
    membership = _membership(request)
    require_perm(membership, Perm.MANAGE_CHANNELS)
    kind = _kind(kind)
    form = ChannelForm(kind, request.POST)
    form.is_valid()  # the name may still be empty: only the platform's fields matter here
    config, credentials = form.config_values()
    try:
        checks = actions.try_new_connection(
            membership.workspace,
            kind=kind,
            config=config,
            credentials=credentials,
            by=Actor.from_request(request),
        )
    except ActionError as exc:
        checks = [Check("config", False, str(exc))]
    return render(request, "channels/_checks.html", _checks_context(checks))


def _checks_context(checks: list[Check]) -> dict[str, Any]:
    return {
        "checks": [
            {
                "label": CAPABILITY_LABELS.get(c.capability, c.capability),
                "ok": c.ok,
                "message": c.message,
            }
            for c in checks
        ],
        "all_ok": all(c.ok for c in checks),
    }


def _outbox_rows(channel: Channel) -> list[OutboxItem]:
    items = list(
        OutboxItem.objects.filter(channel=channel).order_by("-created_at", "-pk")[:RECENT_ACTIONS]
    )
    return items


@login_required
def detail(request: AuthenticatedRequest, channel_id: int) -> HttpResponse:
    membership = _membership(request)
    channel = access_channel(membership, channel_id)
    channel = with_counts(Channel.objects.filter(pk=channel.pk)).get()
    row = _row(channel)
    fields = []
    stored = set(channel.credentials) if membership.can(Perm.MANAGE_CHANNELS) else set()
    for field in ChannelForm(channel.kind, creating=False).config_fields:
        value: Any
        if field.secret:
            value = None
        else:
            value = channel.config.get(field.name)
            if field.choices:
                names = dict(field.choices)
                values = value if isinstance(value, list) else [value] if value else []
                value = ", ".join(str(names.get(v, v)) for v in values)
            elif isinstance(value, list):
                value = ", ".join(str(v) for v in value)
        fields.append({"field": field, "value": value, "stored": field.name in stored})
    secret = request.session.pop(f"webhook-secret-{channel.pk}", "")
    return render(
        request,
        "channels/detail.html",
        {
            **row,
            "fields": fields,
            "outbox": _outbox_rows(channel),
            "quarantined": channel.quarantined.all()[:50],
            "can_manage": membership.can(Perm.MANAGE_CHANNELS),
            "webhook_url": request.build_absolute_uri(
                reverse("webhook", args=[channel.webhook_key])
            )
            if channel.kind == ChannelKind.WEBHOOK
            and channel.deleted_at is None
            and membership.can(Perm.MANAGE_CHANNELS)
            else "",
            "webhook_secret": secret,
            "interval_min": channel.sync_interval_s // 60,
            "readme": reverse("docs", args=["channels/README.md"]),
            "quota": _quota(channel),
        },
    )


@login_required
def edit(request: AuthenticatedRequest, channel_id: int) -> HttpResponse:
    membership = _membership(request)
    channel = access_channel(membership, channel_id, Perm.MANAGE_CHANNELS)
    if channel.deleted_at is not None:
        raise Http404("No such channel.")
    initial = {"name": channel.name, "interval_min": channel.sync_interval_s // 60}
    form = ChannelForm(
        channel.kind,
        request.POST or None,
        initial=initial,
        channel_config=channel.config,
        stored_secrets=set(channel.credentials),
        creating=False,
    )
    error = ""
    if request.method == "POST" and form.is_valid():
        config, credentials = form.config_values()
        try:
            changed = actions.update_channel(
                channel,
                name=form.cleaned_data["name"],
                config=config,
                credentials=credentials,
                sync_interval_s=form.interval_s() if "interval_min" in form.fields else None,
                partial=False,
                by=Actor.from_request(request),
            )
        except ActionError as exc:
            error = str(exc)
        else:
            if "credentials" in changed:
                messages.success(
                    request, _("Saved. The channel is reconnected with the new credentials.")
                )
            elif changed:
                messages.success(request, _("Saved."))
            return redirect("channels:detail", channel.pk)
    return render(
        request,
        "channels/form.html",
        {
            "form": form,
            "channel": channel,
            "kind": channel.kind,
            "label": platform_label(channel.kind),
            **badge(channel.kind, channel.platform),
            "docs": docs_url(channel.kind),
            "capabilities": capability_rows(channel.kind),
            "error": error,
            "creating": False,
        },
    )


def _done(request: AuthenticatedRequest, channel: Channel) -> HttpResponse:
    return redirect("channels:detail", channel.pk)


@login_required
@require_POST
def test(request: AuthenticatedRequest, channel_id: int) -> HttpResponse:
    membership = _membership(request)
    channel = access_channel(membership, channel_id, Perm.MANAGE_CHANNELS)
    try:
        checks = actions.try_connection(channel, by=Actor.from_request(request))
    except ActionError as exc:
        checks = [Check("config", False, str(exc))]
    context = _checks_context(checks)
    if request.htmx:
        return render(request, "channels/_checks.html", context)
    for check in context["checks"]:
        (messages.success if check["ok"] else messages.error)(
            request, f"{check['label']}: {check['message']}"
        )
    return _done(request, channel)


def _simple(request: AuthenticatedRequest, channel_id: int, verb: str) -> HttpResponse:
    membership = _membership(request)
    channel = access_channel(membership, channel_id, Perm.MANAGE_CHANNELS)
    by = Actor.from_request(request)
    try:
        if verb == "pause":
            actions.pause_channel(channel, by=by)
            messages.success(request, _("Paused: Hearth no longer reads this channel."))
        elif verb == "resume":
            actions.resume_channel(channel, by=by)
            messages.success(request, _("Resumed: Hearth reads this channel again."))
        elif verb == "identity":
            me = actions.refresh_identity(channel, by=by)
            messages.success(
                request,
                _("Connected as %(account)s: its messages are the brand's.")
                % {"account": me.handle or me.display_name or me.external_id},
            )
        elif verb == "brand":
            ids = actions.set_brand_accounts(
                channel, request.POST.get("brand_author_ids", ""), by=by
            )
            messages.success(
                request,
                _("The brand's accounts: %(ids)s.") % {"ids": ", ".join(ids) or "—"},
            )
        elif verb == "sync":
            if actions.sync_channel_now(channel, by=by):
                messages.success(request, _("Sync started."))
            else:
                messages.info(
                    request,
                    _("The platform asked Hearth to wait: the sync will run after the wait."),
                )
    except ActionError as exc:
        messages.error(request, str(exc))
    return _done(request, channel)


@login_required
@require_POST
def pause(request: AuthenticatedRequest, channel_id: int) -> HttpResponse:
    return _simple(request, channel_id, "pause")


@login_required
@require_POST
def resume(request: AuthenticatedRequest, channel_id: int) -> HttpResponse:
    return _simple(request, channel_id, "resume")


@login_required
@require_POST
def identity(request: AuthenticatedRequest, channel_id: int) -> HttpResponse:
    return _simple(request, channel_id, "identity")


@login_required
@require_POST
def brand(request: AuthenticatedRequest, channel_id: int) -> HttpResponse:
    return _simple(request, channel_id, "brand")


@login_required
@require_POST
def sync_now(request: AuthenticatedRequest, channel_id: int) -> HttpResponse:
    return _simple(request, channel_id, "sync")


@login_required
def delete(request: AuthenticatedRequest, channel_id: int) -> HttpResponse:
    """GET: what removing the channel does to its data, and the choice; POST: remove it."""
    membership = _membership(request)
    channel = access_channel(membership, channel_id, Perm.MANAGE_CHANNELS)
    if request.method == "POST":
        keep = request.POST.get("messages", "keep") != "delete"
        try:
            counts = actions.delete_channel(
                channel, keep_messages=keep, by=Actor.from_request(request)
            )
        except ActionError as exc:
            messages.error(request, str(exc))
            return redirect("channels:detail", channel.pk)
        if keep:
            messages.success(
                request,
                _("Channel %(name)s removed; its %(count)s messages are kept.")
                % {"name": channel.name, "count": counts["messages"]},
            )
        else:
            messages.success(
                request,
                _("Channel %(name)s and its %(count)s messages are being deleted.")
                % {"name": channel.name, "count": counts["messages"]},
            )
        return redirect("channels:list")
    return render(
        request,
        "channels/delete.html",
        {
            "channel": channel,
            "counts": actions.message_counts(channel),
            "label": platform_label(channel.kind),
        },
    )
