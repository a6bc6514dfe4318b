"""Look-ups of reports on request input, scoped to the member's workspace."""

from __future__ import annotations

from hearth.core.access import access_scoped
from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.reports.models import Report, ShareLink


def access_report(
    membership: Membership | None, report_id: int | str, perm: Perm = Perm.VIEW_ANALYTICS
) -> Report:
    return access_scoped(
        Report.objects.select_related("workspace"), membership, report_id, perm, what="report"
    )


def access_share_link(
    membership: Membership | None, link_id: int | str, perm: Perm = Perm.VIEW_ANALYTICS
) -> ShareLink:
    return access_scoped(
        ShareLink.objects.select_related("report", "report__workspace"),
        membership,
        link_id,
        perm,
        what="share link",
        workspace_field="report__workspace",
    )
