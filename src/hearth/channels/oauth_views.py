"""The pages of connecting through a consent screen: the platform app's credentials, the start of
the flow, the platform's callback and the picking of accounts. Thin: parse, access, one action
(or one step of `hearth.channels.oauth`), render."""

from __future__ import annotations

import json
from dataclasses import asdict
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.channels import connect, oauth
from hearth.channels.connectors import CONNECTORS
from hearth.channels.listing import platform_label
from hearth.channels.models import PlatformApp
from hearth.channels.views import BADGES
from hearth.core import secrets as vault
from hearth.core.access import require_perm
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import Membership
from hearth.core.permissions import Perm

PICK_KEY = "hearth-oauth-accounts"


def _manager(request: AuthenticatedRequest) -> Membership:
    if request.membership is None:
        raise PermissionDenied
    require_perm(request.membership, Perm.MANAGE_CHANNELS)
    return request.membership


def _provider(key: str) -> oauth.Provider:
    found = oauth.PROVIDERS.get(key)
    # Only the platforms whose connector is installed can be connected.
    if found is None or not any(_installed(kind) for kind in found.kinds):
        raise Http404("No such platform.")
    return found


def _installed(kind: str) -> bool:
    return kind in CONNECTORS


def redirect_uri(request: AuthenticatedRequest, provider: str) -> str:
    return request.build_absolute_uri(reverse("channels:oauth_callback", args=[provider]))


@login_required
def platform_app(request: AuthenticatedRequest, provider: str) -> HttpResponse:
    """The app's credentials (entered once), its redirect URL and webhook to register, and the
    button that connects an account through it."""
    membership = _manager(request)
    prov = _provider(provider)
    app = oauth.app_for(membership.workspace.pk, provider)
    by = Actor.from_request(request)
    error = ""
    if request.method == "POST":
        try:
            app = connect.save_platform_app(
                membership.workspace,
                provider=prov.app_key,
                client_id=request.POST.get("client_id", ""),
                client_secret=request.POST.get("client_secret", ""),
                instance_wide=request.POST.get("scope") == "instance",
                webhook_secret=request.POST.get("webhook_secret", "") if provider == "x" else "",
                tier=request.POST.get("tier", "") if provider == "x" else "",
                by=by,
            )
        except ActionError as exc:
            error = str(exc)
        else:
            messages.success(request, _("The app's credentials are saved."))
            return redirect("channels:platform_app", provider)
    webhook = ""
    if app is not None and prov.app_key in ("facebook", "x"):
        route = "meta-webhook" if prov.app_key == "facebook" else "x-webhook"
        webhook = request.build_absolute_uri(reverse(route, args=[app.webhook_key]))
    x_tiers = []
    if provider == "x":
        from hearth.channels.connectors.x import DEFAULT_TIER, TIERS

        current = str(((app.config if app else None) or {}).get("tier") or DEFAULT_TIER)
        x_tiers = [(name, cap, name == current) for name, cap in TIERS.items()]
    response = render(
        request,
        "channels/platform_app.html",
        {
            "provider": prov,
            "label": platform_label(prov.kinds[0]),
            "initials": BADGES.get(prov.kinds[0], ("", ""))[0] or prov.label[:2],
            "app": app,
            "own": app is not None and app.workspace_id == membership.workspace.pk,
            "can_share": connect.can_share(by),
            "redirect_uri": redirect_uri(request, provider),
            "webhook_url": webhook,
            "x_tiers": x_tiers,
            "shared_app": platform_label(prov.app_key) if prov.app_provider else "",
            "token_form": reverse("channels:add_kind", args=[prov.kinds[0]])
            if prov.alternative_help
            else "",
            "has_webhook_secret": bool(app is not None and app.webhook_secret),
            "docs": reverse("docs", args=[prov.docs]),
            "error": error,
            "client_id": request.POST.get("client_id", "")
            if request.method == "POST"
            else (app.client_id if app is not None else ""),
        },
    )
    if app is not None:
        # "Connect" posts here and is redirected to the platform's consent screen: a browser
        # applies the form-action directive to that redirect too.
        dialog = urlsplit(prov.urls(app)["dialog"])
        response._csp_update = {"form-action": [f"{dialog.scheme}://{dialog.netloc}"]}  # type: ignore[attr-defined]
    return response


@login_required
@require_POST
def start(request: AuthenticatedRequest, provider: str) -> HttpResponse:
    membership = _manager(request)
    _provider(provider)
    app = oauth.app_for(membership.workspace.pk, provider)
    if app is None:
        messages.error(request, _("Enter the app's client id and secret first."))
        return redirect("channels:platform_app", provider)
    url = oauth.start(
        request.session,
        workspace_id=membership.workspace.pk,
        app=app,
        redirect_uri=redirect_uri(request, provider),
        provider_key=provider,
    )
    return redirect(url)


@login_required
def callback(request: AuthenticatedRequest, provider: str) -> HttpResponse:
    """Where the platform sends the person back: check the state, exchange the code, keep the
    accounts (encrypted, in the session) for picking."""
    membership = _manager(request)
    _provider(provider)
    try:
        flow = oauth.take_state(
            request.session,
            state=request.GET.get("state", ""),
            provider_key=provider,
            workspace_id=membership.workspace.pk,
        )
        if request.GET.get("error"):
            raise oauth.OAuthError(
                _("The connection was not allowed on the platform (%(reason)s): nothing changed.")
                % {"reason": request.GET.get("error_reason") or request.GET["error"]}
            )
        app = PlatformApp.objects.filter(pk=flow["app"]).first()
        if (
            app is None
            or app.workspace_id not in (None, membership.workspace.pk)
            or app.provider != oauth.provider(provider).app_key
        ):
            raise oauth.OAuthError(_("The app was removed meanwhile: enter it again."))
        accounts = oauth.finish(
            app,
            flow,
            code=request.GET.get("code", ""),
            redirect_uri=redirect_uri(request, provider),
        )
    except oauth.OAuthError as exc:
        messages.error(request, str(exc))
        return redirect("channels:platform_app", provider)
    request.session[PICK_KEY] = {
        "provider": provider,
        "app": app.pk,
        "workspace": membership.workspace.pk,
        "accounts": vault.encrypt(json.dumps([asdict(a) for a in accounts])),
    }
    return redirect("channels:oauth_pick", provider)


def _pending(
    request: AuthenticatedRequest, membership: Membership, provider: str
) -> tuple[PlatformApp, list[oauth.Account]]:
    pending = request.session.get(PICK_KEY) or {}
    if pending.get("provider") != provider or pending.get("workspace") != membership.workspace.pk:
        raise oauth.OAuthError(_("There is no connection waiting for a choice: start it again."))
    app = PlatformApp.objects.filter(pk=int(pending.get("app") or 0)).first()
    if app is None or app.workspace_id not in (None, membership.workspace.pk):
        raise oauth.OAuthError(_("The app was removed meanwhile: enter it again."))
    raw = json.loads(vault.decrypt(pending["accounts"]))
    accounts = [oauth.Account(**{**a, "missing": tuple(a.get("missing") or ())}) for a in raw]
    return app, accounts


@login_required
def pick(request: AuthenticatedRequest, provider: str) -> HttpResponse:
    membership = _manager(request)
    prov = _provider(provider)
    try:
        app, accounts = _pending(request, membership, provider)
    except oauth.OAuthError as exc:
        messages.error(request, str(exc))
        return redirect("channels:platform_app", provider)
    error = ""
    if request.method == "POST":
        try:
            channels = connect.connect_accounts(
                membership.workspace,
                app=app,
                accounts=accounts,
                picked=request.POST.getlist("account"),
                by=Actor.from_request(request),
            )
        except ActionError as exc:
            error = str(exc)
        else:
            request.session.pop(PICK_KEY, None)
            messages.success(
                request,
                _("Connected: %(names)s.") % {"names": ", ".join(c.name for c in channels)},
            )
            # The platform's follow-up (WhatsApp: the webhook subscription); what failed is said.
            picked = request.POST.getlist("account")
            for problem in oauth.after_connect(provider, app, accounts, picked):
                messages.warning(request, problem)
            if len(channels) == 1:
                return redirect("channels:detail", channels[0].pk)
            return redirect("channels:list")
    return render(
        request,
        "channels/oauth_pick.html",
        {
            "provider": prov,
            "label": platform_label(prov.kinds[0]),
            "accounts": accounts,
            "error": error,
        },
    )
