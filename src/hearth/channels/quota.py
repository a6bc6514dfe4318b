"""Daily quota units a platform counts per app (YouTube's Data API is the one that does).

Google gives each project 10,000 units a day, every call costs a documented number of units
(a list 1, a reply or a moderation 50) and the day resets at midnight Pacific time. Hearth counts
the units it spends before each call (`spend`), refuses a call the day's rest cannot pay for,
and notes when Google itself says the quota is spent (`mark_exhausted`): both become a
`QuotaExhausted` (a `RetryLater` until the reset), which the channel shows as "quota exhausted
until …" instead of failing call after call.

Locking: the count goes up with `UPDATE … SET units = units + n WHERE units + n <= limit`, so
two workers spending at once never pass the limit together nor lose a count (SQLite and
PostgreSQL alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.channels.connectors.base import ReadsPaused, RetryLater
from hearth.channels.models import PlatformQuota

PACIFIC = ZoneInfo("America/Los_Angeles")


class QuotaExhausted(RetryLater):
    """The app's quota for the platform's day is spent: wait for the reset."""

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message, after_s=max(1.0, (until - timezone.now()).total_seconds()))
        self.until = until


def quota_day(now: datetime, tz: ZoneInfo = PACIFIC) -> date:
    return now.astimezone(tz).date()


def next_reset(now: datetime, tz: ZoneInfo = PACIFIC) -> datetime:
    """The next midnight in the platform's time zone (DST-aware), as an aware datetime."""
    tomorrow = quota_day(now, tz) + timedelta(days=1)
    return datetime.combine(tomorrow, time.min, tzinfo=tz)


@dataclass(frozen=True)
class QuotaState:
    used: int
    limit: int
    resets_at: datetime
    exhausted_until: datetime | None
    period: str = "day"  # day (YouTube's Pacific day) | month (X's calendar month, UTC)

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def exhausted(self) -> bool:
        return self.exhausted_until is not None

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.limit)) if self.limit else 100


def state(app_id: int, *, limit: int, now: datetime | None = None) -> QuotaState:
    """What the app spent today, and whether it waits for the reset."""
    now = now or timezone.now()
    row = PlatformQuota.objects.filter(app_id=app_id, day=quota_day(now)).first()
    used = row.units if row else 0
    until = row.exhausted_until if row and row.exhausted_until else None
    if until is not None and until <= now:
        until = None
    if until is None and used >= limit:
        until = next_reset(now)
    return QuotaState(used=used, limit=limit, resets_at=next_reset(now), exhausted_until=until)


def _exhausted(platform: str, until: datetime, limit: int) -> QuotaExhausted:
    return QuotaExhausted(
        _(
            "%(platform)s's daily quota (%(limit)s units) is used up: Hearth reads and sends "
            "again after its reset at midnight Pacific time (%(until)s UTC)."
        )
        % {
            "platform": platform,
            "limit": limit,
            "until": until.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        },
        until=until,
    )


def spend(
    app_id: int, units: int, *, limit: int, platform: str, now: datetime | None = None
) -> int:
    """Count `units` for today before a call; the units used after it.

    Raises `QuotaExhausted` (nothing counted) when the platform said the quota is spent or the
    day's rest cannot pay for the call.
    """
    now = now or timezone.now()
    day = quota_day(now)
    row = PlatformQuota.objects.filter(app_id=app_id, day=day).first()
    if row is None:
        try:
            with transaction.atomic():
                PlatformQuota.objects.create(app_id=app_id, day=day)
        except IntegrityError:
            pass  # another worker created today's row meanwhile
    elif row.exhausted_until is not None and row.exhausted_until > now:
        raise _exhausted(platform, row.exhausted_until, limit)
    counted = PlatformQuota.objects.filter(app_id=app_id, day=day, units__lte=limit - units).update(
        units=F("units") + units
    )
    if not counted:
        raise _exhausted(platform, next_reset(now), limit)
    return PlatformQuota.objects.get(app_id=app_id, day=day).units


def mark_exhausted(
    app_id: int, *, limit: int, platform: str, now: datetime | None = None
) -> QuotaExhausted:
    """The platform said the quota is spent (its count may differ from ours: another tool on
    the same project): wait for the reset. Returns the error to raise."""
    now = now or timezone.now()
    until = next_reset(now)
    day = quota_day(now)
    if not PlatformQuota.objects.filter(app_id=app_id, day=day).update(exhausted_until=until):
        try:
            with transaction.atomic():
                PlatformQuota.objects.create(app_id=app_id, day=day, exhausted_until=until)
        except IntegrityError:
            PlatformQuota.objects.filter(app_id=app_id, day=day).update(exhausted_until=until)
    return _exhausted(platform, until, limit)


# Monthly caps (X's API: posts read per app and calendar month, UTC). The month's row is the one
# of its first day; the count goes up after each read by the posts it returned.


def month_start(now: datetime) -> date:
    return now.astimezone(UTC).date().replace(day=1)


def next_month(now: datetime) -> datetime:
    first = month_start(now)
    following = (first + timedelta(days=32)).replace(day=1)
    return datetime.combine(following, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class MonthlyState(QuotaState):
    period: str = "month"


def month_state(app_id: int, *, limit: int, now: datetime | None = None) -> MonthlyState:
    """What the app read this month, and whether it waits for the next."""
    now = now or timezone.now()
    row = PlatformQuota.objects.filter(app_id=app_id, day=month_start(now)).first()
    used = row.units if row else 0
    until = row.exhausted_until if row and row.exhausted_until else None
    if until is not None and until <= now:
        until = None
    if until is None and used >= limit:
        until = next_month(now)
    return MonthlyState(used=used, limit=limit, resets_at=next_month(now), exhausted_until=until)


def _month_exhausted(platform: str, until: datetime, limit: int) -> ReadsPaused:
    return ReadsPaused(
        _(
            "%(platform)s's monthly read cap (%(limit)s posts) is reached: Hearth reads again "
            "from %(until)s UTC, when the month resets; replies and moderation still go out."
        )
        % {
            "platform": platform,
            "limit": limit,
            "until": until.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        },
        until=until,
    )


def month_left(app_id: int, *, limit: int, platform: str, now: datetime | None = None) -> int:
    """The posts the app may still read this month; `ReadsPaused` when none."""
    found = month_state(app_id, limit=limit, now=now)
    if found.exhausted_until is not None:
        raise _month_exhausted(platform, found.exhausted_until, limit)
    return found.left


def count_month(app_id: int, units: int, *, now: datetime | None = None) -> int:
    """Count `units` posts read this month (after the read: the platform counted them)."""
    now = now or timezone.now()
    first = month_start(now)
    if not PlatformQuota.objects.filter(app_id=app_id, day=first).update(units=F("units") + units):
        try:
            with transaction.atomic():
                PlatformQuota.objects.create(app_id=app_id, day=first, units=units)
        except IntegrityError:
            PlatformQuota.objects.filter(app_id=app_id, day=first).update(units=F("units") + units)
    return PlatformQuota.objects.get(app_id=app_id, day=first).units


def mark_month_exhausted(
    app_id: int, *, limit: int, platform: str, now: datetime | None = None
) -> ReadsPaused:
    """The platform said the monthly cap is reached: wait for the next month."""
    now = now or timezone.now()
    until = next_month(now)
    first = month_start(now)
    if not PlatformQuota.objects.filter(app_id=app_id, day=first).update(exhausted_until=until):
        try:
            with transaction.atomic():
                PlatformQuota.objects.create(app_id=app_id, day=first, exhausted_until=until)
        except IntegrityError:
            PlatformQuota.objects.filter(app_id=app_id, day=first).update(exhausted_until=until)
    return _month_exhausted(platform, until, limit)
