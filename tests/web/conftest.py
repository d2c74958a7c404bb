"""The real stack for the page's end-to-end tests, and headless Chromium to drive it.

- API: `create_app(settings)` under uvicorn in a thread, on a free port, against the run's
  PostgreSQL database and Redis database index (real HTTP and WebSocket for the browser);
- worker: a real `celery worker` subprocess (the pipeline's e2e harness) running
  `tests.web.analysers:RichSleepyAnalyser`, which really sleeps through its sub-steps;
- browser: the system's Debian Chromium through Playwright (never a downloaded browser), with a
  fake microphone for the MediaRecorder test.

The stack is module-scoped (one API and one worker for all tests of a module); rows are
truncated and the Redis database flushed when the module ends.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.conftest import truncate_all
from tests.e2e.harness import REPO, Live, wait_for, worker_environment
from tests.support.audio import tone_wav
from tests.support.procs import free_port
from vocalborn.accounts.models import Role
from vocalborn.accounts.service import create_user, link_client
from vocalborn.app import create_app
from vocalborn.config import Settings
from vocalborn.db import make_engine, make_session_factory

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
PASSWORD = "correct horse battery"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
# Every value the progress bar shows, recorded in the page as it changes.
PROGRESS_RECORDER = """
window.__progress = [];
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("progress");
  new MutationObserver(() => window.__progress.push(Number(bar.getAttribute("value"))))
    .observe(bar, { attributes: true, attributeFilter: ["value"] });
});
"""


class ApiServer:
    """uvicorn serving the app in a thread; `stop()` makes the server unreachable."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws="auto",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="web-api", daemon=True)

    def start(self) -> None:
        self.thread.start()
        wait_for("the API to serve", lambda: self.server.started, timeout=30)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.should_exit = True
            self.thread.join(15)
        assert not self.thread.is_alive(), "the API thread did not stop"


@dataclass
class Stack:
    live: Live
    api: ApiServer
    settings: Settings
    tmp: Path
    admin_headers: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.api.url

    def ensure_api(self) -> None:
        """A test may stop the API (server-down banner); the next one gets a new server."""
        if not self.api.thread.is_alive():
            self.api = ApiServer(self.settings)
            self.api.start()

    def http(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}/api/v1{path}", timeout=30, **kw)

    def account(self, role: Role = Role.CLIENT, name: str = "Test") -> dict[str, str]:
        email = f"{role.value}-{uuid.uuid4().hex[:8]}@vocalborn.tw"
        with make_session_factory(self.live.engine)() as db:
            user = create_user(db, email=email, password=PASSWORD, name=name, role=role)
            db.commit()
            user_id = str(user.user_id)
        resp = self.http("POST", "/auth/login", json={"email": email, "password": PASSWORD})
        assert resp.status_code == 200, resp.text
        token = resp.json()["access_token"]
        return {"user_id": user_id, "email": email, "token": token, "name": name}

    @staticmethod
    def auth(account: dict[str, str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {account['token']}"}

    def link(self, therapist: dict[str, str], client: dict[str, str]) -> None:
        with make_session_factory(self.live.engine)() as db:
            link_client(db, uuid.UUID(therapist["user_id"]), uuid.UUID(client["user_id"]))
            db.commit()

    def wav(self, seconds: float = 1.5, freq: float = 220.0) -> Path:
        return tone_wav(self.tmp / f"{uuid.uuid4().hex}.wav", seconds=seconds, freq=freq)

    def sentence(
        self, therapist: dict[str, str], text: str, language: str = "zh-TW", reference: bool = True
    ) -> dict[str, Any]:
        resp = self.http(
            "POST",
            "/practice/sentences",
            headers=self.auth(therapist),
            json={"text": text, "language": language},
        )
        assert resp.status_code == 201, resp.text
        sentence = dict(resp.json())
        if reference:
            with self.wav(1.8, 200.0).open("rb") as f:
                resp = self.http(
                    "PUT",
                    f"/practice/sentences/{sentence['sentence_id']}/reference",
                    headers=self.auth(therapist),
                    files={"file": ("ref.wav", f, "audio/wav")},
                )
            assert resp.status_code == 200, resp.text
            sentence = dict(resp.json())
        return sentence


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    live_db_url: str,
    redis_url: str,
) -> Iterator[Stack]:
    """A module may set `ANALYZER` (and `WORKER_OVERRIDES`) for its worker."""
    tmp = tmp_path_factory.mktemp("web")
    analyser = getattr(request.module, "ANALYZER", "tests.web.analysers:RichSleepyAnalyser")
    overrides = getattr(request.module, "WORKER_OVERRIDES", {})
    settings, env = worker_environment(
        tmp, live_db_url, redis_url, {"ANALYZER": analyser, **overrides}
    )
    engine = make_engine(live_db_url)
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("vocalborn:login-fail:*"):
        client.delete(key)
    api = ApiServer(settings)
    live: Live | None = None
    built: Stack | None = None
    try:
        api.start()
        with TestClient(create_app(settings)) as test_client:
            live = Live(tmp, env, test_client, engine, client)
            live.start_worker("web1")
            built = Stack(live, api, settings, tmp)
            yield built
    finally:
        if live is not None:
            live.stop_all()
        (built.api if built is not None else api).stop()
        truncate_all(engine)
        client.flushdb()  # this run's own database index only
        client.close()
        engine.dispose()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """The one Playwright driver of the run (a second `sync_playwright()` cannot start while
    one runs); modules that need a differently configured browser launch it from here."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.fail(f"Chromium is needed at {CHROMIUM} (Debian package chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    b = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield b
    finally:
        b.close()


@dataclass
class PageRun:
    page: Page
    errors: list[str]


@pytest.fixture
def web(browser: Browser, stack: Stack) -> Iterator[PageRun]:
    """A fresh browser context (desktop size) on the page; JS errors are collected."""
    stack.ensure_api()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=stack.url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.add_init_script(PROGRESS_RECORDER)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield PageRun(page, errors)
    finally:
        context.close()


def login(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/")
    page.wait_for_selector("body[data-ready='true']")
    page.fill("#login-email", email)
    page.fill("#login-password", password)
    page.click("#login-btn")


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
