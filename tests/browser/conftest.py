"""Playwright (sync API) against the Debian Chromium, talking to pytest-django's live server on 127.0.0.1.

Run: `.venv/bin/pytest tests/browser` (after `bin/setup`, which compiles the translations).
Screenshots of the key steps land in test-results/ (gitignored).
"""

import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Page, Playwright, expect, sync_playwright

# Playwright's sync API runs an asyncio loop in the test's thread; Django would refuse ORM calls there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
PASSWORD = "secret-pass-1"  # what the project's make_user() sets
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)  # a loaded CI machine (PostgreSQL, two workers) is slow


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `apt-get install chromium` (CI installs it) to run the browser tests")
    # Playwright leaves its asyncio loop marked as running in this thread from here until it stops, and Django
    # (asgiref's Local) keeps a thread's connections apart while a loop runs: the tests from here on would open
    # connections on wrappers of their own, which no one closes at the end of the run (and which miss the test
    # database's state). The thread keeps its wrappers, as Django's live server thread does (connections_override).
    wrappers = {alias: connections[alias] for alias in connections}
    with sync_playwright() as driver:
        for alias, wrapper in wrappers.items():
            connections[alias] = wrapper
        yield driver


@pytest.fixture
def page(playwright_driver: Playwright, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh Chromium profile per test; on failure the last page is saved to test-results/."""
    context = playwright_driver.chromium.launch_persistent_context(
        user_data_dir=tmp_path / "chromium-profile",
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1366, "height": 900},
        locale="ru-RU",
        timezone_id="Europe/Moscow",
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.pages[0] if context.pages else context.new_page()
    try:
        yield page
    finally:
        if getattr(request.node, "rep_call_failed", False):
            shot(page, request.node.name, "FAILED")
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        item.rep_call_failed = True  # type: ignore[attr-defined]
    return report


def shot(page: Page, test_name: str, step: str) -> Path:
    """Save a full-page screenshot as test-results/<test>-<step>.png."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / re.sub(r"[^\w.-]+", "_", f"{test_name}-{step}.png")
    page.screenshot(path=str(path), full_page=True)
    return path
