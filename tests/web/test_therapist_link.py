"""Linking in the browser, at 1280 and 360 px, in both languages: a learner creates a code, a
therapist links with it, sees the client's latest attempts and weakest items, and opens a result
whose labels say the learner's name; the learner removes a therapist and a therapist unlinks a
client, each after an inline confirmation. No request may leave the server (any other host is
blocked and fails the test). Results are seeded in the database; no worker runs.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, select

from tests.conftest import make_settings, truncate_all
from tests.maintenance.test_analytics import mandarin
from tests.support import rows
from tests.web.conftest import ApiServer, screenshot
from vocalborn.accounts.models import Role, User
from vocalborn.accounts.security import create_access_token
from vocalborn.analysis.models import TaskStatus
from vocalborn.config import Settings
from vocalborn.db import make_engine, make_session_factory, utcnow
from vocalborn.practice.models import Sentence

pytestmark = [pytest.mark.e2e]

NAME = "林小華"
TEXT = {
    "zh-TW": {"linked": f"已連結 {NAME}", "mine": ["你的錄音", "播放我的錄音"], "open": "查看結果"},
    "en": {
        "linked": f"{NAME} is linked",
        "mine": ["You", "Play my recording"],
        "open": "View result",
    },
}


@dataclass
class Site:
    url: str
    settings: Settings
    engine: Engine


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, live_db_url: str, redis_url: str
) -> Iterator[Site]:
    settings = make_settings(tmp_path_factory.mktemp("link"), live_db_url, redis_url)
    api = ApiServer(settings)
    engine = make_engine(live_db_url)
    api.start()
    try:
        yield Site(api.url, settings, engine)
    finally:
        api.stop()
        truncate_all(engine)
        engine.dispose()


def person(site: Site, role: Role, name: str) -> tuple[str, str]:
    """(user_id, token) of a new account, written directly (no password hashing)."""
    with make_session_factory(site.engine)() as db:
        user = rows.user(db, role)
        user.name = name
        db.commit()
        token = create_access_token(user.user_id, role, site.settings.secret_key, 60)
        return str(user.user_id), token


def attempts(site: Site, user_id: str, scores: list[int]) -> None:
    """Analysed attempts at 你好嗎 with 好 heard in the wrong tone, with a pitch contour."""
    times = [i / 50 for i in range(60)]
    contour = {"times": times, "f0_hz": [200 + 30 * math.sin(x * 4) for x in times]}
    with make_session_factory(site.engine)() as db:
        learner = db.get(User, uuid.UUID(user_id))
        assert learner is not None
        sentence = db.scalar(select(Sentence).where(Sentence.text == "你好嗎"))
        sentence = sentence or rows.sentence(db, "你好嗎")
        for score in scores:
            rec = rows.record(db, rows.session(db, learner), sentence, audio_path="x.wav")
            rec.record_status = rows.RecordStatus.AI_ANALYZED
            task = rows.task(db, rec, learner, TaskStatus.SUCCESS, completed_at=utcnow())
            detailed, sentences = mandarin({"好": 2})
            detailed["pitch_analysis"] = {"contour": contour}
            result = rows.result(db, task, detailed, sentences)
            result.overall_score = score  # type: ignore[assignment]
        db.commit()


@dataclass
class Tab:
    context: BrowserContext
    page: Page
    errors: list[str]


def tab(browser: Browser, site: Site, token: str, lang: str, width: int, outside: list[str]) -> Tab:
    height = 900 if width > 600 else 780
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=site.url)
    context.set_default_timeout(15_000)

    def gate(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(site.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", gate)
    context.add_init_script(
        f"sessionStorage.setItem('vb.token', {json.dumps(token)});"
        f"localStorage.setItem('vb.lang', {json.dumps(lang)});"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    page.wait_for_selector("body[data-ready='true']")
    return Tab(context, page, errors)


@pytest.mark.parametrize(
    ("lang", "width"), [("zh-TW", 1280), ("en", 1280), ("zh-TW", 360), ("en", 360)]
)
def test_a_learner_shares_a_code_and_the_therapist_sees_them_by_name(
    browser: Browser, site: Site, lang: str, width: int
) -> None:
    words = TEXT[lang]
    short = "zh" if lang == "zh-TW" else "en"
    learner_id, learner_token = person(site, Role.CLIENT, NAME)
    _, therapist_token = person(site, Role.THERAPIST, "Dr. Chen")
    attempts(site, learner_id, [64, 82])
    outside: list[str] = []

    learner = tab(browser, site, learner_token, lang, width, outside)
    lp = learner.page
    expect(lp.locator("#links-panel")).to_be_visible()
    lp.click("#link-create")
    code = lp.locator("#link-code .code-value").inner_text()
    assert len(code.replace("-", "")) == 8, code
    screenshot(lp, f"therapist-link-learner-{short}-{width}.png")

    therapist = tab(browser, site, therapist_token, lang, width, outside)
    tp = therapist.page
    expect(tp.locator("#clients .note")).to_be_visible()  # nobody linked yet
    tp.fill("#link-code-input", code.lower())
    tp.click("#link-btn")
    expect(tp.locator("#link-client-msg")).to_contain_text(words["linked"])
    row = tp.locator("#clients .client")
    expect(row).to_have_count(1)
    expect(row.locator(".client-name")).to_have_text(NAME)
    expect(row.locator(".attempts li .score")).to_have_text(["82", "64"])
    # the weak tone spelled as the page reads Mandarin, never tone-number pinyin
    weak = "好 ㄏㄠˇ" if lang == "zh-TW" else "好 hǎo"
    expect(row.locator(".weak-items li").first).to_contain_text(weak)
    screenshot(tp, f"therapist-link-{short}-{width}.png")

    # the client's result: labelled with their name, never "your recording"
    row.locator("button").click()
    expect(tp.locator("#client-h")).to_contain_text(NAME)
    done = tp.locator("#client-history .history-row").filter(
        has=tp.locator(".score", has_text="82")
    )
    done.get_by_role("button", name=words["open"]).click()
    result = tp.locator("#t-result")
    expect(result.locator("svg.pitch-plot .legend")).to_contain_text(NAME)
    expect(result.get_by_role("button", name=NAME)).to_have_count(1)
    for mine in words["mine"]:
        expect(result.locator(".result-head")).not_to_contain_text(mine)
        expect(result.locator("svg.pitch-plot .legend")).not_to_contain_text(mine)
    screenshot(tp, f"therapist-link-result-{short}-{width}.png")

    if width == 1280:  # the learner removes the therapist (after confirming)
        lp.reload()
        listed = lp.locator("#my-therapists .client")
        expect(listed).to_contain_text("Dr. Chen")
        listed.get_by_role("button").click()
        expect(listed.locator(".confirm")).to_contain_text("Dr. Chen")
        listed.locator(".confirm button.danger").click()
        expect(lp.locator("#my-therapists .client")).to_have_count(0)
        tp.click("#clients-refresh")
        expect(tp.locator("#clients .client")).to_have_count(0)
    else:  # the therapist unlinks the client (after confirming)
        tp.click("#unlink-btn")
        expect(tp.locator("#unlink-box .confirm")).to_contain_text(NAME)
        tp.click("#unlink-box .confirm button.danger")
        expect(tp.locator("#client-panel")).to_be_hidden()
        expect(tp.locator("#clients .client")).to_have_count(0)
        lp.reload()
        expect(lp.locator("#my-therapists .client")).to_have_count(0)

    for t in (learner, therapist):
        assert not t.errors, t.errors
        t.context.close()
    assert outside == [], f"requests to other hosts: {outside}"
