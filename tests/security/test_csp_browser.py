"""The page works under its Content-Security-Policy in a real browser (issue 13): Debian's
Chromium through Playwright loads `/`, logs in, builds the score meters' inline `style`
attributes and opens the live-progress WebSocket, and the browser reports no policy violation;
an inline script injected into the page is blocked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import make_settings
from tests.support.served import serve
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS
from vocalborn.accounts.models import Role
from vocalborn.accounts.service import create_user
from vocalborn.app import create_app

VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""
PASSWORD = "correct horse battery"


def test_page_runs_under_its_policy_and_inline_scripts_do_not(
    tmp_path: Path, sqlite_template: Path, redis_url: str
) -> None:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.fail(f"Chromium is needed at {CHROMIUM} (Debian package chromium)")
    db_path = tmp_path / "app.db"
    shutil.copy(sqlite_template, db_path)
    settings = make_settings(tmp_path, f"sqlite:///{db_path}", redis_url)
    app = create_app(settings)
    with app.state.session_factory() as db:
        create_user(db, email="csp@vocalborn.tw", password=PASSWORD, name="C", role=Role.CLIENT)
        db.commit()
    with serve(app) as port, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=f"http://127.0.0.1:{port}")
            page.add_init_script(VIOLATIONS)
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text))
            page.goto("/")
            expect(page.locator("#login-form")).to_be_visible()  # module scripts ran
            page.fill("#login-email", "csp@vocalborn.tw")
            page.fill("#login-password", PASSWORD)
            page.click("#login-btn")
            expect(page.locator("#view-learner")).to_be_visible()  # fetch() to the API
            # what result.js does for a score meter, and what progress.js opens
            width = page.evaluate(
                """async () => {
                  const { h } = await import("/static/result.js");
                  const bar = h("span", { style: "width:42%" });
                  document.body.append(h("div", { class: "meter" }, bar));
                  const ws = new WebSocket(`ws://${location.host}/api/v1/tasks/ws/task/x`);
                  await new Promise((done) => { ws.onclose = done; ws.onerror = done; });
                  return bar.style.width;
                }"""
            )
            assert width == "42%"
            assert page.evaluate("window.__violations") == [], console
            # the policy is really enforced: an injected inline script does not run
            page.evaluate(
                """() => { const s = document.createElement("script");
                   s.textContent = "window.__pwned = true"; document.body.append(s); }"""
            )
            page.wait_for_function("window.__violations.length > 0", timeout=5000)
            assert page.evaluate("window.__pwned === undefined")
            assert any("script-src" in v for v in page.evaluate("window.__violations"))
        finally:
            browser.close()
