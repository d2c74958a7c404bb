"""Mandarin: per character, what the listener heard and the tone; content; syllable rhythm.

What was said comes from the second listener (`hearing.Listened`, compared by toneless pinyin);
the tone from the F0 contour on the speaker's own range. The status of each character follows
the one rule of `verdict.py`. Whether a different sentence was read is decided by the listener;
the MFCC+DTW match against the reference remains only as a fallback when the listener cannot
judge. Segmental (consonant/vowel) accuracy needs a Mandarin acoustic model, which no wheel or
Debian package ships; it is reported as not assessed rather than guessed (the listener hears
whole characters, not which consonant or vowel went wrong).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vocalborn.analyzer import constants as C
from vocalborn.analyzer import verdict
from vocalborn.analyzer.content import content_match, dtw_distance, mfcc_features
from vocalborn.analyzer.hearing import Listened
from vocalborn.analyzer.pinyin import Syllable, expected_syllables, spelled_fields
from vocalborn.analyzer.praat import Frontend, fnum
from vocalborn.analyzer.rhythm import mandarin_rhythm
from vocalborn.analyzer.segment import segment_syllables
from vocalborn.analyzer.timing import Timing
from vocalborn.analyzer.tones import (
    classify,
    most_likely,
    reference_similarity,
    speaker_scale,
    syllable_shape,
    tone_probs,
)
from vocalborn.analyzer.types import bilingual

SEGMENTAL_REASON = bilingual(
    "沒有可離線使用的華語聲學模型，所以不評分聲母和韻母；聲調和句子內容有評分",
    "no offline Mandarin acoustic model is available, so consonants and vowels are not scored; "
    "tones and which characters were heard are",
)
TONE_NAMES_ZH = {1: "第一聲", 2: "第二聲", 3: "第三聲", 4: "第四聲", 5: "輕聲"}


@dataclass(frozen=True)
class MandarinProfile:
    """What is kept of one recording of the sentence (the reference's is cached)."""

    segments: list[tuple[float, float]]
    shapes: list[list[float] | None]
    chao: list[list[float] | None]
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
        chao=[r.chao for r in results],
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


def _item(
    i: int, syl: Syllable, learner: MandarinProfile, ref: MandarinProfile | None, heard: Any
) -> dict[str, Any]:
    start, end = learner.segments[i]
    ref_shape = ref.shapes[i] if ref is not None and ref.segments else None
    sim = reference_similarity(learner.shapes[i], ref_shape)
    probs, heard_tone = learner.probs[i], learner.heard[i]
    ref_chao = ref.chao[i] if ref is not None and ref.segments else None
    if ref_chao is not None and learner.chao[i] is not None and syl.tone != 5:
        # The reference speaker's contour of this syllable is one more shape of its tone.
        probs = tone_probs(learner.chao[i] or [], {str(syl.tone): ref_chao})
        heard_tone = most_likely(probs)
    score = _tone_score(syl, probs, sim)
    tone_heard = int(heard_tone) if heard_tone else None
    tone = verdict.tone_status(syl.tone, syl.accepted, tone_heard, score)
    said = heard.said if heard is not None else None
    return {
        "index": i + 1,
        "label": syl.char,
        "pinyin": syl.label,
        "start": fnum(start),
        "end": fnum(end),
        "score": score,
        "tone_expected": syl.tone,
        "tones_accepted": sorted(syl.accepted),
        "tone_heard": tone_heard,
        "tone_status": tone,
        "reference_similarity": sim,
        "heard": heard.heard if heard is not None else None,
        "said": said,
        "status": verdict.syllable_status(tone, said),
        **spelled_fields(syl, tone_heard),
    }


def analyse(
    text: str, learner: MandarinProfile, ref: MandarinProfile | None, listened: Listened
) -> dict[str, Any]:
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
    verdicts = listened.verdicts.verdicts if listened.verdicts is not None else None
    items = [
        _item(i, syl, learner, ref, verdicts[i] if verdicts else None)
        for i, syl in enumerate(syllables)
    ]
    tone_scores = [it["score"] for it in items if it["score"] is not None]
    if listened.verdicts is not None:
        match: float | None = round(100.0 * listened.verdicts.recognised, 1)
        basis = "listener"
    else:
        match, basis = None, "reference"
        if ref is not None and ref.mfcc.shape[0] > 1 and learner.mfcc.shape[0] > 1:
            match = round(content_match(dtw_distance(learner.mfcc, ref.mfcc)), 1)
    score = verdict.sentence_score(items)
    return {
        "items": items,
        "tone_accuracy": score,
        "tones_correct": sum(it["tone_status"] == "ok" for it in items if it["score"] is not None),
        "tones_assessed": len(tone_scores),
        "content_match": match,
        "content_basis": basis,
        "different_sentence": match is not None and match < C.CONTENT_MATCH_MIN,
        "reason": None
        if score is not None
        else bilingual(
            "沒有一個音節的濁音足以判斷聲調", "no syllable had enough voicing to read its tone"
        ),
    }
