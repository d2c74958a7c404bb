"""A test analyser for the page: it sleeps through sub-steps like `SleepyAnalyser` (so the
progress bar visibly moves) and answers with a report shaped like the offline analyser's
(per-syllable or per-word items with tone results and what the second listener heard, inserted
words, learner and reference pitch contours, intelligibility, bilingual suggestions and
improvement areas), so every part of the result view has something to show.

Items cycle through fixed patterns, so a test knows each unit's status from its position.
Intelligibility is scored for English and for Mandarin with a reference recording; Mandarin
without one shows the not-assessed shape (the real analyser gives that when its listener's
transcript is unreliable).

The page submits without test instructions, so this analyser supplies its own pace.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from tests.support.analysers import SleepyAnalyser
from vocalborn.analyzer.errors import AudioFileError
from vocalborn.analyzer.types import AnalysisReport, AnalysisRequest, ProgressCallback

PACE = {"sleep": 4.0, "steps": 8}
# A sentence whose text contains this fails with a file error (not retried), after one sub-step.
FAIL_MARK = "(fail)"
FAIL_MESSAGE = "No speech was found in the recording; record the sentence again."


def contour(seconds: float, base_hz: float, swing_hz: float, points: int = 80) -> dict[str, Any]:
    times: list[float] = []
    f0: list[float | None] = []
    for i in range(points):
        t = seconds * i / (points - 1)
        times.append(round(t, 3))
        voiced = not (0.45 < t / seconds < 0.5)  # a short unvoiced gap, drawn as a break
        hz = base_hz + swing_hz * math.sin(2 * math.pi * t / seconds)
        f0.append(round(hz, 1) if voiced else None)
    return {"times": times, "f0_hz": f0}


# (status, score, tone expected, tone heard, character heard or None for "same", said)
SYLLABLES = [
    ("ok", 92.0, 3, 3, None, "same"),
    ("wrong_tone", 41.0, 2, 4, None, "same"),
    ("ok", 68.0, 4, 4, None, "same"),
    ("not_assessed", None, 5, None, None, None),
    ("substituted", 0.0, 3, 3, "草", "substituted"),
    ("unclear", 55.0, 1, 2, None, "same"),
    ("missing", 0.0, 4, None, "", "missing"),
]
SUBSTITUTED_CHAR = "草"
# (status, gop status, word heard or None for "same", said); an inserted word follows word 2.
WORDS = [
    ("ok", "ok", None, "same"),
    ("substituted", "ok", "cold", "substituted"),
    ("ok", "ok", None, "same"),
    ("missing", "missing", "", "missing"),
    ("mispronounced", "mispronounced", None, "same"),
]
SUBSTITUTED_WORD = "cold"
INSERTED_WORD = "really"
WEAK_SOUNDS = ["DH", "AH"]  # ARPAbet: kept in the report, never shown on the page
INTELLIGIBILITY = 64.0


def syllables(text: str) -> list[dict[str, Any]]:
    items = []
    for i, char in enumerate(c for c in text if not c.isspace()):
        status, score, expected, tone, heard, said = SYLLABLES[i % len(SYLLABLES)]
        tone_status = status if status in ("ok", "wrong_tone", "unclear", "not_assessed") else "ok"
        items.append(
            {
                "index": i + 1,
                "label": char,
                "pinyin": f"syl{expected}",
                "start": round(0.3 * i, 2),
                "end": round(0.3 * i + 0.25, 2),
                "score": score,
                "tone_expected": expected,
                "tones_accepted": [expected],
                "tone_heard": tone,
                "tone_status": tone_status,
                "reference_similarity": None,
                "heard": char if heard is None else heard or None,
                "said": said,
                "status": status,
            }
        )
    return items


def words(text: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for i, word in enumerate(text.split()):
        status, gop, heard, said = WORDS[i % len(WORDS)]
        timed = status != "missing"
        item: dict[str, Any] = {
            "word": word,
            "start": round(0.4 * i, 2) if timed else None,
            "end": round(0.4 * i + 0.3, 2) if timed else None,
            "score": {"ok": 88.0, "mispronounced": 48.0, "missing": None}.get(gop, 88.0),
            "gop_status": gop,
            "heard": word.lower() if heard is None else heard or None,
            "said": said,
            "status": status,
        }
        if gop != "missing":
            item["weak_sounds"] = WEAK_SOUNDS if status == "mispronounced" else []
        items.append(item)
        if i == 2:
            extra = {"word": None, "heard": INSERTED_WORD, "score": None, "status": "extra"}
            items.append(dict(extra, start=1.1, end=1.3))
    return items


def intelligibility(
    items: list[dict[str, Any]], language: str, reference: bool
) -> tuple[dict[str, Any] | None, Any]:
    """(detailed_analysis.intelligibility, not_assessed.intelligibility or None); the
    transcript is what the items say was heard."""
    if language == "zh-TW" and not reference:
        return None, {
            "zh-TW": "聽辨模型的結果不可靠，無法評估清晰度",
            "en": "the listener's transcript was unreliable; intelligibility not assessed",
        }
    unit_zh, unit_en = ("字", "characters") if language == "zh-TW" else ("詞", "words")
    return {
        "score": INTELLIGIBILITY,
        "recognised": INTELLIGIBILITY / 100,
        "reference_recognised": 1.0 if reference else None,
        "basis": {
            "zh-TW": f"不提示句子時，聽辨模型聽懂的目標{unit_zh}比例",
            "en": f"share of the target {unit_en} a listener recognised without being told "
            "the sentence",
        },
        "heard": (" " if language == "en" else "").join(it["heard"] for it in items if it["heard"]),
    }, None


class RichSleepyAnalyser(SleepyAnalyser):
    name = "rich-sleepy-test-analyser"

    def analyse(self, request: AnalysisRequest, progress: ProgressCallback) -> AnalysisReport:
        if FAIL_MARK in request.text:
            progress("looking for speech", 0.2)
            raise AudioFileError(FAIL_MESSAGE)
        params = dict(request.parameters)
        params.setdefault("test", dict(PACE))
        base = super().analyse(replace(request, parameters=params), progress)
        reference = request.reference_audio_path is not None
        pitch: dict[str, Any] = {
            "f0_median_hz": 210.0,
            "f0_range_st": 6.5,
            "contour": contour(1.6, 210.0, 40.0),
            "reference": {"f0_median_hz": 190.0, "contour": contour(1.8, 190.0, 55.0)}
            if reference
            else None,
        }
        english = request.language == "en"
        items = words(request.text) if english else syllables(request.text)
        heard, heard_reason = intelligibility(items, request.language, reference)
        not_assessed: dict[str, Any] = {
            "pronunciation_accuracy": {
                "zh-TW": "聲母韻母的評分需要華語聲學模型",
                "en": "segmental accuracy needs a Mandarin acoustic model",
            },
            "segmental_accuracy": {
                "zh-TW": "沒有可離線使用的華語聲學模型",
                "en": "no offline Mandarin acoustic model",
            },
        }
        if heard_reason:
            not_assessed["intelligibility"] = heard_reason
        areas = [
            {"area": "rhythm", "zh-TW": "節奏", "en": "Rhythm", "score": 55.5},
            {"area": "tones", "zh-TW": "聲調", "en": "Tones", "score": 66.0},
        ]
        if english:
            areas.append(
                {
                    "area": "intelligibility",
                    "zh-TW": "清晰度",
                    "en": "Being understood",
                    "score": INTELLIGIBILITY,
                }
            )
        listener = {
            "model": "whisper-test",
            "heard": heard["heard"] if heard else None,
            "heard_prompted": heard["heard"] if heard else None,
        }
        return replace(
            base,
            overall_score=72.4,
            pronunciation_accuracy=None,
            fluency_score=85.0,
            rhythm_score=55.5,
            detailed_analysis={
                **base.detailed_analysis,
                "pitch_analysis": pitch,
                "intelligibility": heard,
                "listener": listener,
            },
            sentence_analyses=[
                {
                    "text": request.text,
                    "language": request.language,
                    "items": items,
                    "completeness": 1.0,
                }
            ],
            suggestions=[
                {
                    "zh-TW": "第2個字的聲調應為第二聲",
                    "en": "Syllable 2 should be tone 2",
                    "area": "tones",
                },
                {"zh-TW": "請放慢速度", "en": "Slow down a little", "area": "fluency"},
            ],
            improvement_areas=areas,
            analysis_model_version="rich-sleepy-test-1",
            not_assessed=not_assessed,
        )
