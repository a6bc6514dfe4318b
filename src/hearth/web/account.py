"""A teammate's own settings: API tokens, password. Thin views over core.tokens / core.accounts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.core import tokens
from hearth.core.access import access_workspace
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.models import TokenScope

SESSION_NEW_TOKEN = "hearth_new_token"  # noqa: S105 - a session key, not a secret


@login_required
def tokens_page(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "tokens": tokens.tokens_of(request.user),
        "scopes": TokenScope.choices,
        "expiry_choices": tokens.EXPIRY_CHOICES,
        "default_days": tokens.DEFAULT_DAYS,
        # The raw key is shown once, on the page the creation redirects to, then forgotten.
        "new_token": request.session.pop(SESSION_NEW_TOKEN, None),
    }
    return render(request, "web/account/tokens.html", context)


@login_required
@require_POST
def create_token(request: AuthenticatedRequest) -> HttpResponse:
    membership = access_workspace(request.user, request.POST.get("workspace", ""))
    try:
        days = int(request.POST.get("days", tokens.DEFAULT_DAYS))
        token, raw = tokens.create_api_token(
            request.user,
            name=request.POST.get("name", "").strip() or _("token"),
            workspace=membership.workspace,
            scope=request.POST.get("scope", TokenScope.READ),
            days=days,
            by=Actor.from_request(request),
        )
    except (ActionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        request.session[SESSION_NEW_TOKEN] = {"id": token.pk, "name": token.name, "raw": raw}
    return redirect("account:tokens")


@login_required
@require_POST
def revoke_token(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = tokens.access_token(request.user, token_id)
    tokens.revoke_api_token(token, by=Actor.from_request(request))
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("account:tokens")
