"""Saved replies: shipped defaults in French and English, and a tiny, explicit substitution.

Only the variables below are replaced; anything else between braces is left as written. The
text is never run through a template engine, so a teammate's or a member's text cannot execute
template code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from hearth.conversations.models import SavedReply, Thread
from hearth.core.models import User, Workspace

VARIABLE = re.compile(r"\{\{\s*([a-z_.]+)\s*\}\}")
# Anything between double braces, to name a misspelt variable ({{ Author.Name }}, {{author-name}}).
ANY_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# The supported variables and what each becomes (shown as help on the saved replies page).
VARIABLES = {
    "author.name": _("the member's display name (or handle)"),
    "author.handle": _("the member's handle"),
    "brand": _("the workspace's brand name"),
    "agent.name": _("your first name (the teammate sending the reply)"),
}
SAMPLE_AUTHOR = {"author.name": "Zoé Martin", "author.handle": "zoe.martin"}


@dataclass(frozen=True)
class Reply:
    key: str
    title: str
    lang: str
    text: str


DEFAULTS = (
    Reply(
        "default-en-thanks",
        "Thanks for the feedback",
        "en",
        "Hi {{author.name}}, thank you for taking the time to tell us. We have shared it with the {{brand}} team.",
    ),
    Reply(
        "default-en-dm",
        "Let's continue in DM",
        "en",
        "Hi {{author.name}}, sorry about this! Could you send us a direct message with your order number? "
        "The {{brand}} team will sort it out.",
    ),
    Reply(
        "default-en-howto",
        "Pairing help",
        "en",
        "Hi {{author.name}}, hold the button for 5 seconds until the light blinks, then add it from the "
        "{{brand}} app. Tell us if it still does not work!",
    ),
    Reply(
        "default-fr-thanks",
        "Merci pour le retour",
        "fr",
        "Bonjour {{author.name}}, merci d'avoir pris le temps de nous écrire. Nous avons transmis à l'équipe {{brand}}.",
    ),
    Reply(
        "default-fr-dm",
        "On continue en privé",
        "fr",
        "Bonjour {{author.name}}, désolés pour ce souci ! Pouvez-vous nous écrire en message privé avec votre "
        "numéro de commande ? L'équipe {{brand}} s'en occupe.",
    ),
    Reply(
        "default-fr-howto",
        "Aide à l'appairage",
        "fr",
        "Bonjour {{author.name}}, maintenez le bouton 5 secondes jusqu'à ce que la lumière clignote, puis "
        "ajoutez-la depuis l'application {{brand}}. Dites-nous si cela ne marche toujours pas !",
    ),
)


def saved_replies(workspace: Workspace, lang: str | None = None) -> list[Reply]:
    """The workspace's own saved replies, then the shipped defaults; optionally one language."""
    own = [
        Reply(f"saved-{r.pk}", r.title, r.lang, r.text)
        for r in SavedReply.objects.filter(workspace=workspace)
    ]
    replies = own + list(DEFAULTS)
    return [r for r in replies if lang is None or r.lang == lang]


def find_reply(workspace: Workspace, key: str) -> Reply | None:
    return next((r for r in saved_replies(workspace) if r.key == key), None)


def unknown_variables(text: str) -> list[str]:
    """The names between double braces that are not supported variables, in order, without repeats."""
    seen: list[str] = []
    for m in ANY_VARIABLE.finditer(text):
        name = m.group(1)
        if name not in VARIABLES and name not in seen:
            seen.append(name)
    return seen


def _agent_name(agent: User | None) -> str:
    return (agent.first_name or agent.email.split("@")[0]) if agent else ""


def substitute(text: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def render(text: str, *, thread: Thread, agent: User | None = None) -> str:
    author = thread.author
    values = {
        "author.name": (author.display_name or author.handle or "") if author else "",
        "author.handle": author.handle if author else "",
        "brand": thread.workspace.brand_name or thread.workspace.name,
        "agent.name": _agent_name(agent),
    }
    return substitute(text, values)


def render_sample(text: str, *, workspace: Workspace, agent: User | None = None) -> str:
    """The text as a sample member would receive it: the live preview of the saved replies page."""
    values = SAMPLE_AUTHOR | {
        "brand": workspace.brand_name or workspace.name,
        "agent.name": _agent_name(agent),
    }
    return substitute(text, values)
