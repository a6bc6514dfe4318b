"""The quarantine's retry button (the channel's page lists the quarantined items)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hearth.channels.models import QuarantinedItem
from hearth.core.access import access_scoped
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.permissions import Perm
from hearth.pipeline.quarantine import retry_quarantined


@login_required
@require_POST
def retry(request: AuthenticatedRequest, entry_id: int) -> HttpResponse:
    entry = access_scoped(
        QuarantinedItem.objects.select_related("channel"),
        request.membership,
        entry_id,
        Perm.MANAGE_CHANNELS,
        what="quarantined item",
    )
    if retry_quarantined(entry, by=Actor.from_request(request)):
        messages.success(request, _("The item is stored."))
    else:
        messages.error(request, _("The item failed again; the reason is updated."))
    return redirect("channels:detail", entry.channel_id)
