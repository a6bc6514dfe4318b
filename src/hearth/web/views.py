from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hearth.core import audit
from hearth.core.access import access_workspace
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.middleware import SESSION_KEY
from hearth.core.models import AuditEvent
from hearth.core.permissions import Perm
from hearth.web.dashboard import dashboard_data


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        audit.record("auth.login", by=Actor.from_request(self.request), workspace=None)
        return response


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
    context = dashboard_data(request.workspace)
    template = "web/dashboard/_counts.html" if request.htmx else "web/dashboard/page.html"
    return render(request, template, context)


@login_required
def audit_log(request: AuthenticatedRequest) -> HttpResponse:
    if request.membership is None:
        return _no_workspace(request)
    if not request.membership.can(Perm.VIEW_AUDIT):
        raise PermissionDenied
    events = AuditEvent.objects.filter(workspace=request.workspace).select_related("actor")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page})
