"""Mandarin tone of each syllable from its F0 contour, against Chao tone-letter templates.

F0 is put on the speaker's own scale first (semitones, 5th..95th percentile of the utterance
mapped to Chao 1..5) so a child's and a man's voice are read alike. Each syllable's voiced part is
resampled to five points and compared with the templates; the softmax over distances gives the
probability of each tone. With a reference recording, the reference speaker's contour of the
same syllable (on that speaker's own range) is one more template of the expected tone, and the
similarity of the two contours can raise the syllable's score: the therapist's production is
the target. (Measured on espeak-ng sentences the tests do not use, six voices: the reference
template cut correct syllables read as another tone from 9-17 of 45 per voice to 0-4, and every
one of 72 deliberately changed tones was still caught.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from vocalborn.analyzer import constants as C
from vocalborn.analyzer.praat import semitones

POINTS = 5
MIN_VOICED_FRAMES = 4


@dataclass(frozen=True)
class ToneResult:
    heard: str | None  # "1".."4" or None when the syllable has too little voicing
    probs: dict[str, float]
    shape: list[float] | None  # 5-point contour, semitones re the speaker's median
    chao: list[float] | None = None  # the same contour in Chao letters of the speaker's range


def speaker_scale(f0_hz: np.ndarray) -> tuple[float, float, float]:
    """(median, low, high) of the utterance in semitones re 100 Hz; range at least the minimum."""
    st = semitones(f0_hz[~np.isnan(f0_hz)])
    med = float(np.median(st))
    lo, hi = float(np.quantile(st, 0.05)), float(np.quantile(st, 0.95))
    if hi - lo < C.MIN_SPEAKER_RANGE_ST:
        mid = (hi + lo) / 2
        lo, hi = mid - C.MIN_SPEAKER_RANGE_ST / 2, mid + C.MIN_SPEAKER_RANGE_ST / 2
    return med, lo, hi


def syllable_shape(
    times: np.ndarray, f0_hz: np.ndarray, start: float, end: float
) -> np.ndarray | None:
    """Five-point F0 contour (semitones re 100 Hz) of the voiced frames in [start, end)."""
    sel = (times >= start) & (times < end) & ~np.isnan(f0_hz)
    if np.count_nonzero(sel) < MIN_VOICED_FRAMES:
        return None
    st = semitones(f0_hz[sel])
    # A 3-frame median removes octave jumps and creak spikes at voicing edges.
    if st.size >= 3:
        padded = np.concatenate([st[:1], st, st[-1:]])
        st = np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)
    grid = np.linspace(0.0, 1.0, POINTS)
    return np.asarray(np.interp(grid, np.linspace(0.0, 1.0, st.size), st))


def tone_probs(
    chao: np.ndarray | list[float], own: Mapping[str, Sequence[float]] | None = None
) -> dict[str, float]:
    """Probability of each tone from the distance to its nearest template. `own` adds
    templates of this sentence's reference speaker ({"4": contour}): the therapist's own
    production of the expected tone is as valid a shape of that tone as Chao's letters."""
    contour = np.asarray(chao, dtype=float)
    dist: dict[str, float] = {}
    templates = list(C.TONE_TEMPLATES.items()) + list((own or {}).items())
    for name, template in templates:
        tone = name[0]
        d = float(np.sqrt(np.mean((contour - np.asarray(template)) ** 2)))
        dist[tone] = min(d, dist.get(tone, np.inf))
    names = sorted(dist)
    logits = np.array([-dist[t] / C.TONE_TEMPERATURE for t in names])
    p = np.exp(logits - logits.max())
    p /= p.sum()
    return {t: round(float(v), 3) for t, v in zip(names, p, strict=True)}


def most_likely(probs: Mapping[str, float]) -> str:
    return max(probs, key=lambda t: probs[t])


def classify(shape: np.ndarray | None, scale: tuple[float, float, float]) -> ToneResult:
    if shape is None:
        return ToneResult(None, {}, None)
    med, lo, hi = scale
    chao = 1.0 + 4.0 * (shape - lo) / (hi - lo)
    probs = tone_probs(chao)
    return ToneResult(
        most_likely(probs),
        probs,
        [round(float(v - med), 2) for v in shape],
        [round(float(v), 3) for v in chao],
    )


def reference_similarity(shape: list[float] | None, ref_shape: list[float] | None) -> float | None:
    """0..100: how closely a syllable's contour follows the reference speaker's (both re their
    own median, so voice height does not count, only the tone's movement and level)."""
    if shape is None or ref_shape is None:
        return None
    a, b = np.asarray(shape), np.asarray(ref_shape)
    d = float(np.sqrt(np.mean((a - b) ** 2)))
    return round(100.0 * float(np.exp(-0.5 * (d / C.TONE_REF_MATCH_ST) ** 2)), 1)
