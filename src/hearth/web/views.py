from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hearth.core import audit, login_hints, twofactor
from hearth.core.access import access_workspace
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.middleware import SESSION_KEY
from hearth.core.models import User
from hearth.listening.models import CrisisRoom, CrisisStatus
from hearth.web.dashboard import dashboard_data
from hearth.web.security import begin_second_factor


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo"] = login_hints.login_hint()
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if twofactor.has_2fa(user):
            return begin_second_factor(
                self.request, user, getattr(user, "backend", ""), self.get_success_url()
            )
        response = super().form_valid(form)
        audit.record("auth.login", by=Actor.from_request(self.request), workspace=None)
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        # Every failed sign-in is in the audit log with the address tried; django-axes counts it.
        email = str(form.data.get("username", ""))[:254]
        audit.record(
            "auth.login_failed",
            by=Actor.from_request(self.request),
            workspace=None,
            target=User.objects.filter(email=email.strip().lower()).first(),
            data={"email": email, "reason": "password"},
        )
        return super().form_invalid(form)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record("auth.logout", by=Actor.from_request(request), workspace=None)
    logout(request)
    return redirect("login")


@login_required
@require_POST
def switch_workspace(request: AuthenticatedRequest) -> HttpResponse:
    membership = access_workspace(request.user, request.POST.get("workspace", ""))
    request.session[SESSION_KEY] = membership.workspace.slug
    return HttpResponseRedirect(reverse("dashboard"))


def _no_workspace(request: HttpRequest) -> HttpResponse:
    return render(request, "web/no_workspace.html", status=403)


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    if request.workspace is None:
        return _no_workspace(request)
    context = dashboard_data(request.workspace, include_owned=request.GET.get("owned") == "1")
    template = "web/dashboard/_counts.html" if request.htmx else "web/dashboard/page.html"
    return render(request, template, context)


def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log moved under the settings area; old links keep working."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(reverse("settings:audit") + (f"?{query}" if query else ""))


@login_required
def banners(request: AuthenticatedRequest) -> HttpResponse:
    """What every page shows above its content, loaded after the page: the open crises (not in
    the crisis room itself)."""
    crises = []
    if request.workspace is not None and not request.GET.get("from", "").startswith(
        "/listening/crisis/"
    ):
        crises = list(
            CrisisRoom.objects.filter(
                workspace=request.workspace,
                status__in=[CrisisStatus.OPEN, CrisisStatus.COMMUNICATING],
            )
            .select_related("query")
            .order_by("-detected_at")[:3]
        )
    return render(request, "web/_banners.html", {"crises": crises})
