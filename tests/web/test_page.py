"""The page in real headless Chromium against the real API, PostgreSQL, Redis and a worker."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import wait_for
from tests.web.analysers import FAIL_MARK, FAIL_MESSAGE
from tests.web.conftest import PageRun, Stack, login, screenshot
from vocalborn.accounts.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RESULT_TIMEOUT = 90_000  # ms: queue + a 4 s analysis on a busy 2-core machine


def progress_values(page: Page) -> list[float]:
    return list(page.evaluate("window.__progress"))


def pick(page: Page, text: str) -> None:
    page.locator(".sentence-option label").filter(
        has=page.locator(".sentence-text", has_text=text)
    ).filter(has=page.get_by_text(text, exact=True)).click()


def test_learner_registers_uploads_follows_the_bar_and_reads_the_result(
    web: PageRun, stack: Stack
) -> None:
    page = web.page
    therapist = stack.account(Role.THERAPIST, "Dr. Lin")
    text = "你好嗎"
    stack.sentence(therapist, text)
    stack.sentence(therapist, "How are you today", "en", reference=False)

    # register (zh-TW is the default language), which also logs in
    page.goto("/")
    page.wait_for_selector("body[data-ready='true']")
    expect(page.locator("html")).to_have_attribute("lang", "zh-TW")
    expect(page.locator("#login-form h2")).to_have_text("登入")
    page.click("#to-register")
    email = f"learner-{uuid.uuid4().hex[:8]}@vocalborn.tw"
    page.fill("#reg-name", "小明")
    page.fill("#reg-email", email)
    page.fill("#reg-password", "a long enough password")
    page.click("#register-btn")
    expect(page.locator("#view-learner")).to_be_visible()
    expect(page.locator("#who")).to_contain_text(email)
    expect(page.locator("#history")).to_contain_text("還沒有練習紀錄")

    # pick the sentence, upload a wav made here, submit
    pick(page, text)
    # the picker speaks the page's language, not the browser's ("No file chosen")
    expect(page.locator("label.file-button")).to_have_text("選擇檔案")
    expect(page.locator("#file-name")).to_have_text("尚未選擇檔案")
    wav = stack.wav(1.6)
    page.set_input_files("#file", str(wav))
    expect(page.locator("#file-name")).to_have_text(wav.name)
    page.click("#submit-btn")
    expect(page.locator("#progress-panel")).to_be_visible()
    expect(page.locator("#result-panel")).to_be_visible(timeout=RESULT_TIMEOUT)
    expect(page.locator("#progress")).to_have_attribute("value", "100")
    expect(page.locator("#progress-step")).to_contain_text("完成")
    # followed over the WebSocket (snapshot, then every change)
    expect(page.locator("#progress-panel")).to_have_attribute("data-mode", "ws")

    # the bar moved: at least two values between start and completion, never backwards
    values = progress_values(page)
    moving = [v for v in values if 0 < v < 100]
    assert len(set(moving)) >= 2, values
    assert moving == sorted(moving), values
    assert values[-1] == 100, values

    # four score cards; the one not assessed shows "—" and why
    result = page.locator("#result")
    cards = result.locator(".score-card")
    expect(cards).to_have_count(4)
    expect(result.locator("[data-score=overall_score] .score-value")).to_have_text("72")
    expect(result.locator("[data-score=fluency_score] .score-value")).to_have_text("85")
    expect(result.locator("[data-score=rhythm_score] .score-value")).to_have_text("56")
    na = result.locator("[data-score=pronunciation_accuracy]")
    expect(na.locator(".score-value")).to_have_text("—")
    expect(na.locator(".score-reason")).to_contain_text("聲母韻母的評分需要華語聲學模型")
    expect(result.locator("[data-score=overall_score]")).to_have_class("score-card fair")

    # the sentence, each syllable coloured by its tone result; the wrong one also says so
    items = result.locator(".sentence .item")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_have_class("item good")
    expect(items.nth(1)).to_have_class("item flagged wrong-tone")
    expect(items.nth(1).locator(".flag-text")).to_have_text("聲調不對")
    expect(items.nth(2)).to_have_class("item fair")

    # the pitch plot: learner and reference lines, a legend
    plot = result.locator("svg.pitch-plot")
    expect(plot).to_be_visible()
    expect(plot.locator("path.line.learner")).to_have_count(1)
    expect(plot.locator("path.line.reference")).to_have_count(1)
    assert int(plot.get_attribute("data-learner-points") or 0) > 50
    expect(plot.locator(".legend")).to_contain_text("示範錄音")

    # suggestions in the chosen language, the other one on hover; improvement areas
    first = result.locator(".suggestions li").first
    expect(first).to_have_text("第2個字的聲調應為第二聲")
    expect(first).to_have_attribute("title", "Syllable 2 should be tone 2")
    expect(result.locator(".areas li")).to_have_count(2)

    # my recording plays from the API (fetched with the token, played from a blob)
    result.get_by_role("button", name="播放我的錄音").click()
    expect(result.locator(".player audio")).to_have_attribute("src", re.compile(r"^blob:"))

    # history: the attempt with its score and the score-over-time chart
    expect(page.locator("#history .history-row")).to_have_count(1)
    expect(page.locator("#history .history-row .score")).to_have_text("72")
    expect(page.locator("#history svg.score-chart circle")).to_have_count(1)
    assert not web.errors, web.errors
    screenshot(page, "web-result.png")

    # English: every string switches, the result included
    page.select_option("#lang", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#result-h")).to_have_text("Result")
    expect(result.locator(".suggestions li").first).to_have_text("Syllable 2 should be tone 2")
    expect(plot.locator(".legend")).to_contain_text("Model recording")
    expect(na.locator(".score-reason")).to_contain_text("Mandarin acoustic model")
    expect(page.locator("#history .history-row .status")).to_have_text("Done")
    screenshot(page, "web-result-en.png")

    # phone size: nothing wider than the screen
    page.set_viewport_size({"width": 360, "height": 780})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    screenshot(page, "web-result-phone.png")
    assert not web.errors, web.errors


def test_failures_are_explained(web: PageRun, stack: Stack) -> None:
    page = web.page
    therapist = stack.account(Role.THERAPIST)
    learner = stack.account(Role.CLIENT, "Learner")
    bad_text = f"錯誤{FAIL_MARK}"
    stack.sentence(therapist, bad_text, reference=False)
    ok_text = "謝謝"
    stack.sentence(therapist, ok_text, reference=False)

    # a wrong password: said in the page's language
    login(page, learner["email"], "not the password")
    expect(page.locator("#login-error")).to_have_text("電子郵件或密碼不正確")
    page.fill("#login-password", "correct horse battery")
    page.click("#login-btn")
    expect(page.locator("#view-learner")).to_be_visible()

    # nothing chosen yet
    page.click("#submit-btn")
    expect(page.locator("#submit-error")).to_have_text("請先選擇句子。")

    # a file that is not audio: what is wrong in zh-TW, then the API's own words
    junk = stack.tmp / "notes.wav"
    junk.write_bytes(b"these are my notes, not a recording\n" * 20)
    session = stack.http("POST", "/practice/sessions", headers=stack.auth(learner)).json()
    sentence_id = next(
        s["sentence_id"]
        for s in stack.http("GET", "/practice/sentences", headers=stack.auth(learner)).json()
        if s["text"] == ok_text
    )
    with junk.open("rb") as f:
        direct = stack.http(
            "PUT",
            f"/practice/sessions/{session['practice_session_id']}/recordings/{sentence_id}",
            headers=stack.auth(learner),
            files={"file": ("notes.wav", f, "audio/wav")},
        )
    assert direct.status_code in (415, 422), direct.text
    error = direct.json()["error"]
    explained = {
        "unsupported_audio_format": "不支援這種檔案格式，"
        "請上傳 wav、mp3、m4a、aac、ogg、flac 或 webm 錄音",
        "invalid_audio": "檔案不是可讀取的錄音，可能已損壞或是空的",
    }[error["code"]]
    pick(page, ok_text)
    page.set_input_files("#file", str(junk))
    page.click("#submit-btn")
    expect(page.locator("#submit-error")).to_have_text(
        f"上傳失敗：{explained}（{error['message']}）"
    )
    expect(page.locator("#progress-panel")).to_be_hidden()

    # an analysis that fails: its reason, and no retry offered for a file error; the WebSocket
    # is refused here, so the page follows the task by polling the status endpoint
    page.route_web_socket("**/tasks/ws/task/**", lambda ws: ws.close())
    pick(page, bad_text)
    page.set_input_files("#file", str(stack.wav(1.0)))
    page.click("#submit-btn")
    expect(page.locator("#progress-error")).to_contain_text(
        f"分析失敗：錄音檔有問題（可能沒有聲音、不是錄音或已損壞），請重新錄音（{FAIL_MESSAGE}）",
        timeout=RESULT_TIMEOUT,
    )
    expect(page.locator("#progress-panel")).to_have_attribute("data-status", "failure")
    expect(page.locator("#progress-panel")).to_have_attribute("data-mode", "poll")
    expect(page.locator("#retry-btn")).to_be_hidden()
    expect(page.locator("#result-panel")).to_be_hidden()
    expect(page.locator("#history .history-row .status").first).to_have_text("失敗")
    screenshot(page, "web-failure.png")

    # an expired or revoked token: back to the log-in form, saying why
    page.evaluate("sessionStorage.setItem('vb.token', 'not-a-valid-token')")
    page.click("#history-refresh")
    expect(page.locator("#view-auth")).to_be_visible()
    expect(page.locator("#auth-msg")).to_have_text("登入已過期，請重新登入。")
    login(page, learner["email"])
    expect(page.locator("#view-learner")).to_be_visible()

    # the server goes away: a banner says so
    stack.api.stop()
    page.click("#history-refresh")
    expect(page.locator("#banner")).to_be_visible()
    expect(page.locator("#banner-text")).to_have_text("無法連線到伺服器，請檢查網路後再試一次。")
    assert not web.errors, web.errors


def test_therapist_sees_clients_their_attempts_and_analytics(web: PageRun, stack: Stack) -> None:
    page = web.page
    therapist = stack.account(Role.THERAPIST, "Dr. Chen")
    mine = stack.account(Role.CLIENT, "林小華")
    other = stack.account(Role.CLIENT, "Not Mine")
    stack.link(therapist, mine)
    sentence = stack.sentence(therapist, "早安", reference=False)
    session = stack.http("POST", "/practice/sessions", headers=stack.auth(mine)).json()
    with stack.wav(1.0).open("rb") as f:
        up = stack.http(
            "PUT",
            f"/practice/sessions/{session['practice_session_id']}/recordings/"
            f"{sentence['sentence_id']}",
            headers=stack.auth(mine),
            files={"file": ("a.wav", f, "audio/wav")},
        )
    assert up.status_code == 200, up.text
    # a second attempt, analysed by the worker: its result is what the therapist opens
    session2 = stack.http("POST", "/practice/sessions", headers=stack.auth(mine)).json()
    with stack.wav(1.2).open("rb") as f:
        up2 = stack.http(
            "PUT",
            f"/practice/sessions/{session2['practice_session_id']}/recordings/"
            f"{sentence['sentence_id']}",
            headers=stack.auth(mine),
            files={"file": ("b.wav", f, "audio/wav")},
        )
    assert up2.status_code == 200, up2.text
    submitted = stack.http(
        "POST",
        "/tasks/analysis/submit",
        headers=stack.auth(mine),
        json={"practice_record_id": up2.json()["practice_record_id"]},
    )
    assert submitted.status_code == 202, submitted.text
    task_id = submitted.json()["task_id"]

    def analysed() -> bool:
        resp = stack.http("GET", f"/tasks/analysis/{task_id}/status", headers=stack.auth(mine))
        status = resp.json()["status"]
        assert status in ("pending", "processing", "success"), resp.text
        return status == "success"

    wait_for("the client's analysis", analysed, timeout=90)

    # The error analytics come from the periodic-jobs part. Where this branch has no analytics
    # API yet, the browser gets the answer that part's `read_analytics` gives, so the panel is
    # still checked on the real shape; with the API present, its own (empty) answer is shown.
    real = stack.http(
        "GET", f"/analytics/learners/{mine['user_id']}", headers=stack.auth(therapist)
    )
    has_api = real.status_code != 404
    if not has_api:
        page.route(
            f"**/api/v1/analytics/learners/{mine['user_id']}",
            lambda route: route.fulfill(json=learner_analytics(mine["user_id"])),
        )

    login(page, therapist["email"])
    expect(page.locator("#view-therapist")).to_be_visible()
    clients = page.locator("#clients .client")
    expect(clients).to_have_count(1)
    expect(clients.first).to_contain_text("林小華")
    expect(page.locator("#clients")).not_to_contain_text(other["name"])

    clients.first.locator("button").click()
    expect(page.locator("#client-h")).to_contain_text("林小華")
    rows = page.locator("#client-history .history-row")
    expect(rows).to_have_count(2)
    recorded = rows.filter(has_text="已錄音")
    expect(recorded).to_have_count(1)
    sentence_card = page.locator("#client-history .history-sentence")  # attempts per sentence
    expect(
        sentence_card.filter(has=page.locator(".history-row", has_text="已錄音"))
    ).to_contain_text("早安")
    done = rows.filter(has_text="完成")
    expect(done.locator(".score")).to_have_text("72")
    expect(page.locator("#client-history svg.score-chart circle")).to_have_count(1)
    analytics = page.locator("#client-analytics .analytics[data-rows]")
    expect(analytics).to_be_visible()
    if has_api:
        expect(analytics.locator(".analytics-missing, .analytics-groups")).to_have_count(1)
    else:
        tones = analytics.locator("[data-category=tone]")
        expect(tones.locator("h4")).to_have_text("聲調")
        expect(tones.locator("li").first).to_have_text(
            "hao3 — 3 次 / 4 次分析 · 75% · 平均 41 分 · heard 2"
        )
        expect(analytics.locator("[data-category=pause] li")).to_contain_text("before 好")
        expect(analytics.locator("[data-category=phone]")).to_have_count(0)  # empty category

    # the client's result, read-only, with the sentence's error analytics under it
    done.locator("button").click()
    t_result = page.locator("#t-result")
    expect(t_result.locator(".score-card")).to_have_count(4)
    expect(t_result.locator("[data-score=overall_score] .score-value")).to_have_text("72")
    expect(t_result.locator("svg.pitch-plot")).to_be_visible()
    expect(t_result.locator(".sentence-analytics .analytics[data-rows]")).to_be_visible()
    screenshot(page, "web-therapist.png")
    assert not web.errors, web.errors


def test_learner_records_in_the_browser(web: PageRun, stack: Stack) -> None:
    """MediaRecorder with Chromium's fake microphone (a beep), uploaded as webm and analysed."""
    page = web.page
    therapist = stack.account(Role.THERAPIST)
    learner = stack.account(Role.CLIENT)
    stack.sentence(therapist, "錄音", reference=False)
    login(page, learner["email"])
    expect(page.locator("#view-learner")).to_be_visible()
    pick(page, "錄音")
    page.click("#record-btn")
    expect(page.locator("#record-btn")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#record-status")).to_contain_text("錄音中… 2 秒", timeout=15_000)
    page.click("#record-btn")
    expect(page.locator("#record-preview")).to_be_visible()
    page.click("#submit-btn")
    expect(page.locator("#result-panel")).to_be_visible(timeout=RESULT_TIMEOUT)
    record = _only_record(stack, learner)
    assert record["audio_format"] == "webm", record
    assert record["audio_duration"] >= 1.5, record
    assert not web.errors, web.errors


def _only_record(stack: Stack, account: dict[str, str]) -> dict[str, Any]:
    sessions = stack.http("GET", "/practice/sessions", headers=stack.auth(account)).json()
    records = [r for s in sessions for r in s["records"]]
    assert len(records) == 1, records
    return dict(records[0])


def learner_analytics(user_id: str) -> dict[str, Any]:
    """What `GET /analytics/learners/{id}` answers after `update_error_analytics` has run."""
    return {
        "scope": "learner",
        "id": user_id,
        "analyses": 4,
        "period_start": "2026-10-26T03:30:00+00:00",
        "period_end": "2026-11-25T03:30:00+00:00",
        "computed_at": "2026-11-25T03:30:05+00:00",
        "items": {
            "phone": [],
            "tone": [
                {
                    "key": "hao3",
                    "count": 3,
                    "share": 0.75,
                    "mean_score": 41.2,
                    "detail": {"notes": {"heard 2": 3}},
                }
            ],
            "word": [],
            "pause": [
                {
                    "key": "before 好",
                    "count": 2,
                    "share": 0.5,
                    "mean_score": None,
                    "detail": {"mean_seconds": 0.61},
                }
            ],
        },
    }
