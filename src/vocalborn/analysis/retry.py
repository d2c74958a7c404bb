"""The retry policy of an analysis task: whether and when a failure is tried again (DESIGN §4).

The analyser classifies every failure (`vocalborn.analyzer.errors`); the class alone decides
the retry, so the policy is one table and one pure decision, `decide()`, used by both places
that retry an analysis: the Celery task (analysis/tasks.py) and the reaper's hard-time-limit
timeouts (analysis/reaper.py). No I/O here: the caller records the decision
(`transitions.schedule_retry`) and schedules the delivery.

Countdowns get bounded jitter ("equal jitter"): the delay actually used is drawn uniformly from
[(1 - RETRY_JITTER) x d, d], d the table's delay. An outage fails a whole fleet of analyses
within seconds; without jitter their retries would all come back in the same second and meet
the recovering service together. The table's delay stays the upper bound, so the settings'
check "visibility timeout > hard limit + longest countdown" (`longest_countdown`) still holds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from vocalborn.analyzer.errors import ErrorType

# Share of a countdown that jitter may remove: 0.5 spreads retries over the second half of it.
RETRY_JITTER = 0.5


def jittered(delay: float, draw: float, spread: float = RETRY_JITTER) -> float:
    """`delay` shortened by `spread x draw` (pure). `draw` is a uniform number in [0, 1]
    (clamped), so the result lies in [(1 - spread) x delay, delay]."""
    draw = min(max(draw, 0.0), 1.0)
    return delay * (1.0 - spread * draw)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    base_delay: float  # seconds, before scaling
    exponential: bool

    def countdown(self, retries_done: int, scale: float = 1.0) -> float:
        """Seconds to wait before retry number `retries_done + 1`."""
        factor = 2**retries_done if self.exponential else 1
        return self.base_delay * factor * scale

    def draw_countdown(
        self, retries_done: int, scale: float = 1.0, draw: float | None = None
    ) -> float:
        """The countdown to use: `countdown()` with bounded jitter (`draw` None: random)."""
        u = random.random() if draw is None else draw
        return jittered(self.countdown(retries_done, scale), u)


RETRY_POLICIES: dict[ErrorType, RetryPolicy] = {
    ErrorType.NETWORK: RetryPolicy(max_retries=5, base_delay=30.0, exponential=True),
    ErrorType.AI_SERVICE: RetryPolicy(max_retries=3, base_delay=60.0, exponential=False),
    ErrorType.FILE: RetryPolicy(max_retries=0, base_delay=0.0, exponential=False),
    ErrorType.TIMEOUT: RetryPolicy(max_retries=2, base_delay=120.0, exponential=False),
    ErrorType.VALIDATION: RetryPolicy(max_retries=0, base_delay=0.0, exponential=False),
}


def policy_for(error_type: ErrorType | str) -> RetryPolicy:
    return RETRY_POLICIES[ErrorType(error_type)]


@dataclass(frozen=True)
class RetryDecision:
    """Try again after `countdown` seconds; the row records `max_retries` of the class."""

    countdown: float
    max_retries: int


def decide(
    error_type: ErrorType | str, retries_done: int, scale: float, draw: float | None = None
) -> RetryDecision | None:
    """The retry after a failure of class `error_type` when `retries_done` retries were
    already made, or None: the task fails. `scale` is TASK_RETRY_DELAY_SCALE; `draw` the
    jitter's uniform number (None: random)."""
    policy = policy_for(error_type)
    if retries_done >= policy.max_retries:
        return None
    return RetryDecision(policy.draw_countdown(retries_done, scale, draw), policy.max_retries)


def longest_countdown(scale: float) -> float:
    """The longest countdown of the table, scaled: how long an ETA message may wait unacked.
    Jitter only shortens a countdown, so this stays the bound."""
    return max(
        (p.countdown(p.max_retries - 1, scale) for p in RETRY_POLICIES.values() if p.max_retries),
        default=0.0,
    )
