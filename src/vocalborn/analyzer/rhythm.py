"""Rhythm metrics: nPVI, Varco and %V (Grabe & Low 2002; Ramus et al. 1999; Dellwo 2006).

English uses vocalic and consonantal intervals from the phone alignment; Mandarin, with no
phone alignment, uses syllable durations (a syllable-timed language's syllables are even).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vocalborn.analyzer import constants as C
from vocalborn.analyzer.praat import fnum
from vocalborn.analyzer.types import Localized, bilingual

ARPABET_VOWELS = frozenset(
    ["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"]
)


def npvi(durations: Sequence[float]) -> float | None:
    d = np.asarray(durations, dtype=float)
    if d.size < 2:
        return None
    pairs = np.abs(np.diff(d)) / ((d[:-1] + d[1:]) / 2)
    return float(100.0 * pairs.mean())


def varco(durations: Sequence[float]) -> float | None:
    d = np.asarray(durations, dtype=float)
    if d.size < 2 or d.mean() <= 0:
        return None
    return float(100.0 * d.std() / d.mean())


def intervals(phones: Sequence[tuple[str, float, float]]) -> tuple[list[float], list[float]]:
    """Merge runs of vowels and of consonants (silences break runs) into interval durations."""
    vowels: list[float] = []
    consonants: list[float] = []
    kind: str | None = None
    for label, start, end in phones:
        k = "V" if label in ARPABET_VOWELS else ("S" if label == "SIL" else "C")
        if k == "S":
            kind = None
            continue
        target = vowels if k == "V" else consonants
        if k == kind:
            target[-1] += end - start
        else:
            target.append(end - start)
        kind = k
    return vowels, consonants


def english_rhythm(phones: Sequence[tuple[str, float, float]]) -> dict[str, float | None]:
    v, c = intervals(phones)
    total = sum(v) + sum(c)
    if len(v) < C.MIN_RHYTHM_VOWELS:
        return {"npvi_v": None, "varco_v": None, "percent_v": None}
    return {
        "npvi_v": fnum(npvi(v), 2),
        "varco_v": fnum(varco(v), 2),
        "percent_v": fnum(100.0 * sum(v) / total, 2) if total > 0 else None,
    }


def mandarin_rhythm(syllables: Sequence[tuple[float, float]]) -> dict[str, float | None]:
    d = [e - s for s, e in syllables]
    if len(d) < C.MIN_RHYTHM_SYLLABLES:
        return {"npvi_syllable": None, "varco_syllable": None}
    return {"npvi_syllable": fnum(npvi(d), 2), "varco_syllable": fnum(varco(d), 2)}


Target = float | tuple[float, float] | None


def rhythm_score(
    metrics: dict[str, float | None], targets: dict[str, Target]
) -> tuple[float | None, Localized | None]:
    """100 minus 100 x mean(|value - target| / RHYTHM_SCALE); a band target (lo, hi) costs
    nothing inside the band. Returns (score, reason when None)."""
    dists = []
    for key, value in metrics.items():
        target = targets.get(key)
        if value is None or target is None or key not in C.RHYTHM_SCALE:
            continue
        if isinstance(target, tuple):
            lo, hi = target
            gap = lo - value if value < lo else value - hi if value > hi else 0.0
        else:
            gap = abs(value - target)
        dists.append(gap / C.RHYTHM_SCALE[key])
    if not dists:
        return None, bilingual(
            f"句子太短，無法測量節奏（英文需要 {C.MIN_RHYTHM_VOWELS} 個母音，"
            f"中文需要 {C.MIN_RHYTHM_SYLLABLES} 個音節）",
            f"the sentence is too short to measure rhythm (needs {C.MIN_RHYTHM_VOWELS} vowels "
            f"in English, {C.MIN_RHYTHM_SYLLABLES} syllables in Mandarin)",
        )
    score = 100.0 - 100.0 * float(np.mean(dists))
    return round(float(np.clip(score, 0.0, 100.0)), 1), None
