"""API errors and the one error shape every failure answers with:
`{"error": {"code": "...", "message": "..."}}` — never a stack trace."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.extra = extra or {}
        self.headers = headers or {}


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class Unauthorized(AppError):
    status_code = 401
    code = "not_authenticated"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "file_too_large"


class UnsupportedMedia(AppError):
    status_code = 415
    code = "unsupported_audio_format"


class Unprocessable(AppError):
    status_code = 422
    code = "invalid_audio"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


async def send_error_and_close(send: Any, status: int, code: str, message: str) -> None:
    """The error shape sent straight from ASGI middleware (before FastAPI has the request),
    closing the connection: the client's unread body must not be read as the next request."""
    body = json.dumps(error_body(code, message)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "file_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "malformed_json", "The request body is not valid JSON."
    parts = []
    for e in errors[:5]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{loc or 'request'}: {e.get('msg', 'invalid')}")
    return 422, "validation_error", "; ".join(parts) or "The request is invalid."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        headers = dict(exc.headers)
        if exc.status_code == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(
            error_body(exc.code, exc.message, **exc.extra),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return JSONResponse(
            error_body(code, message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        status, code, message = _validation_message(exc)
        return JSONResponse(error_body(code, message), status_code=status)

    @app.exception_handler(DataError)
    async def _data_error(_: Request, exc: DataError) -> JSONResponse:
        # A value the client sent that the database cannot store or compare: a NUL character
        # in text (PostgreSQL refuses them), a number out of range. The client's mistake: 422.
        log.info("value refused by the database: %s", exc.orig)
        nul = "nul" in str(exc.orig).lower() or "0x00" in str(exc.orig)
        message = (
            "Text must not contain NUL (\\u0000) characters."
            if nul
            else "A value is out of range or cannot be stored."
        )
        return JSONResponse(error_body("validation_error", message), status_code=422)

    @app.exception_handler(DBAPIError)
    async def _db_error(_: Request, exc: DBAPIError) -> JSONResponse:
        if is_database_outage(exc):
            log.warning("database unavailable: %s", exc.orig)
            return JSONResponse(
                error_body(
                    "database_unavailable", "The database is unavailable; try again shortly."
                ),
                status_code=503,
                headers={"Retry-After": "5"},
            )
        log.exception("database error")
        return JSONResponse(
            error_body("internal_error", "An internal error occurred."), status_code=500
        )

    @app.exception_handler(RedisConnectionError)
    @app.exception_handler(RedisTimeoutError)
    async def _redis_error(_: Request, exc: Exception) -> JSONResponse:
        log.warning("redis unavailable: %s", exc)
        return JSONResponse(
            error_body("redis_unavailable", "The task queue is unavailable; try again shortly."),
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            error_body("internal_error", "An internal error occurred."), status_code=500
        )


def is_database_outage(exc: DBAPIError) -> bool:
    """The database could not be reached or went away (not a bad statement): 503, retry later."""
    from sqlalchemy.exc import OperationalError

    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc.orig).lower()
    return any(
        word in text
        for word in (
            "connect",
            "connection",
            "server closed",
            "terminating",
            "database is locked",
            "shutting down",
        )
    )


# --- OpenAPI: document what the handlers above really answer ---------------------------------

ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorOut",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "additionalProperties": True,
        }
    },
}
ERROR_RESPONSES = {
    400: "Malformed request (e.g. the body is not valid JSON)",
    401: "Missing, invalid or expired credentials",
    403: "The caller's role may not do this",
    404: "No such object, or not one the caller may see",
    409: "Conflicts with the object's current state",
    413: "The upload is larger than the limit",
    415: "Not audio in a supported format",
    422: "Invalid parameters, body or audio",
    429: "Too many attempts; retry after the given delay",
    503: "The database or the task queue is unavailable; retry shortly",
}


def install_openapi_errors(app: FastAPI) -> None:
    """Every operation documents the error answers of `install_error_handlers` with their one
    shape, instead of FastAPI's default 422 body (which our handler never sends)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components["ErrorOut"] = ERROR_SCHEMA
        ref = {"$ref": "#/components/schemas/ErrorOut"}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_RESPONSES.items():
                    responses[str(status)] = {
                        "description": description,
                        "content": {"application/json": {"schema": ref}},
                    }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
