"""Run the second listener on one recording and compare what it heard with the sentence.

`listen` returns a `Listened`: per-unit verdicts for the statuses (English: the unprompted
transcript, since a prompt makes Whisper echo the sentence; Mandarin: the decode prompted with
the sentence, whose verdicts are used only to *flag* what it still hears wrong, never to claim a
character was verified), the unprompted comparison for intelligibility, and the texts heard.
When the listener is missing, broken or heard no speech, `reason` says why and every
listener-based verdict is not assessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vocalborn.analyzer.compare import Comparison, compare_english, compare_mandarin, traditional
from vocalborn.analyzer.english import normalise_words
from vocalborn.analyzer.listener import Heard, Listener
from vocalborn.analyzer.pinyin import hanzi
from vocalborn.analyzer.types import Localized, bilingual


@dataclass(frozen=True)
class Listened:
    verdicts: Comparison | None  # what the statuses rest on
    free: Comparison | None  # the unprompted decode, for intelligibility
    free_text: str | None
    prompted_text: str | None
    reason: Localized | None = None  # why `verdicts` is None
    free_reason: Localized | None = None  # why `free` is None

    @property
    def heard_share(self) -> float | None:
        return None if self.free is None else self.free.recognised


def unavailable(reason: Localized) -> Listened:
    return Listened(None, None, None, None, reason, reason)


def _compare(heard: Heard | None, units: list[str], language: str) -> Comparison | None:
    if heard is None or heard.rejected is not None:
        return None
    if language == "en":
        return compare_english(units, heard.text)
    return compare_mandarin(units, heard.text)


def _shown(heard: Heard | None, language: str) -> str | None:
    if heard is None or heard.rejected is not None:
        return None
    return traditional(heard.text) if language == "zh-TW" else heard.text


def listen(listener: Listener, samples: np.ndarray, text: str, language: str) -> Listened:
    units = normalise_words(text) if language == "en" else hanzi(text)
    if not units:
        return unavailable(bilingual("句子裡沒有可比對的字", "the sentence has nothing to compare"))
    hearing = listener.hear(samples, language, text, len(units), prompt=language != "en")
    if hearing.reason is not None:
        return unavailable(hearing.reason)
    free = _compare(hearing.free, units, language)
    guided = _compare(hearing.prompted, units, language) if language != "en" else free
    reason = None
    if guided is None:
        rejected = hearing.prompted if language != "en" else hearing.free
        reason = rejected.rejected if rejected is not None else None
    return Listened(
        guided,
        free,
        _shown(hearing.free, language),
        _shown(hearing.prompted, language),
        reason,
        hearing.free.rejected if hearing.free is not None else None,
    )


def intelligibility(
    learner: Listened, reference_share: float | None, language: str, has_reference: bool
) -> tuple[dict[str, Any] | None, Localized | None]:
    """0..100 share of the target an unprompted listener recognised; for Mandarin relative to
    the reference recording's own share (the listener's ear for this sentence and this kind
    of speech), when there is a reference."""
    if learner.free is None:
        return None, learner.free_reason or bilingual(
            "聽辨模型的結果不可靠，無法評估清晰度",
            "the listener's transcript was unreliable; intelligibility not assessed",
        )
    share = learner.free.recognised
    unit_zh, unit_en = ("字", "characters") if language == "zh-TW" else ("詞", "words")
    basis = bilingual(
        f"不提示句子時，聽辨模型聽懂的目標{unit_zh}比例",
        f"share of the target {unit_en} a listener recognised without being told the sentence",
    )
    if language == "zh-TW" and has_reference:
        if not reference_share:
            return None, bilingual(
                "聽辨模型連參考錄音都聽不懂，無法評估清晰度",
                "the listener could not recognise the reference recording either; "
                "intelligibility not assessed",
            )
        score = min(100.0, 100.0 * share / reference_share)
        basis = bilingual(
            basis["zh-TW"] + f"，相對於參考錄音的 {100 * reference_share:.0f}%",
            basis["en"] + f", relative to the reference recording's {100 * reference_share:.0f}%",
        )
    else:
        score = 100.0 * share
    return {
        "score": round(score, 1),
        "recognised": round(share, 3),
        "reference_recognised": None if reference_share is None else round(reference_share, 3),
        "basis": basis,
        "heard": learner.free_text,
    }, None
