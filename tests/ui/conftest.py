"""The pages in a real browser: Debian's Chromium (/usr/bin/chromium) driven by Playwright,
one browser for the session and a new context per test, against the app served by
uvicorn on a free port (SQLite; the pages call the same service functions as the API,
whose database behaviour the API tests cover on both databases).

Without Chromium the tests skip, except under CI=true, where they fail: CI installs it.
Each test saves screenshots of the pages it checks into SCREENSHOTS (README, "Web pages").
"""

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from governance.app import create_app
from governance.auth.service import create_key
from governance.db import unit_of_work
from governance.reports.consumer import EmbeddedConsumers
from governance.settings import MB, Settings

CHROMIUM = Path(os.environ.get("GOVERN_TEST_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "ui-screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ROLES = ("rights_holder", "operator", "conservator", "auditor", "regulator", "admin")


@dataclass
class LiveService:
    url: str
    keys: dict[str, str]  # role -> key; a second conservator as "conservator2"
    settings: Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("ui") / "data",
        max_upload_bytes=8 * MB,
        register_builtin_models=True,
    )
    app = create_app(settings)
    services = app.state.services
    with unit_of_work(services.engine) as session:
        keys = {
            role: create_key(session, services.audit, role, f"{role.replace('_', ' ')} one")[1]
            for role in ROLES
        }
        keys["conservator2"] = create_key(session, services.audit, "conservator", "cons two")[1]
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    # Reports are built beside the server, as `govern serve` builds them.
    consumers = EmbeddedConsumers(services, settings.embedded_workers)
    yield LiveService(f"http://127.0.0.1:{port}", keys, settings)
    consumers.close()
    server.should_exit = True
    thread.join(timeout=10)
    services.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, live: LiveService) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, base_url=live.url)
    context.set_default_timeout(20_000)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Page, live: LiveService, role: str) -> None:
    page.goto("/ui/login")
    page.get_by_label("API key").fill(live.keys[role])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/ui/(?!login).*"))


def screenshot(page: Page, name: str) -> None:
    """The page as a person sees it at 1280 px and at a phone's width."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
