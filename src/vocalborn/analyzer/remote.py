"""Client of a remote AI service speaking the VocalBorn analysis HTTP contract.

Contract (served by `vocalborn ai-service`, see service.py):

    POST {AI_SERVICE_URL}/v1/analyse            header X-API-Key: <AI_SERVICE_API_KEY>
      multipart/form-data:
        audio      file   the learner's recording (any accepted format)
        reference  file   optional, the therapist's reference recording
        text       str    the sentence
        language   str    "zh-TW" | "en"
        parameters str    optional JSON object
      200 -> AnalysisReport.to_dict() as JSON
      4xx/5xx -> {"error": {"code": str, "message": str, "error_type": str}}
         error_type is one of the ErrorType values (file, validation, ai_service, timeout, ...)
    GET {AI_SERVICE_URL}/health -> {"status": "ok", "analyser": ..., "version": ...}

Failure mapping: connection refused/reset, DNS failure, 502/503 -> NetworkError; connect/read
timeout -> AnalysisTimeout; other 5xx or an unreadable answer -> AIServiceError; a remote
"file" or "validation" error -> AudioFileError / ParameterError with the remote's message.
A circuit breaker opens after consecutive network/5xx/timeout failures and fails fast.
"""

from __future__ import annotations

import json
import logging
import mimetypes
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from vocalborn.analyzer.breaker import CircuitBreaker
from vocalborn.analyzer.errors import (
    AIServiceError,
    AnalysisTimeout,
    AudioFileError,
    ErrorType,
    NetworkError,
    ParameterError,
    TaskError,
)
from vocalborn.analyzer.types import AnalysisReport, AnalysisRequest, ProgressCallback

if TYPE_CHECKING:
    from vocalborn.config import Settings

log = logging.getLogger(__name__)
API_KEY_HEADER = "X-API-Key"
PASS_THROUGH = {ErrorType.FILE: AudioFileError, ErrorType.VALIDATION: ParameterError}


def _remote_error(response: httpx.Response) -> TaskError:
    try:
        err = response.json()["error"]
        message, etype = str(err["message"]), str(err.get("error_type", ""))
    except (ValueError, KeyError, TypeError):
        message, etype = response.text[:200] or response.reason_phrase, ""
    status = response.status_code
    if status in (401, 403):
        return AIServiceError(
            f"AI service refused the API key (HTTP {status}); check AI_SERVICE_API_KEY"
        )
    if etype in PASS_THROUGH:
        return PASS_THROUGH[ErrorType(etype)](message)
    if status in (502, 503):
        return NetworkError(f"AI service unavailable (HTTP {status}): {message}")
    if status == 504 or etype == ErrorType.TIMEOUT:
        return AnalysisTimeout(f"AI service timed out (HTTP {status}): {message}")
    if status == 413:
        return AudioFileError(message)
    return AIServiceError(f"AI service error (HTTP {status}): {message}")


class RemoteAnalyser:
    name = "remote"

    def __init__(
        self,
        settings: Settings,
        breaker: CircuitBreaker | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not settings.AI_SERVICE_URL:
            raise ValueError("RemoteAnalyser needs AI_SERVICE_URL")
        self.base_url = settings.AI_SERVICE_URL.rstrip("/")
        self.breaker = breaker or CircuitBreaker(
            threshold=settings.AI_SERVICE_BREAKER_THRESHOLD,
            cooldown=settings.AI_SERVICE_BREAKER_COOLDOWN,
        )
        headers = (
            {API_KEY_HEADER: settings.AI_SERVICE_API_KEY} if settings.AI_SERVICE_API_KEY else {}
        )
        timeout = httpx.Timeout(
            connect=settings.AI_SERVICE_CONNECT_TIMEOUT,
            read=settings.AI_SERVICE_READ_TIMEOUT,
            write=settings.AI_SERVICE_READ_TIMEOUT,
            pool=settings.AI_SERVICE_CONNECT_TIMEOUT,
        )
        self._client = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._client.close()

    def health(self) -> dict[str, Any]:
        info: dict[str, Any] = self._call("GET", "/health").json()
        return info

    def warm_up(self) -> None:
        # The service may start after the worker: warn, do not stop the worker from starting.
        try:
            info = self.health()
            log.info("AI service at %s is up: %s", self.base_url, info)
        except TaskError as exc:
            log.warning("AI service at %s is not reachable yet: %s", self.base_url, exc)

    def analyse(self, request: AnalysisRequest, progress: ProgressCallback) -> AnalysisReport:
        progress("sending the recording to the AI service", 0.05)
        data = {
            "text": request.text,
            "language": request.language,
            "parameters": json.dumps(dict(request.parameters)),
        }
        with ExitStack() as stack:
            files = {"audio": self._file(stack, Path(request.audio_path))}
            if request.reference_audio_path is not None:
                ref = Path(request.reference_audio_path)
                if ref.is_file():
                    files["reference"] = self._file(stack, ref)
            response = self._call("POST", "/v1/analyse", data=data, files=files)
        progress("reading the AI service's answer", 0.9)
        try:
            report = AnalysisReport.from_dict(response.json())
        except (ValueError, TypeError) as exc:
            raise AIServiceError(f"AI service answered an unreadable report: {exc}") from exc
        progress("done", 1.0)
        return report

    @staticmethod
    def _file(stack: ExitStack, path: Path) -> tuple[str, Any, str]:
        if not path.is_file():
            raise AudioFileError(f"the recording file is missing ({path.name})")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return (path.name, stack.enter_context(path.open("rb")), mime)

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if not self.breaker.allow():
            raise NetworkError(
                f"AI service unavailable (circuit open) at {self.base_url}; "
                f"next attempt in {self.breaker.retry_in():.0f} s"
            )
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            self.breaker.failure()
            raise AnalysisTimeout(
                f"AI service did not answer in time ({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            self.breaker.failure()
            raise NetworkError(f"cannot reach the AI service at {self.base_url}: {exc!r}") from exc
        if response.status_code >= 500:
            self.breaker.failure()
            raise _remote_error(response)
        # Any other answer proves the service is up.
        self.breaker.success()
        if response.status_code >= 400:
            raise _remote_error(response)
        return response
