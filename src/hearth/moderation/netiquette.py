"""Netiquette text: Markdown → sanitised HTML, and the numbered articles that actions cite.

An article is a level-2 or level-3 heading that starts with its number: `## 3. Stay on topic`.
Rendering is `markdown` then `nh3` (an allow-list sanitiser), so a pasted <script> or an
`onclick=` never reaches the public page.
"""

from __future__ import annotations

import re
from importlib import resources

import markdown
import nh3

ARTICLE_RE = re.compile(
    r"^#{2,3}\s*(?:article\s*)?(\d{1,3})\s*[.)\-:—]\s*(.+?)\s*#*\s*$", re.IGNORECASE | re.MULTILINE
)
HEADING_RE = re.compile(r"<h([23])>(?:article\s*)?(\d{1,3})\s*[.)\-:—]", re.IGNORECASE)
MAX_BODY = 50_000
ALLOWED_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def parse_articles(body: str) -> dict[str, str]:
    """{"1": "Respect people", …} in document order."""
    return {m.group(1): m.group(2).strip() for m in ARTICLE_RE.finditer(body)}


def render(body: str) -> str:
    html = markdown.markdown(body, extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    # Anchors are added after sanitising, from digits only, so every article has a stable link.
    return HEADING_RE.sub(
        lambda m: f'<h{m.group(1)} id="article-{m.group(2)}">{m.group(2)}.', clean
    )


def starter(lang: str) -> str:
    return (resources.files("hearth.moderation") / "starter" / f"netiquette.{lang}.md").read_text(
        encoding="utf-8"
    )
