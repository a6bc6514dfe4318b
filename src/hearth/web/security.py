"""Signing in with a second factor, the Security page (password, two-factor), password reset.

Thin views over core.accounts and core.twofactor; Django's own views for the reset by e-mail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from hearth.core import audit, twofactor
from hearth.core.accounts import set_password
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest, HearthRequest
from hearth.core.models import User

PENDING_KEY = "hearth_2fa_pending"  # (user id, backend, next) between the password and the code
CODES_KEY = "hearth_2fa_codes"  # recovery codes, shown once on the page after they are made
MAX_CODE_TRIES = 5


class HearthSetPasswordForm(SetPasswordForm):
    """Django's reset form (its validators), saving through the action: tokens are revoked."""

    actor: Actor

    def save(self, commit: bool = True) -> Any:
        by = Actor(user=self.user, via="web", ip=self.actor.ip, user_agent=self.actor.user_agent)
        set_password(self.user, self.cleaned_data["new_password1"], by=by)
        return self.user


class HearthPasswordChangeForm(PasswordChangeForm):
    actor: Actor

    def save(self, commit: bool = True) -> Any:
        set_password(self.user, self.cleaned_data["new_password1"], by=self.actor)
        return self.user


def begin_second_factor(
    request: HttpRequest, user: User, backend: str, next_url: str
) -> HttpResponse:
    """The password was right and the user has a second factor: ask for the code."""
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": backend,
        "next": next_url,
        "tries": 0,
    }
    return redirect("login_verify")


def login_verify(request: HearthRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return redirect("login")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("login")
    error = ""
    if request.method == "POST":
        device = twofactor.verify_second_factor(user, request.POST.get("code", ""))
        if device is not None:
            request.session.pop(PENDING_KEY, None)
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            audit.record(
                "auth.login",
                by=Actor.from_request(request),
                workspace=None,
                data={
                    "second_factor": "recovery"
                    if device.__class__.__name__ == "StaticDevice"
                    else "totp"
                },
            )
            next_url = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                next_url = resolve_url("dashboard")
            return redirect(next_url)
        pending["tries"] += 1
        audit.record(
            "auth.login_failed",
            by=Actor(user=None, via="web", ip=request.META.get("REMOTE_ADDR")),
            workspace=None,
            target=user,
            data={"email": user.email, "reason": "second_factor"},
        )
        if pending["tries"] >= MAX_CODE_TRIES:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, _("Too many wrong codes: sign in again."))
            return redirect("login")
        request.session[PENDING_KEY] = pending
        error = _(
            "This code is not valid. Type the code your app shows now, or one of your recovery codes."
        )
    return render(request, "web/account/verify.html", {"error": error})


class Require2FAMiddleware:
    """A workspace that requires two-factor authentication shows nothing to a teammate whose
    session was not verified with a second factor: they are sent to set it up (or to sign in
    again with it). The API and MCP use tokens and are not concerned."""

    ALLOWED = ("/account/security", "/logout/", "/login/", "/i18n/", "/static/", "/api/", "/hooks/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HearthRequest) -> HttpResponse:
        workspace = getattr(request, "workspace", None)
        if (
            workspace is not None
            and workspace.require_2fa
            and request.user.is_authenticated
            and not request.user.is_verified()  # type: ignore[attr-defined]  # set by django-otp
            and not request.path.startswith(self.ALLOWED)
        ):
            return redirect(reverse("account:security") + "?required=1")
        return self.get_response(request)


@login_required
def security_page(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = HearthPasswordChangeForm(user)
    if request.method == "POST" and request.POST.get("form") == "password":
        form = HearthPasswordChangeForm(user, request.POST)
        form.actor = Actor.from_request(request)
        if form.is_valid():
            form.save()
            update_session_auth_hash(request, user)  # this session stays; the others end
            messages.success(
                request,
                _("Your password is changed. Your API tokens were revoked: issue new ones."),
            )
            return redirect("account:security")
    enabled = twofactor.has_2fa(user)
    device = None if enabled else twofactor.pending_totp(user)
    context = {
        "form": form,
        "enabled": enabled,
        "device": device,
        "qr": twofactor.qr_svg(device) if device is not None else "",
        "secret": _base32(device) if device is not None else "",
        "codes": request.session.pop(CODES_KEY, None),
        "required_by": list(twofactor.workspaces_requiring_2fa(user)),
        "verified": user.is_verified(),  # type: ignore[attr-defined]
        "required_now": request.GET.get("required") == "1",
    }
    return render(request, "web/account/security.html", context)


def _base32(device: Any) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@require_POST
def enable_2fa(request: AuthenticatedRequest) -> HttpResponse:
    try:
        device, codes = twofactor.confirm_totp(
            request.user, request.POST.get("code", ""), by=Actor.from_request(request)
        )
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        otp_login(request, device)  # this session is now verified
        request.session[CODES_KEY] = codes
        messages.success(request, _("Two-factor authentication is on."))
    return redirect("account:security")


@login_required
@require_POST
def new_codes(request: AuthenticatedRequest) -> HttpResponse:
    try:
        request.session[CODES_KEY] = twofactor.new_recovery_codes(
            request.user, by=Actor.from_request(request)
        )
    except ActionError as exc:
        messages.error(request, str(exc))
    return redirect("account:security")


@login_required
@require_POST
def disable(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.check_password(request.POST.get("password", "")):
        messages.error(request, _("Your password is needed to turn off two-factor authentication."))
        return redirect("account:security")
    try:
        twofactor.disable_2fa(request.user, by=Actor.from_request(request))
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Two-factor authentication is off."))
    return redirect("account:security")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "web/account/reset_request.html"
    email_template_name = "web/account/reset_email.txt"
    subject_template_name = "web/account/reset_subject.txt"
    success_url = reverse_lazy("account:reset_sent")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/account/reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/account/reset_confirm.html"
    form_class = HearthSetPasswordForm
    success_url = reverse_lazy("account:reset_done")

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.actor = Actor.from_request(self.request)
        return form


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/account/reset_done.html"


def lockout_response(
    request: HttpRequest, original_response: Any, credentials: Any
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: a translated page that says for how long."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "web/locked_out.html", context, status=429)
