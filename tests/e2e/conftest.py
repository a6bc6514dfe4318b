"""Browser tests drive the system's Chromium with Playwright; they never download a browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("HEARTH_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("HEARTH_SCREENSHOTS", "var/screenshots"))
# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# alongside it are ordinary blocking calls, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Also read by the root conftest, which prints it at the end of the run (with parallel workers,
# only the root conftest runs in the process that prints the summary).
_skipped_reason = (
    None
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM)
    else (
        f"Chromium was not found at {CHROMIUM}: install Debian's package (apt-get install chromium) "
        "or set HEARTH_CHROMIUM to its path"
    )
)


# Every page of every context reports what the Content-Security-Policy blocked (the browser's
# securitypolicyviolation event, from before any script of the page) and its uncaught errors; a
# test fails on any of them (`_no_csp_violation_or_script_error`). Other console errors (a 4xx
# answer the test provoked) are only shown with a failure. Under this policy Playwright cannot eval
# a bare expression: `wait_for_function` takes a function, "() => document.title === 'x'".
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline code"}`
    + ` at ${e.sourceFile || location.href}:${e.lineNumber} ${e.sample || ""}`);
}, true);
"""
_problems: list[str] = []  # CSP violations and uncaught script errors of the running test
_console: list[str] = []  # every console error of the running test, for the failure message


def _watch(context: Any) -> Any:
    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        text = f"{message.text} ({message.location.get('url', '')})"
        _console.append(text)
        if "CSP violation" in text or "Content Security Policy" in text or "evalDisallowed" in text:
            _problems.append(text)

    def on_page(page: Any) -> None:
        page.on("pageerror", lambda error: _problems.append(f"uncaught {error} on {page.url}"))

    context.add_init_script(_REPORT_VIOLATIONS)
    context.on("console", on_console)
    context.on("page", on_page)
    return context


@pytest.fixture(autouse=True)
def _no_csp_violation_or_script_error() -> Iterator[list[str]]:
    _problems.clear()
    _console.clear()
    yield _problems
    problems, console = list(_problems), list(_console)
    _problems.clear()
    _console.clear()
    assert not problems, "\n".join(
        ["The browser reported:", *problems, "Console errors:", *console]
    )


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            # A browser test loads a small demo community first (a minute on a busy 2-core
            # machine, with the other worker loading its own): 300 s is too tight for both.
            item.add_marker(pytest.mark.timeout(900))
            if _skipped_reason:
                item.add_marker(pytest.mark.skip(reason=_skipped_reason))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-quic",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        new_context = browser.new_context
        browser.new_context = lambda *args, **kwargs: _watch(new_context(*args, **kwargs))
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    # Generous: CI has two cores and runs the server, the browser and the test on them.
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page: Any) -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
