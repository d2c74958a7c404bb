"""Mandarin: tone accuracy per syllable, content match against the reference, syllable rhythm.

Segmental (consonant/vowel) accuracy needs a Mandarin acoustic model, which no wheel or Debian
package ships; it is reported as not assessed rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vocalborn.analyzer import constants as C
from vocalborn.analyzer.content import content_match, dtw_distance, mfcc_features
from vocalborn.analyzer.pinyin import Syllable, expected_syllables
from vocalborn.analyzer.praat import Frontend, fnum
from vocalborn.analyzer.rhythm import mandarin_rhythm
from vocalborn.analyzer.segment import segment_syllables
from vocalborn.analyzer.timing import Timing
from vocalborn.analyzer.tones import classify, reference_similarity, speaker_scale, syllable_shape
from vocalborn.analyzer.types import bilingual

SEGMENTAL_REASON = bilingual(
    "沒有可離線使用的華語聲學模型，所以不評分聲母和韻母；聲調和句子內容有評分",
    "no offline Mandarin acoustic model is available, so consonants and vowels are not scored; "
    "tones and content match are",
)
TONE_NAMES_ZH = {1: "第一聲", 2: "第二聲", 3: "第三聲", 4: "第四聲", 5: "輕聲"}


@dataclass(frozen=True)
class MandarinProfile:
    """What is kept of one recording of the sentence (the reference's is cached)."""

    segments: list[tuple[float, float]]
    shapes: list[list[float] | None]
    heard: list[str | None]
    probs: list[dict[str, float]]
    mfcc: np.ndarray
    rhythm: dict[str, float | None]


def profile(text: str, front: Frontend, timing: Timing) -> MandarinProfile:
    syllables = expected_syllables(text)
    segments = segment_syllables(front, timing, len(syllables))
    scale = speaker_scale(front.f0_hz)
    results = [
        classify(syllable_shape(front.f0_times, front.f0_hz, s, e), scale) for s, e in segments
    ]
    start, end = timing.span
    return MandarinProfile(
        segments=segments,
        shapes=[r.shape for r in results],
        heard=[r.heard for r in results],
        probs=[r.probs for r in results],
        mfcc=mfcc_features(front.sound, start, end),
        rhythm=mandarin_rhythm(segments),
    )


def _tone_score(syl: Syllable, probs: dict[str, float], ref_sim: float | None) -> float | None:
    if syl.tone == 5 or not probs:
        return None
    # Relative to the most likely tone: 100 when the expected tone is the one heard.
    template = 100.0 * max(probs.get(str(t), 0.0) for t in syl.accepted) / max(probs.values())
    return round(max(template, ref_sim) if ref_sim is not None else template, 1)


def analyse(text: str, learner: MandarinProfile, ref: MandarinProfile | None) -> dict[str, Any]:
    syllables = expected_syllables(text)
    if not syllables:
        return {
            "items": [],
            "tone_accuracy": None,
            "reason": bilingual("句子裡沒有中文字", "the sentence has no Chinese characters"),
        }
    if not learner.segments:
        return {
            "items": [],
            "tone_accuracy": None,
            "reason": bilingual(
                "說話的部分太少，找不到句子的音節",
                "too little speech to find the sentence's syllables",
            ),
        }
    items: list[dict[str, Any]] = []
    for i, syl in enumerate(syllables):
        start, end = learner.segments[i]
        ref_shape = ref.shapes[i] if ref is not None and ref.segments else None
        sim = reference_similarity(learner.shapes[i], ref_shape)
        score = _tone_score(syl, learner.probs[i], sim)
        heard = learner.heard[i]
        if syl.tone == 5:
            status = "ok"
        elif score is None:
            status = "not_assessed"
        else:
            status = "ok" if score >= C.TONE_OK_PROB * 100 else "wrong_tone"
        items.append(
            {
                "index": i + 1,
                "label": syl.char,
                "pinyin": syl.label,
                "start": fnum(start),
                "end": fnum(end),
                "score": score,
                "tone_expected": syl.tone,
                "tones_accepted": sorted(syl.accepted),
                "tone_heard": int(heard) if heard else None,
                "reference_similarity": sim,
                "status": status,
            }
        )
    scored = [it["score"] for it in items if it["score"] is not None]
    match = None
    if ref is not None and ref.mfcc.shape[0] > 1 and learner.mfcc.shape[0] > 1:
        match = round(content_match(dtw_distance(learner.mfcc, ref.mfcc)), 1)
    return {
        "items": items,
        "tone_accuracy": round(float(np.mean(scored)), 1) if scored else None,
        "tones_correct": sum(it["status"] == "ok" for it in items if it["score"] is not None),
        "tones_assessed": len(scored),
        "content_match": match,
        "different_sentence": match is not None and match < C.CONTENT_MATCH_MIN,
        "reason": None
        if scored
        else bilingual(
            "沒有一個音節的濁音足以判斷聲調", "no syllable had enough voicing to read its tone"
        ),
    }
