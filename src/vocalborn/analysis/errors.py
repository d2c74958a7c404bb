"""Error classes of an analysis and the retry policy for each (DESIGN §4).

Every failure the worker can meet is mapped to one class; the class alone decides whether and
when the task is retried, so the policy is one table rather than checks spread over the code.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    base_delay: float  # seconds, before scaling
    exponential: bool

    def countdown(self, retries_done: int, scale: float = 1.0) -> float:
        """Seconds to wait before retry number `retries_done + 1`."""
        factor = 2**retries_done if self.exponential else 1
        return self.base_delay * factor * scale


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
