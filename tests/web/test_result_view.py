"""The result view a learner reads, in Debian's Chromium at 1280 and 360 px and in both
languages, on results seeded straight into the database (seeded_results.py):

- a wrong tone and a wrong (substituted) character or word are marked with an icon and a text
  label, and open what was expected, what was heard and a tip by tap, click or keyboard (a
  button with aria-expanded), never by hover;
- Mandarin is shown in Zhuyin under each character on the zh-TW page (pinyin with tone marks on
  the English page), switchable and remembered; no tone-number pinyin anywhere;
- numbers and the model version sit in the closed therapists' details; the date is in the page's
  language and Taipei time (the browser is in New York);
- a refused microphone is explained in our words, not the browser's;
- no request leaves the server (other hosts are blocked and fail the test).

The result is opened through the page's own `openResult` (the history list belongs to another
part of the page), exactly as its "view result" button does."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import redis
from playwright.sync_api import Browser, Locator, Page, Playwright, Route, expect

from tests.conftest import truncate_all
from tests.e2e.harness import worker_environment
from tests.web.conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    ApiServer,
    login,
    screenshot,
)
from tests.web.seeded_results import MODEL, seed
from vocalborn.db import make_engine, make_session_factory

pytestmark = [pytest.mark.e2e]

TONE_NUMBERS = re.compile(r"\b[a-zü]+[1-5]\b")
# The session browser's flags without the fake-UI one: Chromium then refuses the microphone as
# a user who says no would.
ARGS = [a for a in CHROMIUM_ARGS if a != "--use-fake-ui-for-media-stream"]


@dataclass
class Site:
    url: str
    email: str
    seeded: dict[str, str]


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, live_db_url: str, redis_url: str
) -> Iterator[Site]:
    settings, _ = worker_environment(tmp_path_factory.mktemp("rv"), live_db_url, redis_url)
    engine = make_engine(live_db_url)
    email = f"learner-{uuid.uuid4().hex[:8]}@vocalborn.tw"
    with make_session_factory(engine)() as db:
        seeded = seed(db, email, PASSWORD)
        db.commit()
    api = ApiServer(settings)
    try:
        api.start()
        yield Site(api.url, email, seeded)
    finally:
        api.stop()
        truncate_all(engine)
        engine.dispose()
        client = redis.Redis.from_url(redis_url)
        client.flushdb()
        client.close()


@pytest.fixture(scope="module")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    """Without the session browser's fake-UI flag, so a refused microphone is really refused."""
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    try:
        yield b
    finally:
        b.close()


def open_page(chromium: Browser, site: Site, width: int, language: str) -> tuple[Page, list[str]]:
    """A logged-in learner's page; the list collects requests to other hosts and JS errors."""
    phone = width < 600
    context = chromium.new_context(
        viewport={"width": width, "height": 800},
        base_url=site.url,
        timezone_id="America/New_York",
        has_touch=phone,
        is_mobile=phone,
    )
    context.set_default_timeout(10_000)
    server = urlsplit(site.url).netloc
    problems: list[str] = []

    def guard(route: Route) -> None:
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            problems.append(f"request to another host: {route.request.url}")
            route.abort()

    context.route("**/*", guard)
    if language == "en":
        context.add_init_script("localStorage.setItem('vb.lang', 'en')")
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    login(page, site.email)
    expect(page.locator("#view-learner")).to_be_visible()
    return page, problems


def open_result(page: Page, site: Site, key: str) -> Locator:
    task_id, sentence_id = site.seeded[key].split()
    page.evaluate(
        "([t, s]) => import('/static/result-panel.js')"
        ".then((m) => m.openResult(t, null, s, 'learner'))",
        [task_id, sentence_id],
    )
    result = page.locator("#result")
    expect(result.locator(".sentence .item").first).to_be_visible()
    return result


def card(result: Locator, name: str) -> None:
    """The sentence's card alone, for a reviewer to see the flags and the open explanation."""
    ARTIFACTS.mkdir(exist_ok=True)
    result.locator("section.card:has(.sentences)").screenshot(path=str(ARTIFACTS / name))


def press(page: Page, item: Locator, phone: bool) -> None:
    """Open or close an item's panel without hovering: a tap on a phone, Enter on a desktop."""
    if phone:
        item.tap()
    else:
        item.focus()
        page.keyboard.press("Enter")


def panel_of(page: Page, item: Locator) -> Locator:
    return page.locator(f"#{item.get_attribute('aria-controls')}")


def check_flag(page: Page, item: Locator, label: str, icon: str, phone: bool) -> Locator:
    expect(item).to_have_attribute("aria-expanded", "false")
    expect(item.locator(".flag .icon")).to_have_text(icon)
    expect(item.locator(".flag .flag-text")).to_have_text(label)
    expect(item.locator(".flag-text")).to_be_visible()
    press(page, item, phone)
    expect(item).to_have_attribute("aria-expanded", "true")
    panel = panel_of(page, item)
    expect(panel).to_be_visible()
    return panel


T = {
    "zh-TW": {
        "tone": "聲調不對",
        "sub": "唸成別的",
        "expected": "好 第三聲「ㄏㄠˇ」",
        "heard": "好 第二聲「ㄏㄠˊ」",
        "tip": "第三聲先降再升",
        "details": "詳細數據（給治療師）",
        "date": "1月6日",
        "mic": "沒有麥克風權限",
        "warm": "「warm」聽起來像「cold」",
    },
    "en": {
        "tone": "wrong tone",
        "sub": "other word",
        "expected": "好 tone 3 (hǎo)",
        "heard": "好 tone 2 (háo)",
        "tip": "Tone 3 dips, then rises",
        "details": "Details (for therapists)",
        "date": "Jan 6",
        "mic": "The page may not use the microphone",
        "warm": "'warm' sounded like 'cold'",
    },
}


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_flagged_units_explain_themselves(
    chromium: Browser, site: Site, width: int, language: str
) -> None:
    page, problems = open_page(chromium, site, width, language)
    phone, s = width < 600, T[language]
    short = "zh" if language == "zh-TW" else "en"

    result = open_result(page, site, "zh")
    hao = result.locator(".sentence button.item[data-status=wrong_tone]")
    expect(hao.locator("ruby")).to_contain_text("好")
    written, other = ("ㄏㄠˇ", "hǎo") if language == "zh-TW" else ("hǎo", "ㄏㄠˇ")
    expect(hao.locator("rt")).to_have_text(written)  # the default spelling for this language
    panel = check_flag(page, hao, s["tone"], "♪", phone)
    expect(panel.locator(".expected")).to_have_text(s["expected"])
    expect(panel.locator(".heard")).to_have_text(s["heard"])
    expect(panel.locator(".tip")).to_contain_text(s["tip"])
    tian = result.locator(".sentence button.item[data-status=substituted]")
    panel = check_flag(page, tian, s["sub"], "⇄", phone)
    expect(hao).to_have_attribute("aria-expanded", "false")  # one explanation at a time
    expect(panel.locator(".heard")).to_have_text("田")
    expect(result.locator(".sentence button.item")).to_have_count(2)  # only flagged units
    expect(result.locator(".when")).to_contain_text(s["date"])
    expect(result.locator(".when")).to_contain_text("7:30")
    assert not TONE_NUMBERS.search(result.inner_text()), result.inner_text()
    # jargon and the model are in the closed details part only
    details = result.locator("details.details")
    expect(details.locator("summary")).to_have_text(s["details"])
    expect(result.get_by_text(MODEL)).to_be_hidden()
    for jargon in ("syllables/s", "音節／秒", "semitones", "半音", "Jitter"):
        assert jargon not in result.inner_text(), jargon
    card(result, f"result-{short}-{width}-explained.png")  # the substituted one open
    screenshot(page, f"result-{short}-{width}.png")
    details.locator("summary").click()
    expect(result.get_by_text(MODEL, exact=False)).to_be_visible()

    # the other spelling, remembered
    press(page, tian, phone)  # closes its panel
    expect(panel).to_be_hidden()
    to = "pinyin" if language == "zh-TW" else "zhuyin"
    switch = result.locator(f".reading-switch [data-reading={to}]")
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "true")
    expect(result.locator(".sentence button.item[data-status=wrong_tone] rt")).to_have_text(other)
    assert page.evaluate("localStorage.getItem('vb.reading')") in ("pinyin", "zhuyin")
    expect(page.locator(".sentence-option .sentence-reading").first).to_contain_text(other)
    card(result, f"result-{short}-{width}-switched.png")

    # English: the substituted word, and the inserted word as the word heard
    result = open_result(page, site, "en")
    warm = result.locator(".sentence button.item[data-status=substituted]")
    panel = check_flag(page, warm, s["sub"], "⇄", phone)
    expect(panel.locator(".expected")).to_have_text("warm")
    expect(panel.locator(".heard")).to_have_text("cold")
    expect(panel.locator(".tip")).to_contain_text(s["warm"])
    expect(result.locator(".sentence .item[data-status=extra] .item-text")).to_have_text("really")
    expect(result.locator(".sentence .item[data-status=missing] .flag-text")).to_be_visible()
    if not phone:  # Space closes, as on any button
        page.keyboard.press(" ")
        expect(warm).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    card(result, f"result-{short}-{width}-english.png")

    # a refused microphone, in the page's words
    page.locator("#record-btn").click()
    expect(page.locator("#submit-error")).to_contain_text(s["mic"])
    expect(page.locator("#submit-error")).not_to_contain_text("Permission denied")
    assert not problems, problems
    page.context.close()
