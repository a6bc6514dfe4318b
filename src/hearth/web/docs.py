"""Hearth's own documentation (the repository's docs/*.md), rendered for people signed in.

The Channels page links each platform's page here, so the instructions work on an
installation without internet access. Only Markdown files under `HEARTH_DOCS_DIR` are served;
the HTML is sanitised like the netiquette's. Links between pages are relative and keep working.
"""

from __future__ import annotations

from pathlib import Path

import markdown
import nh3
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from hearth.core.http import AuthenticatedRequest

TAGS = {
    *nh3.ALLOWED_TAGS,
    "h1",
    "h2",
    "h3",
    "h4",
    "pre",
    "code",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def _page(name: str) -> Path:
    root = Path(settings.HEARTH_DOCS_DIR).resolve()
    path = (root / name).resolve()
    if path.suffix != ".md" or not path.is_relative_to(root) or not path.is_file():
        raise Http404("No such page in the documentation.")
    return path


def _translated(page: str, language: str) -> str:
    """The page in the reader's language when the docs have it (`dir/fr/name.md` beside
    `dir/name.md`), else the page asked for."""
    if not language or language.startswith("en") or f"/{language}/" in f"/{page}":
        return page
    folder, _sep, name = page.rpartition("/")
    candidate = f"{folder}/{language}/{name}" if folder else f"{language}/{name}"
    try:
        _page(candidate)
    except Http404:
        return page
    return candidate


@login_required
def docs_page(request: AuthenticatedRequest, page: str) -> HttpResponse:
    if not request.GET.get("original"):
        page = _translated(page, (getattr(request, "LANGUAGE_CODE", "") or "")[:2])
    path = _page(page)
    html = markdown.markdown(
        path.read_text(encoding="utf-8"), extensions=["tables", "fenced_code", "toc"]
    )
    return render(
        request,
        "web/docs.html",
        {"html": mark_safe(_clean(html)), "page": page},  # noqa: S308 - sanitised by nh3
    )


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes={"a": {"href", "title"}, **{f"h{n}": {"id"} for n in range(1, 5)}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
