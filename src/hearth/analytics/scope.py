"""The dashboard's filters read from a query string: range, comparison, channel, campaign."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from hearth.analytics.kpis import check_range
from hearth.channels.models import Channel
from hearth.core.actions import ActionError
from hearth.core.models import Workspace

COMPARE = ("previous", "year", "none")


@dataclass(frozen=True)
class Scope:
    start: date
    end: date
    compare: str
    channel: Channel | None
    campaign: str
    interval: str

    @property
    def channel_id(self) -> int | None:
        return self.channel.pk if self.channel else None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def compare_range(self) -> tuple[date, date] | None:
        if self.compare == "previous":
            return self.start - timedelta(days=self.days), self.start - timedelta(days=1)
        if self.compare == "year":
            return _year_before(self.start), _year_before(self.end)
        return None

    def query(self, **override: str) -> str:
        """The query string of this scope (with overrides), for links and exports."""
        params = {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "compare": self.compare,
            "interval": self.interval,
            "channel": str(self.channel_id or ""),
            "campaign": self.campaign,
        }
        params.update(override)
        return urlencode({k: v for k, v in params.items() if v})


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _date(params: Mapping[str, str], key: str, default: date) -> date:
    raw = (params.get(key) or "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ActionError(f"{key} '{raw[:20]}' is not a date: write it like 2026-03-01.") from None


def parse_scope(workspace: Workspace, params: Mapping[str, str], today: date) -> Scope:
    """The scope the parameters ask for (default: the last 28 days, against the 28 before)."""
    end = _date(params, "to", today)
    start = _date(params, "from", end - timedelta(days=27))
    compare = (params.get("compare") or "previous").strip()
    if compare not in COMPARE:
        raise ActionError("compare must be previous, year or none.")
    interval = (params.get("interval") or "").strip()
    if not interval:
        span = (end - start).days + 1
        interval = "day" if span <= 62 else "week" if span <= 366 else "month"
    check_range(start, end, interval)
    channel = None
    raw_channel = (params.get("channel") or "").strip()
    if raw_channel:
        if not raw_channel.isdigit():
            raise ActionError("channel must be a channel's number: pick one in the list.")
        channel = Channel.objects.filter(workspace=workspace, pk=int(raw_channel)).first()
        if channel is None:
            raise ActionError(
                "channel is not one of this workspace's channels: pick one in the list."
            )
    campaign = (params.get("campaign") or "").strip()[:80]
    return Scope(start, end, compare, channel, campaign, interval)
