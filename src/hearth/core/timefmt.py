"""A moment in a sentence ("since 16:22"), in a given time zone and the reader's language.

Today's moments read as a time only; another day of the year adds the day and month, another
year the full date. The formats are Django's of the active language (French "16:22",
"6 décembre à 16:22"; English "4:22 p.m.", "December 6, 4:22 p.m."), so a page, an e-mail or
a statement posted in French or English reads naturally. Callers pass the workspace's time
zone (its business-hours setting): banners and statements must not show the server's.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Moment:
    text: str
    today: bool  # the time alone was enough


def moment_parts(
    value: datetime,
    *,
    tz: tzinfo | None = None,
    now: datetime | None = None,
    lang: str | None = None,
) -> Moment:
    """`value` for a sentence, in `tz` (the active time zone if None), in `lang` (the active
    language if None), with the date only when it is not today (in that time zone)."""
    tz = tz or timezone.get_current_timezone()
    local = timezone.localtime(value, tz)
    today = timezone.localtime(now or timezone.now(), tz).date()
    with translation.override(lang) if lang else nullcontext():
        time_text = formats.time_format(local, "TIME_FORMAT")
        if local.date() == today:
            return Moment(time_text, True)
        if local.year == today.year:
            date_text = formats.date_format(local, "MONTH_DAY_FORMAT")
        else:
            date_text = formats.date_format(local, "DATE_FORMAT")
        # Translators: a day and a time in a sentence, e.g. "December 6, 4:22 p.m.".
        return Moment(_("%(date)s, %(time)s") % {"date": date_text, "time": time_text}, False)


def moment(
    value: datetime,
    *,
    tz: tzinfo | None = None,
    now: datetime | None = None,
    lang: str | None = None,
) -> str:
    return moment_parts(value, tz=tz, now=now, lang=lang).text
