"""The netiquette: versioned community guidelines in French and English, cited by article."""

from __future__ import annotations

from django.db import transaction

from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Workspace
from hearth.core.permissions import Perm
from hearth.moderation import netiquette as netiquette_text
from hearth.moderation.models import NetiquetteVersion


def current_netiquette(workspace: Workspace) -> NetiquetteVersion | None:
    """The latest published version, or None if the workspace has never published one."""
    return NetiquetteVersion.objects.filter(workspace=workspace).order_by("-number").first()


def ensure_netiquette(workspace: Workspace) -> NetiquetteVersion:
    """The current netiquette, installing the shipped starter (fr + en) if the workspace has none.

    Side effect, the first time only: the starter is published as version 1 by Hearth itself.
    """
    found = current_netiquette(workspace)
    if found is not None:
        return found
    return publish_netiquette(
        workspace,
        body_fr=netiquette_text.starter("fr"),
        body_en=netiquette_text.starter("en"),
        note="starter netiquette",
        by=Actor.system(),
    )


@transaction.atomic
def publish_netiquette(
    workspace: Workspace, *, body_fr: str, body_en: str, note: str = "", by: Actor
) -> NetiquetteVersion:
    """Publish a new version (the previous ones stay readable).

    Preconditions: the actor may MODERATE in `workspace`; both bodies are non-empty Markdown
    of at most MAX_BODY characters with numbered article headings ("## 1. Title"), the same
    numbers in French and English (ActionError otherwise).
    Side effects: the next version number (the previous version row is locked, so two
    publishers never get the same number), rendered HTML and article titles, an audit entry.
    """
    check_actor(by, workspace, Perm.MODERATE)
    bodies = {"fr": (body_fr or "").strip(), "en": (body_en or "").strip()}
    articles: dict[str, dict[str, str]] = {}
    numbers: dict[str, list[str]] = {}
    for lang, body in bodies.items():
        if not body:
            raise ActionError(
                f"body_{lang} is empty: write the {lang} netiquette (Markdown) before publishing."
            )
        if len(body) > netiquette_text.MAX_BODY:
            raise ActionError(
                f"body_{lang} is {len(body)} characters long; at most {netiquette_text.MAX_BODY} are accepted."
            )
        parsed = netiquette_text.parse_articles(body)
        if not parsed:
            raise ActionError(
                f"body_{lang} has no numbered article: write each rule as a heading like '## 1. Respect people'."
            )
        numbers[lang] = list(parsed)
        for number, title in parsed.items():
            articles.setdefault(number, {})[lang] = title
    if sorted(numbers["fr"], key=int) != sorted(numbers["en"], key=int):
        raise ActionError(
            f"The French and English versions must number the same articles: French has {', '.join(numbers['fr'])}, "
            f"English has {', '.join(numbers['en'])}."
        )
    last = (
        NetiquetteVersion.objects.select_for_update()
        .filter(workspace=workspace)
        .order_by("-number")
        .first()
    )
    version = NetiquetteVersion.objects.create(
        workspace=workspace,
        number=(last.number + 1) if last else 1,
        body_fr=bodies["fr"],
        body_en=bodies["en"],
        html_fr=netiquette_text.render(bodies["fr"]),
        html_en=netiquette_text.render(bodies["en"]),
        articles=articles,
        note=note[:200],
        created_by=by.user,
    )
    audit.record(
        "moderation.netiquette.publish",
        by=by,
        workspace=workspace,
        target=version,
        data={"version": version.number, "articles": list(articles)},
    )
    return version


def check_article(
    workspace: Workspace, article: str, *, field: str = "article", required: bool = True
) -> str:
    """The article number `article` (a leading "#" is dropped), if the current netiquette has it.

    ActionError names `field` and lists the articles to choose from; an empty article is
    accepted as "" when not `required`. Installs the starter netiquette if there is none.
    """
    article = str(article or "").strip().removeprefix("#")
    if not article and not required:
        return ""
    current = ensure_netiquette(workspace)
    if article not in current.articles:
        choices = ", ".join(sorted(current.articles, key=int))
        if not article:
            raise ActionError(
                f"{field} is missing: cite the netiquette article this applies (one of {choices})."
            )
        raise ActionError(
            f"{field} '{article}' is not an article of the netiquette (version {current.number}): choose one of {choices}."
        )
    return article
