"""Write paths of analytics: objectives, their checks and alerts, conversions, the signing key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.analytics import kpis
from hearth.analytics.models import (
    AnalyticsSettings,
    Conversion,
    ConversionSource,
    Direction,
    Objective,
    ObjectiveStatus,
)
from hearth.analytics.objectives import baseline_for, progress
from hearth.analytics.rollups import local_today
from hearth.channels.models import Channel
from hearth.core import audit
from hearth.core import secrets as vault
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.notify.actions import raise_alert

MAX_TEXT = 2000


def _required(value: str, field: str, example: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ActionError(f"{field} is empty: {example}")
    if len(value) > MAX_TEXT:
        raise ActionError(f"{field} is longer than {MAX_TEXT} characters: shorten it.")
    return value


def create_objective(
    workspace: Workspace,
    *,
    name: str,
    specific: str,
    kpi: str,
    target: float,
    business_goal: str,
    start: date,
    deadline: date,
    by: Actor,
    direction: str = "",
    channel: Channel | None = None,
    campaign: str = "",
    achievable_note: str = "",
    tolerance: float = 0.1,
) -> Objective:
    """Create a SMART objective, with its baseline measured now, and check it once.

    Needs `view_analytics`. Each criterion is required: a clear ActionError names the field.
    """
    check_actor(by, workspace, Perm.VIEW_ANALYTICS)
    name = _required(name, "name", "give the objective a short name.")[:120]
    specific = _required(specific, "specific", "say what exactly should change, and where.")
    business_goal = _required(
        business_goal, "business_goal", "say which business goal this serves (relevant)."
    )
    try:
        definition = kpis.get(kpi)
    except LookupError as exc:
        raise ActionError(str(exc.args[0])) from None
    if definition.kind == "placeholder":
        raise ActionError(f"kpi '{kpi}' has no figures yet: choose another KPI.")
    if channel is not None and channel.workspace_id != workspace.pk:
        raise ActionError("channel is not one of this workspace's channels.")
    if channel is not None and not definition.by_channel:
        raise ActionError(f"KPI '{kpi}' has no breakdown by channel: leave the channel out.")
    if campaign and not definition.by_campaign:
        raise ActionError(f"KPI '{kpi}' has no breakdown by campaign: leave the campaign out.")
    if deadline <= start:
        raise ActionError("deadline must come after start (time-bound): pick a later date.")
    if (deadline - start).days > 3 * 366:
        raise ActionError("deadline is more than three years after start: pick a nearer one.")
    if not 0 <= tolerance <= 1:
        raise ActionError("tolerance must be between 0 and 1 (0.1 is 10 %).")
    if direction not in ("", Direction.INCREASE, Direction.DECREASE):
        raise ActionError("direction must be 'increase' or 'decrease'.")
    direction = direction or (
        Direction.INCREASE if definition.higher_is_better else Direction.DECREASE
    )
    baseline = baseline_for(
        workspace,
        kpi,
        start,
        deadline,
        channel=channel.pk if channel else None,
        campaign=campaign or None,
    )
    with transaction.atomic():
        objective = Objective.objects.create(
            workspace=workspace,
            name=name,
            specific=specific,
            kpi=kpi,
            channel=channel,
            campaign=campaign.strip()[:80],
            direction=direction,
            baseline=baseline,
            target=float(target),
            business_goal=business_goal,
            achievable_note=achievable_note.strip()[:MAX_TEXT],
            start=start,
            deadline=deadline,
            tolerance=tolerance,
            created_by=by.user,
        )
        audit.record(
            "analytics.objective.create",
            by=by,
            workspace=workspace,
            target=objective,
            data={"kpi": kpi, "target": objective.target},
        )
    check_objective(objective)
    return objective


def delete_objective(objective: Objective, *, by: Actor) -> None:
    check_actor(by, objective.workspace, Perm.VIEW_ANALYTICS)
    with transaction.atomic():
        audit.record(
            "analytics.objective.delete",
            by=by,
            workspace=objective.workspace,
            data={"name": objective.name, "id": objective.pk},
        )
        objective.delete()


def check_objective(objective: Objective, *, today: date | None = None) -> Objective:
    """Measure the objective, store its status; alert (notify) when it goes off course.

    Called by Hearth (the hourly job and after creation): no permission check. One alert per
    drift: it fires when the status becomes off course, not again while it stays so.
    """
    today = today or local_today(objective.workspace)
    result = progress(objective, today)
    before = objective.status
    with transaction.atomic():
        Objective.objects.filter(pk=objective.pk).update(
            status=result.status,
            current=result.current,
            forecast=result.forecast,
            checked_at=timezone.now(),
        )
        objective.status, objective.current, objective.forecast = (
            result.status,
            result.current,
            result.forecast,
        )
        if result.status == ObjectiveStatus.OFF_COURSE and before != ObjectiveStatus.OFF_COURSE:
            raise_alert(
                objective.workspace_id,
                source="analytics",
                kind="objective",
                subject=f"objective:{objective.pk}",
                title=_("Objective off course: %(name)s") % {"name": objective.name},
                fired_at=timezone.now(),
                data={
                    "objective_id": objective.pk,
                    "text": _(
                        "forecast %(forecast)s at the deadline (%(deadline)s) against a "
                        "target of %(target)s."
                    )
                    % {
                        "forecast": _fmt(result.forecast),
                        "deadline": objective.deadline.isoformat(),
                        "target": _fmt(objective.target),
                    },
                },
                link=reverse("analytics:objective", args=[objective.pk]),
            )
    return objective


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def check_all_objectives(*, today: date | None = None) -> int:
    """Check every objective not yet past its deadline by more than a day."""
    count = 0
    horizon = timezone.now().date() - timedelta(days=2)
    for objective in Objective.objects.filter(deadline__gte=horizon).select_related("workspace"):
        check_objective(objective, today=today)
        count += 1
    return count


# ---------------------------------------------------------------------------- conversions


def conversion_settings(workspace: Workspace) -> AnalyticsSettings:
    """The workspace's conversion key and secret, made on first use."""
    found = AnalyticsSettings.objects.filter(workspace=workspace).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return AnalyticsSettings.objects.create(
                workspace=workspace,
                conversion_key=secrets.token_urlsafe(24),
                conversion_secret_encrypted=vault.encrypt(secrets.token_urlsafe(32)),
            )
    except IntegrityError:  # made by a concurrent first use
        return AnalyticsSettings.objects.get(workspace=workspace)


def rotate_conversion_secret(workspace: Workspace, *, by: Actor) -> str:
    """A new signing secret (the old one stops working); returns it, shown once."""
    check_actor(by, workspace, Perm.MANAGE_WORKSPACE)
    found = conversion_settings(workspace)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        AnalyticsSettings.objects.filter(pk=found.pk).update(
            conversion_secret_encrypted=vault.encrypt(secret)
        )
        audit.record("analytics.conversion_secret.rotate", by=by, workspace=workspace)
    return secret


def conversion_secret(workspace: Workspace) -> str:
    return vault.decrypt(conversion_settings(workspace).conversion_secret_encrypted)


def sign_conversion(secret: str, timestamp: str, body: bytes) -> str:
    """The signature a site sends: hex HMAC-SHA256 of "<timestamp>.<body>" with the secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_conversion(
    settings_row: AnalyticsSettings,
    *,
    timestamp: str,
    signature: str,
    body: bytes,
    now: datetime | None = None,
    tolerance_s: int = 300,
) -> None:
    """Raise ActionError unless the signature is right and the timestamp recent (no replays)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        raise ActionError("X-Hearth-Timestamp is missing or not a Unix time in seconds.") from None
    current = int((now or timezone.now()).timestamp())
    if abs(current - sent) > tolerance_s:
        raise ActionError("X-Hearth-Timestamp is more than 5 minutes off: check the site's clock.")
    secret = vault.decrypt(settings_row.conversion_secret_encrypted)
    expected = sign_conversion(secret, timestamp, body)
    given = (signature or "").removeprefix("sha256=")
    if not hmac.compare_digest(expected, given):
        raise ActionError(
            "X-Hearth-Signature does not match: sign '<timestamp>.<body>' with the secret."
        )


def record_conversion(
    workspace: Workspace,
    *,
    goal: str,
    source: str,
    value: float = 0.0,
    occurred_at: datetime | None = None,
    campaign: str = "",
    link_code: str = "",
    external_id: str = "",
) -> tuple[Conversion, bool]:
    """Store a conversion posted back by the brand's site; returns it and whether it is new.

    The caller has verified the request (signature, or a pixel's key). The campaign comes from
    the short link when one is named. A repeat of `external_id` is kept once.
    """
    from hearth.publishing.models import ShortLink

    goal = (goal or "").strip()
    if not goal or len(goal) > 60:
        raise ActionError(
            "goal is missing or longer than 60 characters: name the goal, e.g. 'signup'."
        )
    if source not in ConversionSource.values:
        raise ActionError("source must be 'endpoint' or 'pixel'.")
    try:
        value = float(value or 0)
    except (TypeError, ValueError):
        raise ActionError("value is not a number: send it like 19.90.") from None
    if value != value or abs(value) > 1e12:  # NaN or absurd
        raise ActionError("value is not a usable number: send it like 19.90.")
    link_code = (link_code or "").strip()[:16]
    if link_code and not campaign:
        campaign = (
            ShortLink.objects.filter(workspace=workspace, code=link_code)
            .values_list("campaign", flat=True)
            .first()
            or ""
        )
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + timedelta(minutes=5):
        raise ActionError("occurred_at is in the future: send the time the goal was reached.")
    external_id = (external_id or "").strip()[:100]
    if external_id:
        existing = Conversion.objects.filter(workspace=workspace, external_id=external_id).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            conversion = Conversion.objects.create(
                workspace=workspace,
                goal=goal,
                value=value,
                occurred_at=occurred_at,
                campaign=(campaign or "").strip()[:80],
                link_code=link_code,
                source=source,
                external_id=external_id,
            )
    except IntegrityError:  # the same external id, posted twice at once
        return Conversion.objects.get(workspace=workspace, external_id=external_id), False
    return conversion, True
