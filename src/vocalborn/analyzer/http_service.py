"""`vocalborn ai-service`: the built-in offline analyser over HTTP (contract in remote.py).

Uploads are written to a private temporary directory, analysed in a worker thread and
deleted. One analysis runs at a time per process: the work is CPU-bound, Praat keeps global
state, and throughput scales by running more service processes. Errors answer with the status of
their class and `{"error": {"code", "message", "error_type"}}`, never a stack trace.

The client's file name lends the temporary file its extension only when that is an accepted
audio one: FFmpeg takes a `.m3u8` name as a hint to read the upload as a playlist of other files
(the decoder refuses playlists anyway; this keeps the hint away from it).
"""

from __future__ import annotations

import hmac
import json
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vocalborn.analyzer.errors import ErrorType, ParameterError, TaskError
from vocalborn.analyzer.offline import OfflineAnalyser, model_version
from vocalborn.analyzer.remote import API_KEY_HEADER
from vocalborn.analyzer.types import AnalysisRequest
from vocalborn.config import AUDIO_FORMATS

if TYPE_CHECKING:
    from vocalborn.config import Settings

STATUS = {
    ErrorType.FILE: 422,
    ErrorType.VALIDATION: 400,
    ErrorType.AI_SERVICE: 500,
    ErrorType.TIMEOUT: 504,
    ErrorType.NETWORK: 502,
}
CHUNK = 1 << 16


def _error(status: int, code: str, message: str, error_type: str) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "error_type": error_type}}
    return JSONResponse(body, status_code=status)


def create_ai_service_app(settings: Settings, analyser: OfflineAnalyser | None = None) -> FastAPI:
    engine = analyser or OfflineAnalyser(settings)
    one_at_a_time = threading.Lock()

    def run(request: AnalysisRequest) -> dict[str, Any]:
        with one_at_a_time:
            return engine.analyse(request, lambda _s, _f: None).to_dict()

    api_key = settings.AI_SERVICE_API_KEY
    limit = settings.MAX_AUDIO_FILE_SIZE

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(engine.warm_up)
        yield

    app = FastAPI(title="VocalBorn AI service", lifespan=lifespan)

    @app.middleware("http")
    async def check_key(request: Request, call_next: Any) -> Any:
        if api_key and request.url.path != "/health":
            given = request.headers.get(API_KEY_HEADER, "")
            if not hmac.compare_digest(given.encode(), api_key.encode()):
                return _error(401, "unauthorized", "missing or wrong API key", "validation")
        return await call_next(request)

    @app.exception_handler(TaskError)
    async def task_error(_: Request, exc: TaskError) -> JSONResponse:
        etype = ErrorType(exc.error_type)
        return _error(STATUS[etype], etype.value, exc.message, etype.value)

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:
        return _error(500, "internal", f"the AI service failed: {type(exc).__name__}", "ai_service")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "analyser": engine.name, "version": model_version()}

    @app.post("/v1/analyse")
    async def analyse(
        audio: UploadFile = File(...),
        reference: UploadFile | None = File(None),
        text: str = Form(...),
        language: str = Form(...),
        parameters: str = Form("{}"),
    ) -> JSONResponse:
        try:
            params = json.loads(parameters or "{}")
        except ValueError as exc:
            raise ParameterError("parameters must be a JSON object") from exc
        if not isinstance(params, dict):
            raise ParameterError("parameters must be a JSON object")
        if language not in ("en", "zh-TW"):
            raise ParameterError(f"unsupported language {language!r}; use en or zh-TW")
        workdir = Path(tempfile.mkdtemp(prefix="vocalborn-ai-"))
        try:
            audio_path = workdir / ("audio" + _suffix(audio.filename))
            if not await _copy(audio, audio_path, limit):
                return _error(413, "file", f"the recording is over {limit / 1e6:.0f} MB", "file")
            ref_path = None
            if reference is not None and reference.filename:
                ref_path = workdir / ("reference" + _suffix(reference.filename))
                if not await _copy(reference, ref_path, limit):
                    ref_path = None
            request = AnalysisRequest(audio_path, text, language, ref_path, params)  # type: ignore[arg-type]
            return JSONResponse(await run_in_threadpool(run, request))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    return app


def _suffix(filename: str | None) -> str:
    """The file name's extension when it is an accepted audio one, else none."""
    suffix = Path(filename or "").suffix.lower()
    return suffix if suffix[1:] in AUDIO_FORMATS else ""


async def _copy(upload: UploadFile, dest: Path, limit: int) -> bool:
    """Stream an upload to disk; False when it is over the size limit."""
    size = 0
    with dest.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                return False
            out.write(chunk)
    return True


def run_ai_service(host: str, port: int, settings: Settings) -> None:
    import uvicorn

    uvicorn.run(create_ai_service_app(settings), host=host, port=port, log_level="info")
