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

_skipped_reason = (
    None
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM)
    else (
        f"Chromium was not found at {CHROMIUM}: install Debian's package (apt-get install chromium) "
        "or set HEARTH_CHROMIUM to its path"
    )
)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if _skipped_reason:
                item.add_marker(pytest.mark.skip(reason=_skipped_reason))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _skipped_reason:
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_skipped_reason, red=True, bold=True)


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
