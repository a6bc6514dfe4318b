"""Saved replies: the workspace's own canned answers, in French or English, with variables."""

from __future__ import annotations

from django.db import transaction

from hearth.conversations.actions.reply import MAX_REPLY
from hearth.conversations.models import SavedReply
from hearth.conversations.replies import VARIABLES, unknown_variables
from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm


def _clean_saved_reply(
    workspace: Workspace, title: str, lang: str, text: str, *, exclude: int | None = None
) -> tuple[str, str]:

    title, text = title.strip(), text.strip()
    if lang not in ("fr", "en"):
        raise ActionError(f"lang '{lang}' is not supported for saved replies: use fr or en.")
    if not title or not text:
        raise ActionError("A saved reply needs a title and a text.")
    if len(title) > 80:
        raise ActionError(
            f"title is {len(title)} characters long; a saved reply title can have at most 80."
        )
    if len(text) > MAX_REPLY:
        raise ActionError(
            f"text is {len(text)} characters long; a saved reply can have at most {MAX_REPLY}."
        )
    unknown = unknown_variables(text)
    if unknown:
        names = ", ".join("{{" + name + "}}" for name in unknown)
        supported = ", ".join("{{" + name + "}}" for name in VARIABLES)
        raise ActionError(f"text uses the unknown variable {names}: use only {supported}.")
    same = SavedReply.objects.filter(workspace=workspace, lang=lang, title=title)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise ActionError(
            f"A saved reply '{title}' already exists in {lang}: choose another title."
        )
    return title, text


@transaction.atomic
def create_saved_reply(
    workspace: Workspace, *, title: str, lang: str, text: str, by: Actor
) -> SavedReply:
    """A new saved reply of the workspace.

    Preconditions: the actor may REPLY in `workspace`; lang is fr or en; a title of at most
    80 characters, unique in its language; a text of at most MAX_REPLY characters using only
    the known {{variables}} (ActionError otherwise).
    Side effects: the saved reply, an audit entry.
    """
    check_actor(by, workspace, Perm.REPLY)
    title, text = _clean_saved_reply(workspace, title, lang, text)
    reply = SavedReply.objects.create(workspace=workspace, title=title, lang=lang, text=text)
    audit.record(
        "saved_reply.create",
        by=by,
        workspace=workspace,
        target=reply,
        data={"title": reply.title, "lang": lang},
    )
    return reply


@transaction.atomic
def update_saved_reply(
    reply: SavedReply,
    *,
    by: Actor,
    title: str | None = None,
    lang: str | None = None,
    text: str | None = None,
) -> SavedReply:
    """Change a saved reply's title, language or text; omitted fields keep their value.

    Preconditions: as for `create_saved_reply`, on the resulting title, language and text.
    Side effects: the saved reply, an audit entry naming the fields that changed.
    """
    check_actor(by, reply.workspace_id, Perm.REPLY)
    before = {"title": reply.title, "lang": reply.lang, "text": reply.text}
    new_lang = reply.lang if lang is None else lang
    new_title, new_text = _clean_saved_reply(
        reply.workspace,
        reply.title if title is None else title,
        new_lang,
        reply.text if text is None else text,
        exclude=reply.pk,
    )
    reply.title, reply.lang, reply.text = new_title, new_lang, new_text
    reply.save(update_fields=["title", "lang", "text"])
    changed = sorted(k for k, v in before.items() if getattr(reply, k) != v)
    audit.record(
        "saved_reply.update",
        by=by,
        workspace=reply.workspace,
        target=reply,
        data={"title": reply.title, "lang": reply.lang, "changed": changed},
    )
    return reply


@transaction.atomic
def delete_saved_reply(reply: SavedReply, *, by: Actor) -> None:
    """Delete a saved reply of the workspace.

    Preconditions: the actor may REPLY in the reply's workspace.
    Side effects: an audit entry keeping its title and language, then the deletion.
    """
    check_actor(by, reply.workspace_id, Perm.REPLY)
    audit.record(
        "saved_reply.delete",
        by=by,
        workspace=reply.workspace,
        target=reply,
        data={"title": reply.title, "lang": reply.lang},
    )
    reply.delete()
