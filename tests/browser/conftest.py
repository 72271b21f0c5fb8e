"""Browser fixtures: the demo world served by a real `eolink serve`, and Debian's Chromium driven by Playwright.

No browser is ever downloaded: Playwright launches /usr/bin/chromium. Every request
to a host other than 127.0.0.1 is aborted and recorded, every console error recorded;
tests assert both lists are empty. Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.app.conftest import start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def chromium_missing_reason() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (install Debian's chromium: `make sysdeps`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed"
    return None


@dataclass
class Watch:
    """What a page did that it must not: console errors, requests leaving 127.0.0.1."""

    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.foreign_requests == [], f"requests left 127.0.0.1: {self.foreign_requests}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real eolink server over the demo world (built with eolink.demo.build_demo)."""
    from eolink.demo import build_demo
    from eolink.stores import open_store

    data_dir = tmp_path_factory.mktemp("browser-demo")
    with open_store(data_dir / "store") as store:
        build_demo(store, data_dir / "samples")
    proc, url = start_server(data_dir)
    try:
        yield url
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def watched_page(browser: object, watch: Watch, *, width: int = 1400, height: int = 900) -> object:
    """A new page that records console errors and aborts (and records) requests not to 127.0.0.1."""
    page = browser.new_page(viewport={"width": width, "height": height})

    def route(route: object) -> None:
        url = route.request.url
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            watch.foreign_requests.append(url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and watch.console_errors.append(message.text))
    page.on("pageerror", lambda error: watch.console_errors.append(f"page error: {error}"))
    return page


@pytest.fixture
def shots(request: pytest.FixtureRequest):
    """``shot(page, name)`` saves a screenshot under test-artifacts/browser/<test>/."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def shot(page: object, name: str) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path))
        return path

    return shot
