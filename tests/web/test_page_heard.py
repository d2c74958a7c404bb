"""What the second listener heard, in the result view: the word or character heard in place of
each flagged one (in its explanation), the inserted words, the `substituted` and `unclear`
statuses with their icons and labels, and the intelligibility score (or why it was not
assessed); never ARPAbet phones.

The report comes from `RichSleepyAnalyser`, whose items cycle through fixed patterns."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.analysers import (
    INSERTED_WORD,
    INTELLIGIBILITY,
    SUBSTITUTED_CHAR,
    SUBSTITUTED_WORD,
    WEAK_SOUNDS,
)
from tests.web.conftest import PageRun, Stack, login, screenshot
from tests.web.test_page import RESULT_TIMEOUT, pick
from vocalborn.accounts.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ENGLISH = "The cat sat on the mat"  # cat: substituted, +really after sat, on: missing
MANDARIN = "我今天很好吃飯"  # 今 wrong tone, 好 substituted, 吃 unclear, 飯 missing
ARPABET = re.compile(r"\b(?:AA|AE|AH|AO|AW|AY|DH|ER|EY|IH|IY|OW|OY|TH|UH|UW|ZH)\d?\b")


def analyse(page: Page, text: str) -> Locator:
    pick(page, text)
    page.click("#submit-btn")
    expect(page.locator("#result-panel")).to_be_visible(timeout=RESULT_TIMEOUT)
    result = page.locator("#result")
    expect(result.locator(".result-sentence")).to_have_text(text)
    return result


def item(result: Locator, status: str) -> Locator:
    return result.locator(f".sentence .item[data-status={status}]")


def heard(page: Page, flagged: Locator) -> Locator:
    """What its explanation says was heard, once the flagged unit is clicked open."""
    if flagged.get_attribute("aria-expanded") != "true":
        flagged.click()
    return page.locator(f"#{flagged.get_attribute('aria-controls')} .heard")


def test_the_result_shows_what_the_listener_heard(web: PageRun, stack: Stack) -> None:
    page = web.page
    therapist = stack.account(Role.THERAPIST)
    learner = stack.account(Role.CLIENT)
    stack.sentence(therapist, ENGLISH, "en", reference=False)
    stack.sentence(therapist, MANDARIN, reference=False)
    wav = str(stack.wav(1.5))
    login(page, learner["email"])
    expect(page.locator("#view-learner")).to_be_visible()
    page.set_input_files("#file", wav)

    # English: each flagged word says what was heard when tapped; the inserted word as heard
    result = analyse(page, ENGLISH)
    words = result.locator(".sentence .item")
    expect(words).to_have_count(7)  # six expected words and one inserted
    cat = item(result, "substituted")
    expect(cat).to_have_class("item flagged substituted")
    expect(cat.locator(".item-text")).to_have_text("cat")
    expect(cat.locator(".flag .icon")).to_have_text("⇄")
    expect(cat.locator(".flag-text")).to_have_text("唸成別的")
    expect(cat).to_have_accessible_name(re.compile(r"^cat\s*唸成別的$"))
    expect(heard(page, cat)).to_have_text(SUBSTITUTED_WORD)
    extra = item(result, "extra")
    expect(extra.locator(".item-text")).to_have_text(INSERTED_WORD)
    expect(extra.locator(".flag-text")).to_have_text("多唸")
    expect(words.nth(3)).to_have_attribute("data-status", "extra")  # in place, after "sat"
    expect(heard(page, item(result, "missing"))).to_have_text("沒聽到")
    expect(heard(page, item(result, "mispronounced"))).to_have_text("the（不夠清楚）")
    expect(item(result, "ok").locator(".flag")).to_have_count(0)  # only flagged words
    legend = result.locator(".legend-list")
    expect(legend.locator("[data-legend=substituted]")).to_have_text("⇄唸成別的")
    expect(legend.locator("[data-legend=extra]")).to_have_text("+多唸")
    # the intelligibility score, its basis and the transcript heard
    intel = result.locator("[data-intelligibility=scored]")
    expect(intel.locator("h3")).to_have_text("清晰度")
    expect(intel.locator(".intel-score")).to_have_text(str(round(INTELLIGIBILITY)))
    expect(intel.locator(".intel-basis")).to_have_text(" — 不提示句子時，聽辨模型聽懂的目標詞比例")
    expect(intel.locator(".intel-heard q")).to_have_text("the cold sat really the mat")
    expect(result.locator(".areas li", has_text="清晰度")).to_have_count(1)
    expect(result.locator(".notes li[data-note=intelligibility]")).to_have_count(0)
    # no ARPAbet anywhere (the report has weak sounds; heard_phones are gone)
    text = result.inner_text()
    assert not ARPABET.search(text), text
    assert " ".join(WEAK_SOUNDS) not in text and "[object Object]" not in text
    screenshot(page, "web-result-heard-en.png")

    page.select_option("#lang", "en")
    expect(cat.locator(".flag-text")).to_have_text("other word")
    expect(heard(page, cat)).to_have_text(SUBSTITUTED_WORD)
    expect(heard(page, item(result, "missing"))).to_have_text("nothing")
    expect(legend.locator("[data-legend=substituted]")).to_have_text("⇄other word")
    expect(intel.locator("h3")).to_have_text("Intelligibility")
    expect(intel.locator(".intel-basis")).to_contain_text("share of the target words")
    page.select_option("#lang", "zh-TW")

    # Mandarin: the character heard, the tone heard in Zhuyin, "unclear"; intelligibility not
    # assessed
    result = analyse(page, MANDARIN)
    expect(result.locator(".sentence .item")).to_have_count(len(MANDARIN))
    hao = item(result, "substituted")
    expect(hao.locator("ruby")).to_contain_text("好")
    expect(heard(page, hao)).to_have_text(SUBSTITUTED_CHAR)
    chi = item(result, "unclear")
    expect(chi).to_have_class("item flagged unclear")
    expect(chi.locator(".flag .icon")).to_have_text("?")
    expect(chi.locator(".flag-text")).to_have_text("聲調不清")
    expect(heard(page, chi)).to_have_text("吃 第二聲「ㄔˊ」")
    expect(heard(page, item(result, "wrong_tone"))).to_have_text("今 第四聲「ㄐㄧㄣˋ」")
    expect(heard(page, item(result, "missing"))).to_have_text("沒聽到")
    expect(result.locator("[data-legend=unclear]")).to_have_text("?聲調不清")
    expect(result.locator("[data-legend=extra]")).to_have_count(0)  # no inserted syllable
    na = result.locator("[data-intelligibility=not_assessed]")
    expect(na).to_contain_text("清晰度")
    expect(na.locator(".score-reason")).to_have_text("未評估：聽辨模型的結果不可靠，無法評估清晰度")
    screenshot(page, "web-result-heard-zh.png")

    # phone size: the notes under the syllables do not widen the page
    page.set_viewport_size({"width": 360, "height": 780})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    assert not web.errors, web.errors
