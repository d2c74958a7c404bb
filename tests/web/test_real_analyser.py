"""One run of the page against the real offline analyser: the bundled Mandarin learner and
reference recordings, analysed by a worker with `ANALYZER=auto` (no AI service configured)."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
from playwright.sync_api import expect

from tests.web.conftest import PageRun, Stack, login, screenshot
from vocalborn.accounts.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ANALYZER = "auto"
# The real analysis takes seconds, not the sleepy analyser's fraction of one.
WORKER_OVERRIDES = {
    "CELERY_TASK_TIME_LIMIT": "120",
    "CELERY_TASK_SOFT_TIME_LIMIT": "100",
    "CELERY_VISIBILITY_TIMEOUT": "300",
}
TEXT = "我今天很好"
ITEM_CLASSES = {"good", "fair", "poor", "wrong-tone", "missing", "na", "substituted", "unclear"}
# Statuses whose explanation says what the second listener heard (or "沒聽到").
HEARD_SHOWN = {"substituted", "missing"}


def test_real_analysis_of_a_mandarin_recording(web: PageRun, stack: Stack) -> None:
    page = web.page
    samples = files("vocalborn") / "samples"
    therapist = stack.account(Role.THERAPIST)
    learner = stack.account(Role.CLIENT)
    resp = stack.http(
        "POST",
        "/practice/sentences",
        headers=stack.auth(therapist),
        json={"text": TEXT, "language": "zh-TW"},
    )
    assert resp.status_code == 201, resp.text
    sentence_id = resp.json()["sentence_id"]
    ref = samples / "zh_ref.flac"
    resp = stack.http(
        "PUT",
        f"/practice/sentences/{sentence_id}/reference",
        headers=stack.auth(therapist),
        files={"file": ("zh_ref.flac", ref.read_bytes(), "audio/flac")},
    )
    assert resp.status_code == 200, resp.text
    learner_file = stack.tmp / "zh_learner.flac"
    learner_file.write_bytes((samples / "zh_learner.flac").read_bytes())

    login(page, learner["email"])
    expect(page.locator("#view-learner")).to_be_visible()
    page.locator(".sentence-option label", has_text=TEXT).click()
    page.set_input_files("#file", str(learner_file))
    page.click("#submit-btn")
    expect(page.locator("#result-panel")).to_be_visible(timeout=120_000)

    result = page.locator("#result")
    expect(result.locator(".score-card")).to_have_count(4)
    # every card shows a score or "—" with the analyser's reason
    for card in result.locator(".score-card").all():
        value = card.locator(".score-value").inner_text()
        assert value == "—" or 0 <= int(value) <= 100, value
        if value == "—":
            assert card.locator(".score-reason").inner_text().strip()
    # one coloured item per syllable of the sentence, each character above its Zhuyin
    items = result.locator(".sentence .item")
    expect(items).to_have_count(len(TEXT))
    for i, item in enumerate(items.all()):
        classes = set((item.get_attribute("class") or "").split()) - {"item", "flagged"}
        assert classes <= ITEM_CLASSES and len(classes) == 1, classes
        assert item.locator(".item-text").inner_text().startswith(TEXT[i])
        zhuyin = item.locator("rt").inner_text()
        assert zhuyin and not re.search(r"[0-9a-z]", zhuyin), zhuyin
        if item.get_attribute("data-status") in HEARD_SHOWN:
            item.click()
            panel = page.locator(f"#{item.get_attribute('aria-controls')}")
            assert panel.locator(".heard").inner_text().strip()
    # intelligibility: a 0..100 score with its basis, or why it was not assessed
    intel = result.locator("[data-intelligibility]")
    expect(intel).to_have_count(1)
    if intel.get_attribute("data-intelligibility") == "scored":
        assert 0 <= int(intel.locator(".intel-score").inner_text()) <= 100
        expect(intel.locator(".intel-basis")).not_to_be_empty()
    else:
        assert intel.locator(".score-reason").inner_text().startswith("未評估：")
    # the learner's contour against the reference's
    plot = result.locator("svg.pitch-plot")
    expect(plot).to_be_visible()
    expect(plot.locator("path.line.learner")).to_have_count(1)
    expect(plot.locator("path.line.reference")).to_have_count(1)
    assert int(plot.get_attribute("data-learner-points") or 0) > 10
    assert int(plot.get_attribute("data-reference-points") or 0) > 10
    # suggestions (or the note that there are none), in Chinese
    advice = result.locator("section.card").filter(has=page.locator("h3", has_text="建議"))
    expect(advice.locator("li, p.note").first).to_be_visible()
    # what was not assessed, and why, in Chinese (a Mandarin analysis never scores segments),
    # in the therapists' details
    result.locator("details.details summary").click()
    note = result.locator(".notes li[data-note=segmental_accuracy]")
    expect(note).to_contain_text("聲母與韻母：沒有可離線使用的華語聲學模型")
    assert "[object Object]" not in result.inner_text()
    screenshot(page, "web-result-real.png")
    assert not web.errors, web.errors
