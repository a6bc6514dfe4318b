"""The Content-Security-Policy stays strict: no inline script, handler, style or eval anywhere.

Two guards: the header every page carries, and the HTML itself (the templates as written and the
pages as rendered), so an inline handler or an htmx trigger filter cannot come back unnoticed.
The browser tests (tests/e2e) add the third: any violation Chromium reports fails them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import item

from hearth.pipeline.ingest import ingest_batch

SRC = Path(__file__).resolve().parents[2]  # src/hearth
TEMPLATES = sorted(SRC.glob("*/templates/**/*.html"))
SCRIPTS = sorted(p for p in SRC.glob("*/static/**/*.js"))


def _directives(policy: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


PAGES = [
    "/",
    "/inbox/",
    "/moderation/",
    "/listening/",
    "/listening/trends/",
    "/publishing/",
    "/channels/",
    "/settings/",
]


@pytest.mark.parametrize("path", PAGES)
def test_signed_in_pages_forbid_inline_scripts_eval_and_inline_styles(personas, path):
    response = personas.client("owner").get(path, follow=True)
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_the_login_page_has_the_same_strict_policy(client, db):
    policy = _directives(client.get("/login/")["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]


class _Inline(HTMLParser):
    """Collects what a strict policy would block: inline scripts, on* handlers, style attributes
    and elements, hx-on, htmx trigger filters, js: values and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        where = f"<{tag} {' '.join(name for name, _ in attrs)}>"
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.problems.append(f"inline script {where}")
        if tag == "style":
            self.problems.append("a <style> element")
        for name, value in attrs:
            value = (value or "").strip()
            bare = name.removeprefix("data-")
            if name.startswith("on"):
                self.problems.append(f"handler {name}= on {where}")
            elif name == "style":
                self.problems.append(f"style= on {where}")
            elif bare.startswith("hx-on"):
                self.problems.append(f"{name} on {where}")
            elif bare == "hx-trigger" and "[" in value:
                self.problems.append(f"trigger filter {value!r} on {where}")
            elif bare in ("hx-vals", "hx-headers") and value.startswith(("js:", "javascript:")):
                self.problems.append(f"{name}={value!r} needs eval")
            elif value.lower().replace(" ", "").startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name}= on {where}")


def _inline_problems(html: str) -> list[str]:
    parser = _Inline()
    parser.feed(html)
    parser.close()
    return parser.problems


# Template tags and variables become a plain word before parsing: `{% blocktranslate with onset=… %}`
# is not an attribute, and `src="{% static … %}"` stays a source.
_TEMPLATE_SYNTAX = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)


def test_the_scanner_finds_what_the_policy_would_block():
    found = _inline_problems(
        "<script>alert(1)</script><a href='javascript:x()' onclick='y()' style='color:red'>a</a>"
        "<div hx-get='/' hx-trigger=\"every 2s [ok()]\" hx-on::after-request='z()'"
        " hx-vals='js:{a: b()}'></div><style>p{}</style>"
    )
    assert len(found) == 8, found
    assert not _inline_problems(
        '<script src="/s.js" defer></script><script type="application/json" id="d">{}</script>'
        '<select data-autosubmit hx-trigger="change, every 10s"></select>'
    )


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_template_has_inline_script_handler_style_or_trigger_filter(template):
    html = _TEMPLATE_SYNTAX.sub("tpl", template.read_text())
    assert _inline_problems(html) == []


def test_no_static_script_evaluates_strings():
    for script in SCRIPTS:
        text = script.read_text()
        for pattern in ("eval(", "new Function", 'setTimeout("', 'setAttribute("style"'):
            assert pattern not in text, f"{script.relative_to(SRC)} uses {pattern}"


def test_htmx_runs_without_eval_scripts_or_its_inline_styles(personas):
    html = personas.client("owner").get("/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert config is not None
    assert '"allowEval": false' in config.group(1)
    # Script tags stay: htmx would drop a partial's JSON data block (the trends chart's) with them.
    assert "allowScriptTags" not in config.group(1)
    assert '"includeIndicatorStyles": false' in config.group(1)
    # Settling a style attribute is an inline style; the server sends none to settle.
    assert '"attributesToSettle": ["class", "width", "height"]' in config.group(1)


def test_rendered_pages_have_nothing_the_policy_would_block(personas, channel):
    ingest_batch(channel, [item("m1", "Where is my order? https://example.org/x", author="lea")])
    owner = personas.client("owner")
    thread_url = re.search(r'href="(/inbox/t/\d+/)"', owner.get("/inbox/").content.decode())
    assert thread_url is not None
    paths = [
        *PAGES,
        thread_url.group(1),
        f"/channels/{channel.pk}/",
        "/listening/queries/new/",
        "/publishing/compose/",
        "/publishing/best-time/",
        "/settings/hours/",
        "/settings/alerts/",
        "/moderation/rules/new/",
        "/moderation/log/",
        "/moderation/rules/",
        "/moderation/netiquette/",
        "/moderation/sanctions/",
        "/inbox/saved-replies/",
        "/inbox/settings/",
        "/publishing/approvals/",
        "/publishing/shared/",
        f"/n/{personas.workspace.slug}/",
        "/audit/",
        "/docs/configuration.md",
        "/team/",
        "/account/tokens/",
        "/account/security/",
        "/analytics/",
        "/analytics/kpis/",
        "/analytics/kpis/messages_in/",
        "/analytics/kpis/messages_in/drill/",
        "/analytics/behaviour/",
        "/analytics/objectives/",
        "/analytics/objectives/new/",
        "/analytics/conversions/",
    ]
    for path in paths:
        response = owner.get(path, follow=True)
        assert response.status_code == 200, path
        assert _inline_problems(response.content.decode()) == [], path


def test_an_operator_relaxes_a_directive_or_only_reports(tmp_path):
    code = (
        "import hearth.settings as s; p = s.CONTENT_SECURITY_POLICY or {}; "
        "r = getattr(s, 'CONTENT_SECURITY_POLICY_REPORT_ONLY', None) or {}; "
        "print((p or r)['DIRECTIVES']['style-src'], (p or r)['DIRECTIVES'].get('report-uri'), bool(r))"
    )
    env = {
        **os.environ,
        "HEARTH_DATA_DIR": str(tmp_path),
        "HEARTH_CSP_STYLE_SRC": "'self','unsafe-inline'",
        "HEARTH_CSP_REPORT_URI": "https://reports.example.org/csp",
        "HEARTH_CSP_REPORT_ONLY": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert (
        out.strip() == "[\"'self'\", \"'unsafe-inline'\"] ['https://reports.example.org/csp'] True"
    )
