"""A test analyser for the page: it sleeps through sub-steps like `SleepyAnalyser` (so the
progress bar visibly moves) and answers with a report shaped like the offline analyser's
(per-syllable items with tone results, learner and reference pitch contours, bilingual
suggestions and improvement areas), so every part of the result view has something to show.

The page submits without test instructions, so this analyser supplies its own pace.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from tests.support.analysers import SleepyAnalyser
from vocalborn.analysis.errors import AudioFileError
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


def syllables(text: str) -> list[dict[str, Any]]:
    pattern = [
        ("ok", 92.0, 3, 3),
        ("wrong_tone", 41.0, 2, 4),
        ("ok", 68.0, 4, 4),
        ("not_assessed", None, 5, None),
    ]
    items = []
    for i, char in enumerate(c for c in text if not c.isspace()):
        status, score, expected, heard = pattern[i % len(pattern)]
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
                "tone_heard": heard,
                "reference_similarity": None,
                "status": status,
            }
        )
    return items


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
        return replace(
            base,
            overall_score=72.4,
            pronunciation_accuracy=None,
            fluency_score=85.0,
            rhythm_score=55.5,
            detailed_analysis={**base.detailed_analysis, "pitch_analysis": pitch},
            sentence_analyses=[
                {
                    "text": request.text,
                    "language": request.language,
                    "items": syllables(request.text),
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
            improvement_areas=[
                {"area": "rhythm", "zh-TW": "節奏", "en": "Rhythm", "score": 55.5},
                {"area": "tones", "zh-TW": "聲調", "en": "Tones", "score": 66.0},
            ],
            analysis_model_version="rich-sleepy-test-1",
            not_assessed={
                "pronunciation_accuracy": {
                    "zh-TW": "聲母韻母的評分需要華語聲學模型",
                    "en": "segmental accuracy needs a Mandarin acoustic model",
                },
                "segmental_accuracy": {
                    "zh-TW": "沒有可離線使用的華語聲學模型",
                    "en": "no offline Mandarin acoustic model",
                },
            },
        )
