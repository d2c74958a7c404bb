"""Split speech into a known number of syllables (Mandarin: one per character).

There is no Mandarin acoustic model here, so boundaries come from the signal: dynamic
programming places N-1 boundaries inside the sounding stretches (pauses removed first) where
intensity dips and voicing stops, under a log-normal duration prior around the mean syllable
length. Mandarin syllables are (C)V(N) with one intensity peak each, so intensity valleys and
voiceless initials are where syllables meet.
"""

from __future__ import annotations

import itertools

import numpy as np

from vocalborn.analyzer.praat import Frontend
from vocalborn.analyzer.timing import Timing

FRAME_S = 0.01
# Boundary cost weights: intensity (0..1 of the utterance's dynamic range) plus a penalty when
# the boundary frame is voiced; the duration prior weight is per squared log-ratio.
VOICED_BOUNDARY_COST = 0.6
DURATION_WEIGHT = 0.8
MIN_SYLLABLE_FRAMES = 5
MAX_SYLLABLE_RATIO = 3.5


def _speech_frames(front: Frontend, timing: Timing) -> np.ndarray:
    """Indices of intensity frames inside sounding stretches, in time order."""
    t = front.int_times
    mask = np.zeros(t.size, dtype=bool)
    for s, e in timing.sounding:
        mask |= (t >= s) & (t < e)
    return np.flatnonzero(mask)


def segment_syllables(front: Frontend, timing: Timing, n: int) -> list[tuple[float, float]]:
    """N (start, end) times covering the speech, or [] when there is too little speech."""
    idx = _speech_frames(front, timing)
    total = idx.size
    if n <= 0 or total < n * MIN_SYLLABLE_FRAMES:
        return []
    db = front.int_db[idx]
    lo, hi = float(np.quantile(db, 0.05)), float(np.quantile(db, 0.99))
    level = np.clip((db - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
    f0_at = np.interp(front.int_times[idx], front.f0_times, np.nan_to_num(front.f0_hz))
    boundary = level + VOICED_BOUNDARY_COST * (f0_at > 0)
    # A pause between sounding stretches is the best boundary there is.
    jumps = np.flatnonzero(np.diff(idx) > 1) + 1
    boundary[jumps] = 0.0

    mean = total / n
    dmax = int(max(MIN_SYLLABLE_FRAMES + 1, min(total, MAX_SYLLABLE_RATIO * mean)))
    durations = np.arange(MIN_SYLLABLE_FRAMES, dmax + 1)
    prior = DURATION_WEIGHT * np.log(durations / mean) ** 2

    inf = np.inf
    cost = np.full(total + 1, inf)
    cost[0] = 0.0
    back = np.zeros((n, total + 1), dtype=np.int32)
    for k in range(n):
        new = np.full(total + 1, inf)
        arg = np.zeros(total + 1, dtype=np.int32)
        for d, p in zip(durations, prior, strict=True):
            cand = np.full(total + 1, inf)
            cand[d:] = cost[: total + 1 - d] + p
            better = cand < new
            new[better] = cand[better]
            arg[better] = d
        ends = np.arange(total + 1)
        bcost = np.zeros(total + 1)
        bcost[:total] = boundary
        if k < n - 1:
            new = new + bcost
        new[ends < (k + 1) * MIN_SYLLABLE_FRAMES] = inf
        cost = new
        back[k] = arg
    if not np.isfinite(cost[total]):
        return []
    cuts = [total]
    t = total
    for k in range(n - 1, -1, -1):
        t -= int(back[k][t])
        cuts.append(t)
    cuts.reverse()
    times = front.int_times[idx]
    half = FRAME_S / 2
    return [
        (float(times[a] - half), float(times[b - 1] + half)) for a, b in itertools.pairwise(cuts)
    ]
