"""Per-language pronunciation parts of a report, in one shape the analyser assembles.

A `Part` holds the pronunciation score (or the reason it is None), the items for
`sentence_analyses`, `phoneme_analysis`, rhythm metrics and the facts feedback rules read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vocalborn.analyzer import constants as C
from vocalborn.analyzer import mandarin, verdict
from vocalborn.analyzer.english import EnglishResult, EnglishScorer, normalise_words
from vocalborn.analyzer.hearing import Listened
from vocalborn.analyzer.praat import fnum
from vocalborn.analyzer.rhythm import ARPABET_VOWELS, english_rhythm
from vocalborn.analyzer.types import Localized, bilingual

NOT_HEARD = bilingual("聽辨模型無法判斷說了什麼", "the listener could not tell what was said")


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


def with_reference_times(
    items: list[dict[str, Any]], spans: list[tuple[float, float]] | None
) -> list[dict[str, Any]]:
    """Each expected unit (not the inserted "extra" ones) with the time span of the same unit in
    the reference recording, `reference_start`/`reference_end` (None when there is no reference
    or its units do not pair one to one with these), so the page can time-align the learner's
    pitch curve to the reference's unit by unit. Pure: returns new dicts."""
    units = [k for k, it in enumerate(items) if it.get("status") != "extra"]
    paired = spans is not None and len(spans) == len(units)
    out = [dict(it, reference_start=None, reference_end=None) for it in items]
    if paired and spans is not None:
        for k, (start, end) in zip(units, spans, strict=True):
            out[k]["reference_start"] = fnum(start)
            out[k]["reference_end"] = fnum(end)
    return out


def run_english(scorer: EnglishScorer, text: str, pcm: bytes) -> EnglishResult:
    words = normalise_words(text)
    unknown = scorer.oov(words)
    if unknown:
        listed = ", ".join(unknown)
        reason = bilingual(
            f"發音字典裡沒有這些字：{listed}",
            f"words not in the pronunciation dictionary: {listed}",
        )
        return EnglishResult([], [], reason)
    return scorer.score(words, pcm)


def _word_items(result: EnglishResult, expected: list[str], listened: Listened) -> list[dict]:
    """One item per expected word (in order): GOP timing and score when the alignment worked,
    what the listener heard, and the status by the one rule; inserted words in place."""
    verdicts = listened.verdicts.verdicts if listened.verdicts is not None else None
    aligned = {i: w for i, w in enumerate(result.words)} if result.words else {}
    items: list[dict[str, Any]] = []
    for i, word in enumerate(expected):
        w = aligned.get(i)
        heard = verdicts[i] if verdicts else None
        gop = w.status if w is not None else "not_assessed"
        items.append(
            {
                "word": word,
                "start": round(w.start, 2) if w is not None else None,
                "end": round(w.end, 2) if w is not None else None,
                "score": w.score if w is not None else None,
                "gop_status": gop,
                "heard": heard.heard if heard is not None else None,
                "said": heard.said if heard is not None else None,
                "status": verdict.word_status(gop, heard.said if heard is not None else None),
            }
        )
    if listened.verdicts is not None:
        for pos, word in reversed(listened.verdicts.inserted):
            extra = {"word": None, "heard": word, "score": None, "status": "extra"}
            items.insert(_index_of_word(items, pos), dict(extra, start=None, end=None))
    else:
        for e in result.extra:  # the phone loop heard speech between aligned words
            extra = {"word": None, "heard": None, "score": None, "status": "extra"}
            items.append(dict(extra, start=e["start"], end=e["end"]))
        items.sort(key=lambda it: float(it["start"]) if it["start"] is not None else 0.0)
    return items


def _index_of_word(items: list[dict[str, Any]], words_before: int) -> int:
    """Index in `items` after the first `words_before` expected words."""
    seen = 0
    for k, it in enumerate(items):
        if seen == words_before:
            return k
        seen += it["status"] != "extra"
    return len(items)


def english_part(
    text: str, result: EnglishResult, ref: EnglishResult | None, listened: Listened
) -> Part:
    expected = normalise_words(text)
    ref_spans = [(w.start, w.end) for w in ref.words] if ref is not None and ref.words else None
    items = with_reference_times(_word_items(result, expected, listened), ref_spans)
    words = [it for it in items if it["status"] != "extra"]
    inserted = len(items) - len(words)
    phones_of = {i: w.phones for i, w in enumerate(result.words)}
    phonemes = [
        {
            "label": p.label,
            "start": round(p.start, 2),
            "end": round(p.end, 2),
            "score": p.score,
            "gop": p.gop,
            "word": words[i]["word"],
        }
        for i, phones in phones_of.items()
        for p in phones
    ]
    for i, phones in phones_of.items():
        words[i]["weak_sounds"] = [p.label for p in phones if p.score < C.WORD_OK_SCORE]
    # Without an alignment, scores rest on nothing acoustic: the reason says why.
    score = verdict.sentence_score(items, inserted) if result.words else None
    said = sum(it["status"] != "missing" for it in words)
    rhythm = english_rhythm(english_phone_track(result)) if result.words else {}
    ref_rhythm = english_rhythm(english_phone_track(ref)) if ref and ref.words else None
    extra_not_assessed = {}
    if listened.verdicts is None and listened.reason is not None:
        extra_not_assessed["heard_words"] = listened.reason
    return Part(
        score=score,
        reason=result.reason,
        items=items,
        phonemes=phonemes,
        completeness=round(said / len(words), 3) if words and result.words else None,
        rhythm=rhythm,
        facts={
            "words": words,
            "extra": [it for it in items if it["status"] == "extra"],
            "ref_rhythm": ref_rhythm,
        },
        extra_not_assessed=extra_not_assessed,
    )


def mandarin_part(
    text: str,
    learner: mandarin.MandarinProfile,
    ref: mandarin.MandarinProfile | None,
    nuclei: int,
    listened: Listened,
) -> Part:
    res = mandarin.analyse(text, learner, ref, listened)
    ref_spans = ref.segments if ref is not None and ref.segments else None
    items = with_reference_times(res["items"], ref_spans)
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
    if listened.verdicts is None:
        extra["heard_characters"] = listened.reason or NOT_HEARD
        if ref is None:
            extra["content_match"] = bilingual(
                "沒有參考錄音，無法比對句子內容",
                "no reference recording to compare the content with",
            )
        completeness = round(min(1.0, nuclei / n), 3) if n else None
    else:
        completeness = round(sum(it["status"] != "missing" for it in items) / n, 3) if n else None
    return Part(
        score=score,
        reason=reason,
        items=items,
        phonemes=phonemes,
        completeness=completeness,
        rhythm=learner.rhythm if learner.segments else {},
        facts={
            "syllables": items,
            "different_sentence": res.get("different_sentence", False),
            "content_match": res.get("content_match"),
            "content_basis": res.get("content_basis"),
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
