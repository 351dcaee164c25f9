"""Playwright for Python driving Debian's Chromium (`/usr/bin/chromium`, installed by `make test`) against the live
server. Screenshots go to build/screenshots/ (gitignored) as artefacts of each journey."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "build" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running in this thread while the browser is open; the tests' own
    # ORM calls (fixtures, assertions) stay synchronous, so Django's guard against async contexts is lifted, for this
    # module only (the variable must not leak into later tests, e.g. `check --deploy` refuses it).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE")
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, locale="id-ID", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def shot(request) -> Callable[[Page, str], Path]:
    """Save a full-page screenshot as build/screenshots/<test>-<n>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser journeys last: after a live-server test the flush leaves rows that the serialized-rollback
    tests (concurrency, dispatcher) would collide with when they restore their data."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/browser/"))
