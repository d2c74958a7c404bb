"""The failures an analyser raises, each with its class (DESIGN §4's error table).

Every analyser (offline, remote client, AI service, test doubles) reports a failure as one of
these classes, so its caller can tell bad audio from a network outage without knowing which
analyser ran. What to do about each class (retry or not, when) is the caller's decision: the
Celery task's policy lives in `vocalborn.analysis.retry`, the AI service maps the class to an
HTTP status. `error_type` travels over HTTP and into the task row, so its values are stable.
"""

from __future__ import annotations

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
