"""Syllable nuclei, pauses and rates after de Jong & Wempe (2009).

Written from the paper's description: intensity peaks above a threshold 25 dB below the 0.99
quantile of intensity, kept when the intensity dips by more than 2 dB before the next peak, and
only when voiced. Pauses are silences of at least 0.3 s between the first and last sounding
stretch; leading and trailing silence is not the speaker's pause. Voice activity comes from the
same Praat intensity threshold (no extra model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vocalborn.analyzer import constants as C
from vocalborn.analyzer.praat import Frontend, fnum


@dataclass(frozen=True)
class Timing:
    threshold_db: float
    sounding: list[tuple[float, float]]  # speech stretches (VAD), seconds
    pauses: list[tuple[float, float]]  # silences >= MIN_PAUSE_S inside the speech span
    nuclei: list[float]  # syllable nucleus times, seconds

    @property
    def span(self) -> tuple[float, float]:
        return (self.sounding[0][0], self.sounding[-1][1]) if self.sounding else (0.0, 0.0)

    @property
    def phonation_time(self) -> float:
        return sum(e - s for s, e in self.sounding)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index runs where mask is True."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def sounding_intervals(
    times: np.ndarray, db: np.ndarray, threshold: float
) -> list[tuple[float, float]]:
    """Stretches above threshold; silences shorter than MIN_PAUSE_S are bridged and sounding
    stretches shorter than MIN_SOUNDING_S dropped (Praat "To TextGrid (silences)")."""
    step = float(times[1] - times[0]) if len(times) > 1 else 0.01
    runs = [[a, b] for a, b in _runs(db >= threshold)]
    merged: list[list[int]] = []
    for run in runs:
        if merged and (run[0] - merged[-1][1]) * step < C.MIN_PAUSE_S:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    half = step / 2
    return [
        (float(times[a] - half), float(times[b - 1] + half))
        for a, b in merged
        if (b - a) * step >= C.MIN_SOUNDING_S
    ]


def _peaks(db: np.ndarray) -> np.ndarray:
    """Indices of local intensity maxima (plateaus count once, at their start)."""
    if db.size < 3:
        return np.zeros(0, dtype=int)
    rising = np.diff(db) > 0
    falling = np.diff(db) < 0
    idx = [i for i in range(1, db.size - 1) if rising[i - 1] and not rising[i]]
    # Drop plateau starts that never fall (a flat top running to the end is not a peak).
    return np.array([i for i in idx if falling[i:].any()], dtype=int)


def syllable_nuclei(front: Frontend, threshold: float) -> list[float]:
    times, db = front.int_times, front.int_db
    peaks = [int(p) for p in _peaks(db) if db[p] > threshold]
    kept: list[int] = []
    for k, p in enumerate(peaks):
        end = peaks[k + 1] if k + 1 < len(peaks) else db.size - 1
        dip = float(db[p : end + 1].min())
        if db[p] - dip > C.DEJONG_MIN_DIP_DB:
            kept.append(p)
    nuclei = []
    for p in kept:
        j = int(np.argmin(np.abs(front.f0_times - times[p])))
        if not np.isnan(front.f0_hz[j]):
            nuclei.append(float(times[p]))
    return nuclei


def measure_timing(front: Frontend) -> Timing:
    db = front.int_db
    threshold = max(float(np.quantile(db, 0.99)) + C.DEJONG_SILENCE_DB, float(db.min()))
    sounding = sounding_intervals(front.int_times, db, threshold)
    pauses = [
        (sounding[i][1], sounding[i + 1][0])
        for i in range(len(sounding) - 1)
        if sounding[i + 1][0] - sounding[i][1] >= C.MIN_PAUSE_S
    ]
    nuclei = syllable_nuclei(front, threshold)
    if sounding:
        lo, hi = sounding[0][0], sounding[-1][1]
        nuclei = [t for t in nuclei if lo <= t <= hi]
    return Timing(threshold_db=threshold, sounding=sounding, pauses=pauses, nuclei=nuclei)


def timing_summary(timing: Timing, syllables: int | None = None) -> dict[str, Any]:
    """Rates in syllables/s. `syllables` overrides the nucleus count (e.g. from the aligned
    text); both are reported so a reader can see how far they agree."""
    start, end = timing.span
    span = max(end - start, 1e-6)
    n = len(timing.nuclei) if syllables is None else syllables
    phonation = max(timing.phonation_time, 1e-6)
    pause_lengths = [e - s for s, e in timing.pauses]
    return {
        "speech_start": fnum(start),
        "speech_end": fnum(end),
        "speech_duration": fnum(span),
        "syllable_nuclei": len(timing.nuclei),
        "syllables_counted": n,
        "syllable_count_source": "nuclei" if syllables is None else "text",
        "speech_rate": fnum(n / span, 3),
        "articulation_rate": fnum(n / phonation, 3),
        "phonation_time": fnum(timing.phonation_time),
        "phonation_ratio": fnum(timing.phonation_time / span, 3),
        "pause_count": len(timing.pauses),
        "pause_total": fnum(sum(pause_lengths)),
        "pause_mean": fnum(np.mean(pause_lengths)) if pause_lengths else None,
        "pauses": [{"start": fnum(s), "end": fnum(e)} for s, e in timing.pauses],
        "nuclei_times": [fnum(t) for t in timing.nuclei],
    }
