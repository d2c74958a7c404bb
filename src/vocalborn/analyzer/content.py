"""Does the learner say the same sentence as the reference? MFCC + DTW, both normalised.

MFCCs (Praat, c1..c8, 10 ms step) of the speech span only, with per-utterance mean and variance
normalisation so microphone differences vanish; the low coefficients keep the broad spectral
shape (which sounds) and drop fine detail that differs between voices. DTW over 20 ms frames
gives the mean frame distance along the best warping path, divided by the mean distance between
all frame pairs: 1.0 means the best alignment is no better than chance, so a change of voice
(which raises every distance alike) cancels out while a different sentence does not.
"""

from __future__ import annotations

import numpy as np
import parselmouth

from vocalborn.analyzer import constants as C

STEP = 2  # keep every 2nd 10 ms frame: DTW cost is quadratic in length


def mfcc_features(sound: parselmouth.Sound, start: float, end: float) -> np.ndarray:
    part = sound.extract_part(from_time=start, to_time=end, preserve_times=False)
    mfcc = part.to_mfcc(number_of_coefficients=12, window_length=0.025, time_step=0.01)
    feats = np.asarray(mfcc.to_array(), dtype=float)[1:9].T  # no c0: loudness is not content
    feats = feats[::STEP]
    if feats.shape[0] < 2:
        return feats
    std = feats.std(axis=0)
    return np.asarray((feats - feats.mean(axis=0)) / np.where(std > 1e-9, std, 1.0))


def dtw_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Best-path cost relative to chance (steps (1,0), (0,1), (1,1); path cost / (n+m), over
    half the mean pairwise distance since a path takes about (n+m)/2 diagonal-equivalent steps).

    Each row is done in one numpy pass: the horizontal moves are a running minimum over
    (candidate - cumulative cost), which removes the inner Python loop.
    """
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        return float("inf")
    dim = a.shape[1]
    sq = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
    cost = np.sqrt(np.maximum(sq, 0.0) / dim)
    prev = np.full(m, np.inf)
    for i in range(n):
        row = cost[i]
        diag = np.concatenate([[0.0 if i == 0 else np.inf], prev[:-1]])
        cand = row + np.minimum(diag, prev)
        cum = np.cumsum(row)
        prev = cum + np.minimum.accumulate(cand - cum)
    chance = float(cost.mean())
    return float(prev[-1] / (n + m) * 2.0 / max(chance, 1e-9))


def content_match(distance: float) -> float:
    """0..100 from the DTW distance: 100 at or below LOW, 0 at or above HIGH, linear between."""
    lo, hi = C.CONTENT_DTW_LOW, C.CONTENT_DTW_HIGH
    return float(np.clip((hi - distance) / (hi - lo), 0.0, 1.0) * 100.0)
