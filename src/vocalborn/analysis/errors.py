"""Error classes of an analysis and the retry policy for each (DESIGN §4).

Every failure the worker can meet is mapped to one class; the class alone decides whether and
when the task is retried, so the policy is one table rather than checks spread over the code.

Countdowns get bounded jitter ("equal jitter"): the delay actually used is drawn uniformly from
[(1 - RETRY_JITTER) x d, d], d the table's delay. An outage fails a whole fleet of analyses
within seconds; without jitter their retries would all come back in the same second and meet
the recovering service together. The table's delay stays the upper bound, so the settings'
check "visibility timeout > hard limit + longest countdown" still holds with jitter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum


class ErrorType(StrEnum):
    NETWORK = "network"
    AI_SERVICE = "ai_service"
    FILE = "file"
    TIMEOUT = "timeout"
    VALIDATION = "validation"


class TaskError(Exception):
    """A classified analysis failure; `str(err)` is a message a person can act on."""

    error_type: ErrorType = ErrorType.AI_SERVICE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NetworkError(TaskError):
    """Connection refused/reset, DNS failure, remote 502/503."""

    error_type = ErrorType.NETWORK


class AIServiceError(TaskError):
    """The remote AI service answered 5xx or nonsense, or the analyser failed internally."""

    error_type = ErrorType.AI_SERVICE


class AudioFileError(TaskError):
    """Missing, empty, corrupt, unsupported, silent, too long or too large audio."""

    error_type = ErrorType.FILE


class AnalysisTimeout(TaskError):
    """The soft time limit was reached or the remote service did not answer in time."""

    error_type = ErrorType.TIMEOUT


class ParameterError(TaskError):
    """The task's parameters are invalid; retrying cannot help."""

    error_type = ErrorType.VALIDATION


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


def should_retry(error_type: ErrorType | str, retries_done: int) -> bool:
    return retries_done < policy_for(error_type).max_retries
