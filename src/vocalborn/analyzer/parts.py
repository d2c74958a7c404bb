"""Per-language pronunciation parts of a report, in one shape the analyser assembles.

A `Part` holds the pronunciation score (or the reason it is None), the items for
`sentence_analyses`, `phoneme_analysis`, rhythm metrics and the facts feedback rules read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vocalborn.analyzer import constants as C
from vocalborn.analyzer import mandarin
from vocalborn.analyzer.english import EnglishResult, EnglishScorer, normalise_words
from vocalborn.analyzer.rhythm import ARPABET_VOWELS, english_rhythm
from vocalborn.analyzer.types import Localized, bilingual


@dataclass
class Part:
    score: float | None
    reason: Localized | None
    items: list[dict[str, Any]]
    phonemes: list[dict[str, Any]]
    completeness: float | None
    rhythm: dict[str, float | None]
    facts: dict[str, Any] = field(default_factory=dict)
    extra_not_assessed: dict[str, Localized] = field(default_factory=dict)


def english_phone_track(result: EnglishResult) -> list[tuple[str, float, float]]:
    """Aligned phones in order with "SIL" where words are separated by silence."""
    track: list[tuple[str, float, float]] = []
    last_end: float | None = None
    for w in result.words:
        if w.status == "missing":
            continue
        if last_end is not None and w.start - last_end > 0.02:
            track.append(("SIL", last_end, w.start))
        track += [(p.label, p.start, p.end) for p in w.phones]
        last_end = w.end
    return track


def syllable_count(
    english: EnglishResult | None, profile: mandarin.MandarinProfile | None
) -> int | None:
    """Syllables actually read, from the text: vowels of the aligned words that were said
    (English) or segmented characters (Mandarin). None -> the de Jong nucleus count is used;
    nuclei merge in fast speech, the text does not."""
    if english is not None and english.words:
        return sum(
            p.label in ARPABET_VOWELS
            for w in english.words
            if w.status != "missing"
            for p in w.phones
        )
    if profile is not None and profile.segments:
        return len(profile.segments)
    return None


def run_english(scorer: EnglishScorer, text: str, pcm: bytes) -> EnglishResult:
    words = normalise_words(text)
    unknown = scorer.oov(words)
    if unknown:
        listed = ", ".join(unknown)
        reason = bilingual(
            f"發音字典裡沒有這些字：{listed}",
            f"words not in the pronunciation dictionary: {listed}",
        )
        return EnglishResult([], [], 0.0, None, reason)
    return scorer.score(words, pcm)


def english_part(result: EnglishResult, ref: EnglishResult | None) -> Part:
    words: list[dict[str, Any]] = [
        {
            "word": w.word,
            "start": round(w.start, 2),
            "end": round(w.end, 2),
            "score": w.score,
            "status": w.status,
            "phones": [
                {
                    "label": p.label,
                    "start": round(p.start, 2),
                    "end": round(p.end, 2),
                    "score": p.score,
                    "gop": p.gop,
                }
                for p in w.phones
            ],
        }
        for w in result.words
    ]
    items: list[dict[str, Any]] = [{k: v for k, v in w.items() if k != "phones"} for w in words]
    items += [
        {
            "word": None,
            "start": e["start"],
            "end": e["end"],
            "score": None,
            "status": "extra",
            "heard_phones": e["phones"],
        }
        for e in result.extra
    ]
    items.sort(key=lambda it: float(it["start"]))
    phonemes = [{**p, "word": w["word"]} for w in words for p in w["phones"]]
    rhythm = english_rhythm(english_phone_track(result)) if result.words else {}
    ref_rhythm = english_rhythm(english_phone_track(ref)) if ref and ref.words else None
    return Part(
        score=result.score,
        reason=result.reason,
        items=items,
        phonemes=phonemes,
        completeness=round(result.completeness, 3) if result.words else None,
        rhythm=rhythm,
        facts={"words": words, "extra": result.extra, "ref_rhythm": ref_rhythm},
    )


def mandarin_part(
    text: str,
    learner: mandarin.MandarinProfile,
    ref: mandarin.MandarinProfile | None,
    nuclei: int,
) -> Part:
    res = mandarin.analyse(text, learner, ref)
    items = res["items"]
    score = res["tone_accuracy"]
    reason = res["reason"]
    if score is not None and res.get("different_sentence"):
        # Tones of a different sentence say nothing about this one.
        score = min(score, res["content_match"])
    phonemes = [
        {
            k: it[k]
            for k in (
                "label",
                "pinyin",
                "start",
                "end",
                "score",
                "tone_expected",
                "tone_heard",
                "reference_similarity",
            )
        }
        for it in items
    ]
    n = len(items)
    extra = {"segmental_accuracy": mandarin.SEGMENTAL_REASON}
    if ref is None:
        extra["content_match"] = bilingual(
            "沒有參考錄音，無法比對句子內容", "no reference recording to compare the content with"
        )
    return Part(
        score=score,
        reason=reason,
        items=items,
        phonemes=phonemes,
        completeness=round(min(1.0, nuclei / n), 3) if n else None,
        rhythm=learner.rhythm if learner.segments else {},
        facts={
            "syllables": items,
            "different_sentence": res.get("different_sentence", False),
            "content_match": res.get("content_match"),
            "tones_correct": res.get("tones_correct"),
            "tones_assessed": res.get("tones_assessed"),
            "ref_rhythm": ref.rhythm if ref is not None and ref.segments else None,
        },
        extra_not_assessed=extra,
    )


def rhythm_targets(part: Part, language: str) -> tuple[dict[str, Any], str]:
    ref = part.facts.get("ref_rhythm")
    if ref:
        return ref, "reference"
    return dict(C.NORM_RHYTHM[language]), "norms"
