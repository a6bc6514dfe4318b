"""Bulk: posts from a CSV file, validated line by line.

Columns (a header line names them; only `channels` and `text` are required):
`date` (ISO 8601, the workspace's time zone when it has no offset; empty: a draft), `channels`
(slugs separated by `|`), `text`, `title`, `campaign`, `labels` (separated by `|`), `class`
(value, engagement or promotion), `link`, `first_comment`.

Every line is checked — the channels, the class, the date, and each platform's rules and hourly
cap (counting the file's earlier lines) — and every problem is named with its line; a file with a
problem imports nothing, so fixing it and importing it again cannot duplicate posts. With an
approval workflow a dated line becomes a draft planned for its date.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from hearth.channels.models import Channel
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.publishing.actions.posts import (
    PostIn,
    VariantIn,
    create_post,
    post_problems,
    publishing_settings,
    schedule_post,
)
from hearth.publishing.models import ApprovalMode, ContentClass, Post

MAX_LINES = 5000


@dataclass
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportResult:
    posts: list[Post]
    errors: list[LineError]


def import_posts_csv(workspace: Workspace, text: str, *, by: Actor) -> ImportResult:
    """Create the file's posts (scheduled when dated), or none if a line has a problem.

    Preconditions: the actor may PUBLISH. Side effects: the posts (drafts, or scheduled through
    `schedule_post`, which checks approvals and each platform's rules), one audit entry.
    """
    check_actor(by, workspace, Perm.PUBLISH)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    missing = {"channels", "text"} - columns
    if missing:
        return ImportResult(
            [],
            [
                LineError(
                    1,
                    _("the header must name the columns %(columns)s.")
                    % {"columns": ", ".join(sorted(missing))},
                )
            ],
        )
    channels = {
        c.slug: c for c in Channel.objects.filter(workspace=workspace, deleted_at__isnull=True)
    }
    planned: list[tuple[int, PostIn]] = []
    errors: list[LineError] = []
    for number, raw in enumerate(reader, start=2):
        if number > MAX_LINES + 1:
            errors.append(LineError(number, _("a file holds at most 5,000 posts.")))
            break
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        slugs = [s.strip() for s in row.get("channels", "").split("|") if s.strip()]
        unknown = [s for s in slugs if s not in channels]
        if not slugs:
            errors.append(LineError(number, _("name at least one channel (its slug).")))
        elif unknown:
            errors.append(
                LineError(
                    number,
                    _("no channel %(slugs)s in this workspace.") % {"slugs": ", ".join(unknown)},
                )
            )
        klass = row.get("class") or ContentClass.VALUE
        if klass not in ContentClass.values:
            errors.append(LineError(number, _("class must be value, engagement or promotion.")))
        when = None
        if row.get("date"):
            when = parse_datetime(row["date"].replace(" ", "T", 1))
            if when is None:
                errors.append(
                    LineError(
                        number,
                        _("“%(date)s” is not a date and time (write 2027-03-01 09:30).")
                        % {"date": row["date"]},
                    )
                )
            else:
                if timezone.is_naive(when):
                    when = timezone.make_aware(when, timezone.get_current_timezone())
                if when <= timezone.now():
                    errors.append(LineError(number, _("the date is in the past.")))
        if errors and errors[-1].line == number:
            continue
        planned.append(
            (
                number,
                PostIn(
                    variants=[
                        VariantIn(
                            channel_id=channels[s].pk,
                            text=row.get("text", ""),
                            link=row.get("link", ""),
                            first_comment=row.get("first_comment", ""),
                        )
                        for s in slugs
                    ],
                    title=row.get("title", ""),
                    campaign=row.get("campaign", ""),
                    labels=[x.strip() for x in row.get("labels", "").split("|") if x.strip()],
                    content_class=klass,
                    scheduled_at=when,
                ),
            )
        )
    if errors:
        return ImportResult([], errors)
    # With an approval workflow a dated line is a draft planned for its date (it is scheduled
    # once approved); without, it is scheduled at once.
    direct = publishing_settings(workspace).approval_mode == ApprovalMode.NONE
    made: list[Post] = []
    try:
        with transaction.atomic():
            for number, data in planned:
                post = create_post(workspace, data, by=by)
                problems = post_problems(post, data.scheduled_at)
                if problems:
                    errors.append(LineError(number, " ".join(problems)))
                    continue
                if data.scheduled_at is not None and direct:
                    post = schedule_post(post, data.scheduled_at, by=by)
                made.append(post)
            if errors:
                raise _Rollback
            audit.record("publishing.import", by=by, workspace=workspace, data={"posts": len(made)})
    except _Rollback:
        return ImportResult([], errors)
    return ImportResult(made, [])


class _Rollback(Exception):
    """A line failed a platform's rules: nothing of the file is kept."""
