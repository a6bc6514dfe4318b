"""The composer's workspace library: media files (with alt text), saved hashtag groups and
snippets.

Media bytes are written under HEARTH_DATA_DIR/media/<workspace id>/ with a name made from
their SHA-256 (the same file uploaded twice is one asset); the database row is written after
the file, so a crash leaves at worst an unreferenced file, never a row without its bytes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.channels.connectors.base import MEDIA_DIR
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.publishing.media import NotMedia, human_size, sniff
from hearth.publishing.models import MediaAsset, PostVariant, Snippet, SnippetKind

MAX_ALT = 1500  # Mastodon's description limit; the longest any platform takes
MAX_SNIPPET = 2000


def media_root() -> Path:
    return Path(settings.HEARTH_DATA_DIR) / MEDIA_DIR


def _limit(kind: str) -> int:
    megabytes = (
        settings.HEARTH_MEDIA_MAX_VIDEO_MB
        if kind == "video"
        else settings.HEARTH_MEDIA_MAX_IMAGE_MB
    )
    return int(megabytes) * 1024 * 1024


@transaction.atomic
def upload_media(
    workspace: Workspace, stream: IO[bytes], *, name: str, size: int, by: Actor, alt_text: str = ""
) -> MediaAsset:
    """Add a file to the workspace's media library.

    Preconditions: the actor may PUBLISH; the bytes are a JPEG, PNG, GIF or WebP image or an
    MP4, MOV or WebM video (found in the file itself) within HEARTH_MEDIA_MAX_IMAGE_MB /
    HEARTH_MEDIA_MAX_VIDEO_MB.
    Side effects: the file under the data directory, the asset (or the existing one for the same
    bytes, its alt text filled if it had none), an audit entry.
    """
    check_actor(by, workspace, Perm.PUBLISH)
    name = os.path.basename(name or "").strip()[:200] or "file"
    if size <= 0:
        raise ActionError(_("The file “%(name)s” is empty: choose another one.") % {"name": name})
    try:
        found = sniff(stream)
    except NotMedia as exc:
        raise ActionError(f"“{name}”: {exc}") from None
    if size > _limit(found.kind):
        raise ActionError(
            _(
                "“%(name)s” weighs %(size)s; the media library takes files of this kind up to "
                "%(max)s: compress it, then upload it again."
            )
            % {"name": name, "size": human_size(size), "max": human_size(_limit(found.kind))}
        )
    if len(alt_text) > MAX_ALT:
        raise ActionError(_("Alt text takes at most 1,500 characters: shorten it."))
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    sha = digest.hexdigest()
    existing = MediaAsset.objects.filter(workspace=workspace, sha256=sha).first()
    if existing is not None:
        if alt_text.strip() and not existing.alt_text:
            existing.alt_text = alt_text.strip()
            existing.save(update_fields=["alt_text"])
        return existing
    relative = f"{workspace.pk}/{sha}{found.extension}"
    target = media_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    stream.seek(0)
    with partial.open("wb") as out:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            out.write(chunk)
    partial.replace(target)
    asset = MediaAsset.objects.create(
        workspace=workspace,
        uploaded_by=by.user,
        name=name,
        kind=found.kind,
        content_type=found.content_type,
        size=size,
        width=found.width,
        height=found.height,
        sha256=sha,
        path=relative,
        alt_text=alt_text.strip(),
    )
    audit.record(
        "publishing.media.upload",
        by=by,
        workspace=workspace,
        target=asset,
        data={"name": name, "type": found.content_type, "size": size},
    )
    return asset


@transaction.atomic
def set_alt_text(asset: MediaAsset, alt_text: str, *, by: Actor) -> MediaAsset:
    """Describe the file for people who cannot see it; variants that use it take the new text
    when they are next saved or sent."""
    check_actor(by, asset.workspace_id, Perm.PUBLISH)
    if len(alt_text) > MAX_ALT:
        raise ActionError(_("Alt text takes at most 1,500 characters: shorten it."))
    asset.alt_text = alt_text.strip()
    asset.save(update_fields=["alt_text"])
    audit.record("publishing.media.alt", by=by, workspace=asset.workspace, target=asset)
    return asset


@transaction.atomic
def delete_media(asset: MediaAsset, *, by: Actor) -> None:
    """Remove a file no post still waiting to go out uses (what is published stays published)."""
    check_actor(by, asset.workspace_id, Perm.PUBLISH)
    # JSON containment has no SQLite lookup: the waiting variants' media are read instead.
    in_use = any(
        isinstance(m, dict) and m.get("asset_id") == asset.pk
        for media in PostVariant.objects.filter(
            post__workspace_id=asset.workspace_id, outbox_item__isnull=True
        ).values_list("media", flat=True)
        for m in media or []
    )
    if in_use:
        raise ActionError(
            _("“%(name)s” is attached to a post that has not gone out: detach it first.")
            % {"name": asset.name}
        )
    path = media_root() / asset.path
    audit.record(
        "publishing.media.delete",
        by=by,
        workspace=asset.workspace,
        target=asset,
        data={"name": asset.name},
    )
    asset.delete()
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


def media_item(asset: MediaAsset) -> dict[str, Any]:
    """How a variant refers to a library file (and what the outbox hands the connector)."""
    return {
        "asset_id": asset.pk,
        "name": asset.name,
        "type": asset.kind,
        "content_type": asset.content_type,
        "size": asset.size,
        "path": asset.path,
        "alt": asset.alt_text.strip(),
    }


def resolve_media(workspace_id: int, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A variant's media as given (library ids as {"asset_id"}, or addresses as {"url"}), with
    each library file's stored facts; a file of another workspace is refused like a missing
    one."""
    ids = [int(i["asset_id"]) for i in items if isinstance(i, dict) and i.get("asset_id")]
    assets = {a.pk: a for a in MediaAsset.objects.filter(workspace_id=workspace_id, pk__in=ids)}
    out: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("asset_id"):
            asset = assets.get(int(item["asset_id"]))
            if asset is None:
                raise ActionError(
                    _("A chosen file is not in this workspace's media library: attach it again.")
                )
            out.append(media_item(asset))  # the library's description is the one
        elif str(item.get("url") or "").strip():
            out.append(
                {
                    "url": str(item["url"]).strip()[:500],
                    "alt": str(item.get("alt") or "").strip()[:MAX_ALT],
                    "type": "video" if item.get("type") == "video" else "image",
                }
            )
    return out


# Hashtag groups and snippets ----------------------------------------------------------------


@transaction.atomic
def save_snippet(
    workspace: Workspace,
    *,
    kind: str,
    name: str,
    body: str,
    by: Actor,
    snippet: Snippet | None = None,
) -> Snippet:
    """Create (or, given `snippet`, change) a saved hashtag group or snippet.

    Preconditions: the actor may PUBLISH; a name (unique per kind in the workspace) and a text.
    A hashtag group's words each get their "#".
    """
    check_actor(by, workspace, Perm.PUBLISH)
    if kind not in SnippetKind.values:
        raise ActionError(_("Choose a hashtag group or a snippet."))
    name, body = name.strip()[:80], body.strip()
    if not name:
        raise ActionError(_("Name it, so the team finds it in the composer."))
    if not body:
        raise ActionError(_("Write the text to insert."))
    if len(body) > MAX_SNIPPET:
        raise ActionError(_("A snippet takes at most 2,000 characters: shorten it."))
    if kind == SnippetKind.HASHTAGS:
        words = [w.strip().lstrip("#") for w in body.replace(",", " ").split()]
        body = " ".join(f"#{w}" for w in words if w)
    clash = Snippet.objects.filter(workspace=workspace, kind=kind, name=name)
    if snippet is not None:
        clash = clash.exclude(pk=snippet.pk)
    if clash.exists():
        raise ActionError(
            _("There is already one named “%(name)s”: choose another name.") % {"name": name}
        )
    if snippet is None:
        snippet = Snippet(workspace=workspace, created_by=by.user)
    snippet.kind, snippet.name, snippet.body = kind, name, body
    snippet.updated_at = timezone.now()
    snippet.save()
    audit.record(
        "publishing.snippet.save", by=by, workspace=workspace, target=snippet, data={"kind": kind}
    )
    return snippet


@transaction.atomic
def delete_snippet(snippet: Snippet, *, by: Actor) -> None:
    check_actor(by, snippet.workspace_id, Perm.PUBLISH)
    audit.record(
        "publishing.snippet.delete",
        by=by,
        workspace=snippet.workspace,
        target=snippet,
        data={"name": snippet.name},
    )
    snippet.delete()
