"""GDPR: export everything Hearth holds about a member, erase a member, purge by retention.

Rows of other apps that point at the member's authors (sanctions, moderation events, queue
entries, hidden messages…) are found through Django's relations of `Author` and `Message`,
not by importing those apps (community sits below them): what another app adds later is
exported and erased without a change here.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from hearth.channels.models import OutboxItem
from hearth.community.members import identities_of
from hearth.community.models import (
    AuthorWeek,
    CommunitySettings,
    ErasePolicy,
    Identity,
    LinkSuggestion,
    Member,
    MergeRecord,
)
from hearth.community.segments import community_settings
from hearth.conversations.models import Author, Message, Thread
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm

ERASED = "[erased]"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _row(obj: models.Model) -> dict[str, Any]:
    data = model_to_dict(obj)
    for f in obj._meta.concrete_fields:
        if f.name not in data:
            data[f.name] = getattr(obj, f.attname)
    return {k: _plain(v) for k, v in data.items()}


def _related_rows(
    model: type[models.Model], pks: list[int], skip: set[str]
) -> dict[str, list[dict[str, Any]]]:
    """Rows of every model with a foreign key to `model` among `pks` (grouped by model label)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for rel in model._meta.related_objects:
        related: Any = rel.related_model
        if not isinstance(rel, models.ManyToOneRel) or related is None:
            continue
        label = related._meta.label_lower
        if label in skip:
            continue
        rows = related._default_manager.filter(**{f"{rel.field.name}__in": pks})
        found.setdefault(label, []).extend(_row(r) for r in rows)
    return {k: v for k, v in found.items() if v}


def export_member(member: Member, *, by: Actor) -> dict[str, Any]:
    """Everything Hearth holds about the member, as plain JSON-ready data.

    Preconditions: the actor may VIEW_ANALYTICS in the member's workspace.
    Side effects: an audit entry (the member's id only).
    """
    check_actor(by, member.workspace_id, Perm.VIEW_ANALYTICS)
    authors = identities_of(member)
    author_ids = [a.pk for a in authors]
    messages = list(Message.objects.filter(author_id__in=author_ids).order_by("created_at", "pk"))
    identities = {i.author_id: i for i in Identity.objects.filter(member=member)}
    data = {
        "format": "hearth-member-export/1",
        "exported_at": timezone.now().isoformat(),
        "member": _row(member) | {"segments": member.segments},
        "identities": [
            _row(a)
            | {"channel_name": a.channel.name, "channel_kind": a.channel.kind}
            | {"evidence": _row(identities[a.pk])}
            for a in authors
        ],
        "messages": [_row(m) for m in messages],
        "related": _related_rows(
            Author, author_ids, {"conversations.message", "community.identity"}
        )
        | _related_rows(Message, [m.pk for m in messages], {"conversations.message"}),
        "merges": [_row(r) for r in MergeRecord.objects.filter(target=member)],
    }
    audit.record(
        "community.member.export", by=by, workspace=member.workspace, data={"member": member.pk}
    )
    return data


def summary(data: dict[str, Any]) -> str:
    """A readable summary of an export (plain text, in English: the JSON is the reference)."""
    m = data["member"]
    lines = [
        f"Member {m['display_name'] or m['person_key']}",
        f"First seen: {m['first_seen_at']}  Last seen: {m['last_seen_at']}",
        f"Segments: {', '.join(m['segments']) or '-'}",
        f"Tags: {', '.join(m['tags']) or '-'}",
        f"Consents: {', '.join(k for k, v in m['consent'].items() if v.get('given')) or '-'}",
        "",
        f"Identities ({len(data['identities'])}):",
    ]
    lines += [
        f"  - {i['channel_kind']} / {i['channel_name']}: {i['handle']} {i['display_name']}"
        for i in data["identities"]
    ]
    lines.append(f"Messages: {len(data['messages'])}")
    lines += [
        f"  - {msg['created_at']} {msg['sentiment'] or '-'}: {msg['text'][:120]}"
        for msg in data["messages"][:50]
    ]
    for label, rows in data["related"].items():
        lines.append(f"{label}: {len(rows)} record(s)")
    return "\n".join(lines) + "\n"


def _scrub(text: str, needles: list[str]) -> str:
    for needle in needles:
        text = re.sub(re.escape(needle), ERASED, text, flags=re.IGNORECASE)
    return text


def _scrub_outbox(channel_ids: set[int], needles: list[str]) -> None:
    """What was sent to or about the member (notices, bans) keeps its state, not their names."""
    for item in OutboxItem.objects.filter(channel_id__in=channel_ids).only("pk", "payload"):
        raw = json.dumps(item.payload, ensure_ascii=False)
        clean = _scrub(raw, [json.dumps(n, ensure_ascii=False)[1:-1] for n in needles])
        if clean != raw:
            OutboxItem.objects.filter(pk=item.pk).update(payload=json.loads(clean))


@transaction.atomic
def erase_member(member: Member, *, by: Actor, policy: str | None = None) -> dict[str, int]:
    """Erase the member: identities and profile removed; messages pseudonymised or deleted.

    Preconditions: the actor may MANAGE_WORKSPACE (the owner); `policy`, if given, is one of
    ErasePolicy (ActionError otherwise); otherwise the workspace's setting applies.
    Side effects: "delete" deletes the member's messages (and what hangs on them); "pseudonymise"
    moves every row pointing at their authors to one placeholder author per channel with no
    name, clears the messages' links and replaces the member's names and handles in texts and
    thread subjects. The authors, identities, member, suggestions and merge records are deleted.
    An audit entry keeps only counts and the policy, no personal data.
    """
    check_actor(by, member.workspace_id, Perm.MANAGE_WORKSPACE)
    policy = policy or community_settings(member.workspace_id).erase_policy
    if policy not in ErasePolicy.values:
        raise ActionError(f"policy: '{policy}' is not one of {', '.join(ErasePolicy.values)}.")
    workspace = member.workspace
    authors = identities_of(member)
    author_ids = [a.pk for a in authors]
    needles = sorted(
        {
            s
            for a in authors
            for s in (a.handle, a.handle.lstrip("@"), a.display_name, a.external_id)
            if s and len(s) >= 3
        }
        | {i.email for i in Identity.objects.filter(member=member) if i.email}
        | ({member.display_name} if len(member.display_name) >= 3 else set()),
        key=len,
        reverse=True,
    )
    messages = Message.objects.filter(author_id__in=author_ids)
    count = messages.count()
    # A thread's subject is its root message's first words: it stays with the others' replies.
    for t in Thread.objects.filter(author_id__in=author_ids).only("pk", "subject"):
        Thread.objects.filter(pk=t.pk).update(subject=_scrub(t.subject, needles))
    if policy == ErasePolicy.DELETE:
        rooted = list(Thread.objects.filter(author_id__in=author_ids).values_list("pk", flat=True))
        messages.delete()
        Thread.objects.filter(pk__in=rooted, messages__isnull=True).delete()
    else:
        placeholders: list[int] = []
        for channel_id in {a.channel_id for a in authors}:
            placeholder = Author.objects.create(
                workspace=workspace,
                channel_id=channel_id,
                external_id=f"erased:{secrets.token_hex(8)}",
                first_seen_at=timezone.now(),
                last_seen_at=timezone.now(),
            )
            placeholders.append(placeholder.pk)
            mine = [a.pk for a in authors if a.channel_id == channel_id]
            for rel in Author._meta.related_objects:
                # A placeholder gathers the messages, not the weekly roll-ups (two authors of one
                # channel would clash on a week): those go with their authors.
                if rel.related_model is None or rel.related_model in (Identity, AuthorWeek):
                    continue
                if isinstance(rel, models.ManyToOneRel) and not isinstance(rel, models.OneToOneRel):
                    related: Any = rel.related_model
                    related._default_manager.filter(**{f"{rel.field.name}__in": mine}).update(
                        **{rel.field.name: placeholder}
                    )
        for m in Message.objects.filter(author_id__in=placeholders).only("pk", "text", "url"):
            text = _scrub(m.text, needles)
            if text != m.text or m.url:
                Message.objects.filter(pk=m.pk).update(text=text, url="")
    _scrub_outbox({a.channel_id for a in authors}, needles)
    LinkSuggestion.objects.filter(member=member).delete()
    LinkSuggestion.objects.filter(other=member).delete()
    MergeRecord.objects.filter(target=member).delete()
    Author.objects.filter(pk__in=author_ids).delete()
    member.delete()
    audit.record(
        "community.member.erase",
        by=by,
        workspace=workspace,
        data={"policy": policy, "messages": count, "identities": len(author_ids)},
    )
    return {"messages": count, "identities": len(author_ids)}


@transaction.atomic
def configure_privacy(
    workspace: Workspace, *, by: Actor, erase_policy: str, retention_days: int
) -> CommunitySettings:
    """Set the erase policy and the retention (days; 0 keeps personal data).

    Preconditions: the actor may MANAGE_WORKSPACE; values valid (ActionError naming the field).
    """
    check_actor(by, workspace, Perm.MANAGE_WORKSPACE)
    if erase_policy not in ErasePolicy.values:
        raise ActionError(f"erase_policy: choose one of {', '.join(ErasePolicy.values)}.")
    if not isinstance(retention_days, int) or not 0 <= retention_days <= 36500:
        raise ActionError("retention_days: give a whole number of days from 0 (keep) to 36500.")
    cfg = community_settings(workspace)
    cfg.erase_policy, cfg.retention_days = erase_policy, retention_days
    cfg.save(update_fields=["erase_policy", "retention_days"])
    audit.record(
        "community.settings.privacy",
        by=by,
        workspace=workspace,
        data={"erase_policy": erase_policy, "retention_days": retention_days},
    )
    return cfg


def purge_expired(workspace: Workspace, *, by: Actor, now: datetime | None = None) -> int:
    """Erase the members not seen for longer than the retention; returns how many.

    Nothing happens when the retention is 0 (the default: keep).
    """
    cfg = community_settings(workspace)
    if not cfg.retention_days:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=cfg.retention_days)
    done = 0
    for member in Member.objects.filter(workspace=workspace, last_seen_at__lt=cutoff):
        erase_member(member, by=by, policy=cfg.erase_policy)
        done += 1
    return done
