"""The history (progress over time) and the pitch plot in headless Chromium, at 1280 and 360 px,
in both languages, against the real API on PostgreSQL. Attempts and results are written straight
into the database (no worker, no analyser), so the module stays fast.

- the history comes from exactly one request, a section per language, one chart per sentence,
  dates in the page's language on Taipei time (the browser itself is set to Berlin);
- the pitch plot is in semitones from each speaker's median (a child's 300 Hz curve and an
  adult's 120 Hz one both sit around 0), the learner's curve is aligned unit by unit to the
  reference (old reports: proportionally), with the units labelled under it and Mandarin tone
  shapes behind;
- nothing is requested from any other host.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect
from sqlalchemy import Engine

from tests.conftest import make_settings, truncate_all
from tests.support import attempts
from tests.support.attempts import T0
from tests.web.conftest import ARTIFACTS, PASSWORD, ApiServer, login
from vocalborn.accounts.models import Role
from vocalborn.accounts.service import create_user
from vocalborn.analysis.models import TaskStatus
from vocalborn.db import make_engine, make_session_factory

pytestmark = [pytest.mark.e2e]

ZH_TEXT, ZH_TEXT2, EN_TEXT = "我很好", "謝謝你", "Thank you all"
LEARNER_UNITS = [(0.5, 1.4), (1.5, 1.8), (1.9, 2.3)]  # a slow first syllable
REFERENCE_UNITS = [(0.2, 0.6), (0.7, 1.0), (1.1, 1.4)]


def contour(units: list[tuple[float, float]], median_hz: float) -> dict[str, Any]:
    """Voiced only inside the units (so each unit starts a new stretch of the drawn line), a
    swing of +-3 semitones around `median_hz`."""
    times, f0 = [], []
    for i in range(121):
        t = round(0.02 * i, 2)
        inside = any(s - 1e-6 <= t <= e + 1e-6 for s, e in units)
        times.append(t)
        f0.append(round(median_hz * 2 ** (3 * math.sin(7 * t) / 12), 1) if inside else None)
    return {"times": times, "f0_hz": f0}


def report(text: str, language: str, aligned: bool) -> tuple[dict[str, Any], list[Any]]:
    """(detailed_analysis, sentence_analyses); `aligned=False` is a report from before the
    units carried their reference spans."""
    labels = list(text) if language == "zh-TW" else text.split()
    items = []
    for i, label in enumerate(labels):
        (s, e), (rs, re_) = LEARNER_UNITS[i], REFERENCE_UNITS[i]
        item: dict[str, Any] = {"start": s, "end": e, "score": 80.0, "status": "ok"}
        item.update(
            {"label": label, "tone_expected": [3, 3, 3][i]}
            if language == "zh-TW"
            else {"word": label}
        )
        if aligned:
            item.update(reference_start=rs, reference_end=re_)
        items.append(item)
    pitch = {
        "f0_median_hz": 300.0,
        "contour": contour(LEARNER_UNITS, 300.0),
        "reference": {"f0_median_hz": 120.0, "contour": contour(REFERENCE_UNITS, 120.0)},
    }
    sentence = {"text": text, "language": language, "items": items, "completeness": 1.0}
    return {"pitch_analysis": pitch}, [sentence]


@dataclass
class Site:
    url: str
    email: str
    attempts: dict[str, int]  # sentence text -> attempts seeded


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, live_db_url: str, redis_url: str
) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("history-web")
    engine: Engine = make_engine(live_db_url)
    api = ApiServer(make_settings(tmp, live_db_url, redis_url))
    try:
        with make_session_factory(engine)() as db:
            email = f"learner-{uuid.uuid4().hex[:8]}@vocalborn.tw"
            user = create_user(db, email=email, password=PASSWORD, name="小華", role=Role.CLIENT)
            zh = attempts.sentence(db, ZH_TEXT)
            zh2 = attempts.sentence(db, ZH_TEXT2)
            en = attempts.sentence(db, EN_TEXT, "en")
            day = timedelta(days=1)
            for i, score in enumerate([48.0, 63.5, None, 82.0]):
                status = TaskStatus.FAILURE if score is None else TaskStatus.SUCCESS
                detailed, analyses = report(ZH_TEXT, "zh-TW", True) if i == 3 else ({}, None)
                attempts.attempt(
                    db,
                    user.user_id,
                    zh.sentence_id,
                    T0 + i * day,
                    score,
                    status,
                    detailed,
                    analyses,
                )
            for i, score in enumerate([70.0, 75.0]):
                attempts.attempt(
                    db, user.user_id, zh2.sentence_id, T0 + i * day + timedelta(hours=3), score
                )
            for i, score in enumerate([55.0, 58.0, 66.0]):
                detailed, analyses = report(EN_TEXT, "en", False) if i == 2 else ({}, None)
                attempts.attempt(
                    db,
                    user.user_id,
                    en.sentence_id,
                    T0 + i * day + timedelta(hours=5),
                    score,
                    TaskStatus.SUCCESS,
                    detailed,
                    analyses,
                )
            db.commit()
        api.start()
        yield Site(api.url, email, {ZH_TEXT: 4, ZH_TEXT2: 2, EN_TEXT: 3})
    finally:
        api.stop()
        truncate_all(engine)
        engine.dispose()


def path_runs(d: str) -> list[list[tuple[float, float]]]:
    """The stretches (M ... L ...) of an SVG path as lists of (x, y)."""
    runs: list[list[tuple[float, float]]] = []
    for cmd, x, y in re.findall(r"([ML])(-?[\d.]+),(-?[\d.]+)", d):
        if cmd == "M":
            runs.append([])
        runs[-1].append((float(x), float(y)))
    return runs


def check_pitch(page: Page, language: str, aligned: str, units: list[str]) -> None:
    plot = page.locator("#result svg.pitch-plot")
    expect(plot).to_be_visible()
    assert plot.get_attribute("data-aligned") == aligned
    expect(plot.locator(".unit-label")).to_have_text(units)
    # the scale is semitones around each speaker's median, labelled in plain words
    axis = "比平常高" if language == "zh-TW" else "than usual"
    expect(plot.locator("text.axis").filter(has_text=axis)).to_have_count(1)
    expect(plot.locator(".grid text").filter(has_text=re.compile(r"^0$"))).to_have_count(1)
    expect(plot.locator("polyline.tone-shape")).to_have_count(
        3 if re.search(r"[\u4e00-\u9fff]", units[0]) else 0
    )
    learner = path_runs(plot.locator("path.line.learner").get_attribute("d") or "")
    reference = path_runs(plot.locator("path.line.reference").get_attribute("d") or "")
    assert len(learner) == len(reference) == 3
    width = float((plot.get_attribute("viewBox") or "0 0 1 1").split()[2])
    starts = [(run[0][0], ref[0][0]) for run, ref in zip(learner, reference, strict=True)]
    if aligned == "units":  # each unit of the learner starts where the reference's does
        assert all(abs(a - b) < 0.02 * width for a, b in starts), starts
    else:  # stretched as a whole: same first and last point, the middle unit elsewhere
        assert abs(starts[0][0] - starts[0][1]) < 0.02 * width, starts
        assert abs(learner[-1][-1][0] - reference[-1][-1][0]) < 0.02 * width
        assert abs(starts[1][0] - starts[1][1]) > 0.05 * width, starts
    # both speakers around their own 0, though 300 Hz and 120 Hz
    zero = float(plot.locator(".grid line.zero").get_attribute("y1") or 0)
    for runs in (learner, reference):
        ys = [y for run in runs for _, y in run]
        top, bottom = min(ys), max(ys)
        assert top < zero < bottom, (top, zero, bottom)


@pytest.mark.parametrize("language", ["zh-TW", "en"])
@pytest.mark.parametrize("width", [1280, 360])
def test_history_in_one_request_and_the_pitch_plot(
    browser: Browser, site: Site, language: str, width: int
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, base_url=site.url, timezone_id="Europe/Berlin"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    foreign: list[str] = []
    api_calls: list[str] = []
    own = urlsplit(site.url).netloc

    def gate(route: Route, request: Request) -> None:
        if urlsplit(request.url).netloc != own:
            foreign.append(request.url)
            route.abort()
            return
        route.continue_()

    context.route("**/*", gate)
    page.on(
        "request", lambda r: api_calls.append(urlsplit(r.url).path) if "/api/" in r.url else None
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(f"localStorage.setItem('vb.lang', '{language}')")
    try:
        login(page, site.email)
        history = page.locator("#history .history-view")
        expect(history).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert [p for p in api_calls if p.startswith("/api/v1/practice/history")] == [
            "/api/v1/practice/history"
        ]
        assert not [p for p in api_calls if "/tasks/" in p or "/practice/sessions" in p], api_calls

        # a section per language, a card with one chart per sentence
        zh_cards = history.locator(".history-lang[data-language=zh-TW] .history-sentence")
        en_cards = history.locator(".history-lang[data-language=en] .history-sentence")
        expect(zh_cards).to_have_count(2)
        expect(en_cards).to_have_count(1)
        for text, count in site.attempts.items():
            card = history.locator(".history-sentence").filter(has_text=text)
            chart = card.locator("svg.attempts-chart")
            expect(chart).to_have_count(1)
            assert chart.get_attribute("data-attempts") == str(count)
            numbers = chart.locator(".attempt-numbers text").all_text_contents()
            assert numbers[0] == "1" and numbers[-1] == str(count), numbers
        first = history.locator(".history-sentence").filter(has_text=ZH_TEXT)
        chart = first.locator("svg.attempts-chart")
        expect(chart.locator("circle")).to_have_count(3)  # the failed attempt has no score
        # first and last attempt, in the page's language, Taipei time (09:30, not Berlin's)
        when = chart.locator("text.when").all_text_contents()
        day1, day4 = ("3月12日", "3月15日") if language == "zh-TW" else ("Mar 12", "Mar 15")
        assert len(when) == 2 and day1 in when[0] and day4 in when[1], when
        assert all("09:30" in w for w in when), when
        rows = first.locator(".history-row")
        expect(rows).to_have_count(4)
        expect(rows.first.locator(".attempt-no")).to_have_text(
            "第 4 次" if language == "zh-TW" else "Attempt 4"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        tag = "zh" if language == "zh-TW" else "en"
        history_panel = page.locator("#history-panel")
        history_panel.screenshot(path=str(screenshot_path(f"history-{tag}-{width}.png")))

        # the Mandarin result: aligned unit by unit, tone shapes behind the syllables
        rows.first.locator("button").click()
        check_pitch(page, language, "units", list(ZH_TEXT))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator("#result svg.pitch-plot").screenshot(
            path=str(screenshot_path(f"pitch-{tag}-{width}.png"))
        )
        # an English result from before the reference spans: stretched as a whole
        en_cards.first.locator(".history-row").first.locator("button").click()
        check_pitch(page, language, "proportional", EN_TEXT.split())
        assert not foreign, foreign
        assert not errors, errors
    finally:
        context.close()


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
