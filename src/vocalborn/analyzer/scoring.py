"""Fluency and overall scores from measurements (constants and their sources: constants.py).

Targets come from the reference recording when there is one, otherwise from the norm bands;
`fluency` says which in its `basis` so the report can tell the learner.
"""

from __future__ import annotations

import math
from typing import Any

from vocalborn.analyzer import constants as C


def _clip(x: float) -> float:
    return max(0.0, min(100.0, x))


def rate_score(rate: float | None, target: float | tuple[float, float]) -> float | None:
    """Penalty on |ln(rate / target)|; a band target costs nothing inside the band."""
    if rate is None or rate <= 0:
        return None
    if isinstance(target, tuple):
        lo, hi = target
        ref = lo if rate < lo else hi if rate > hi else rate
    else:
        ref = target
    if ref <= 0:
        return None
    return _clip(100.0 - C.RATE_PENALTY * abs(math.log(rate / ref)))


def fluency(
    learner: dict[str, Any], reference: dict[str, Any] | None, language: str
) -> dict[str, Any]:
    """Sub-scores and the fluency score from two `timing_summary` dicts."""
    if reference is not None:
        basis = "reference"
        rate_target: float | tuple[float, float] = reference["articulation_rate"] or 0.0
        allowed_pauses = float(reference["pause_count"])
        allowed_time = float(reference["pause_total"] or 0.0)
        phonation_target = float(reference["phonation_ratio"] or C.NORM_PHONATION_RATIO)
    else:
        basis = "norms"
        rate_target = C.NORM_ARTICULATION_RATE[language]
        allowed_pauses = learner["syllables_counted"] / C.NORM_SYLLABLES_PER_PAUSE
        allowed_time = allowed_pauses * 0.5
        phonation_target = C.NORM_PHONATION_RATIO
    rate = rate_score(learner["articulation_rate"], rate_target)
    extra_pauses = max(0.0, learner["pause_count"] - allowed_pauses)
    extra_time = max(0.0, (learner["pause_total"] or 0.0) - allowed_time)
    pauses = _clip(100.0 - C.PAUSE_PENALTY * extra_pauses - C.PAUSE_TIME_PENALTY * extra_time)
    ratio = learner["phonation_ratio"] or 0.0
    phonation = _clip(100.0 - 200.0 * max(0.0, phonation_target - ratio))
    parts = {"pauses": pauses, "phonation": phonation}
    if rate is not None:
        parts["rate"] = rate
    weights = {k: C.FLUENCY_WEIGHTS[k] for k in parts}
    score = sum(parts[k] * w for k, w in weights.items()) / sum(weights.values())
    return {
        "basis": basis,
        "rate_target": rate_target if isinstance(rate_target, float) else list(rate_target),
        "rate_score": None if rate is None else round(rate, 1),
        "pause_score": round(pauses, 1),
        "phonation_score": round(phonation, 1),
        "extra_pauses": round(extra_pauses, 2),
        "extra_pause_time": round(extra_time, 2),
        "score": round(score, 1),
    }


def overall(scores: dict[str, float | None]) -> float | None:
    """Weighted mean of the assessed sub-scores; the weakest one's weight is boosted."""
    present: dict[str, float] = {k: v for k, v in scores.items() if v is not None}
    if not present:
        return None
    weakest = min(present, key=lambda k: present[k])
    weights = {
        k: C.OVERALL_WEIGHTS[k] * (C.WEAKEST_BOOST if k == weakest else 1.0) for k in present
    }
    total = sum(present[k] * w for k, w in weights.items())
    return round(total / sum(weights.values()), 1)
