"""`/docs` and `/redoc` work offline (issue 15): in Chromium with every request to another host
blocked (and failing the test), the operations render, the token login works through Swagger's
Authorize button, and `/favicon.ico` is served. One API server (no worker) for the module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect

from tests.conftest import make_settings, truncate_all
from tests.support.served import serve
from tests.web.conftest import ARTIFACTS, PASSWORD
from vocalborn.accounts.models import Role
from vocalborn.accounts.service import create_user
from vocalborn.app import create_app
from vocalborn.db import make_engine, make_session_factory

pytestmark = pytest.mark.e2e
EMAIL = "docs.reader@vocalborn.tw"
# ReDoc's sidebar always renders Redocly's logo from its CDN (and hides it when it fails): the
# docs' CSP refuses it before any request is made (the route gate below would record one).
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, live_db_url: str, redis_url: str):  # type: ignore[no-untyped-def]
    settings = make_settings(Path(tmp_path_factory.mktemp("docs")), live_db_url, redis_url)
    engine = make_engine(live_db_url)
    with make_session_factory(engine)() as db:
        create_user(db, email=EMAIL, password=PASSWORD, name="Docs Reader", role=Role.THERAPIST)
        db.commit()
    try:
        with serve(create_app(settings)) as port:
            yield f"http://127.0.0.1:{port}"
    finally:
        truncate_all(engine)
        engine.dispose()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A page on which any request to another host is aborted and recorded; console errors
    (CSP refusals, failed loads) and script errors fail the test too."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url)
    context.set_default_timeout(30_000)
    ours = urlsplit(base_url).netloc
    elsewhere: list[str] = []
    problems: list[str] = []

    def gate(route: Route) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        refused_logo = REDOC_LOGO in message.text and "Content Security Policy" in message.text
        if message.type == "error" and not refused_logo:
            problems.append(message.text)

    context.route("**/*", gate)
    page = context.new_page()
    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not elsewhere, f"requests to other hosts: {elsewhere}"
    assert not problems, problems


def test_swagger_ui_renders_and_the_token_login_works_through_authorize(
    page: Page, base_url: str
) -> None:
    page.goto("/docs")
    login = page.locator(".opblock-post", has_text="/api/v1/auth/login")
    expect(login).to_be_visible()
    assert page.locator(".opblock").count() > 20
    token = httpx.post(
        f"{base_url}/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}, timeout=30
    ).json()["access_token"]
    page.locator("button.authorize").first.click()
    dialog = page.locator(".modal-ux")
    expect(dialog).to_contain_text("access_token")  # the scheme says where the token comes from
    dialog.locator("input").fill(token)
    dialog.locator("button.authorize").click()
    dialog.locator("button.btn-done").click()
    me = page.locator(".opblock-get", has_text="/api/v1/auth/me")
    me.locator(".opblock-summary").click()
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    expect(me.locator(".live-responses-table")).to_contain_text(EMAIL)
    expect(me.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    me.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs-swagger.png"))  # the viewport: the answer


def test_redoc_renders_the_operations(page: Page) -> None:
    page.goto("/redoc")
    operations = page.locator("[data-section-id*='operation/']")
    expect(operations.first).to_be_attached(timeout=30_000)
    assert operations.count() > 20
    expect(page.get_by_text("/api/v1/auth/login").first).to_be_attached()


def test_the_favicon_is_served(page: Page) -> None:
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page.goto("/")
    for link in page.locator("link[rel='icon']").all():
        assert page.request.get(str(link.get_attribute("href"))).status == 200
