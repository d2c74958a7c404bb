"""Refuse oversized request bodies while they arrive, before they are spooled to disk."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vocalborn.errors import send_error_and_close
from vocalborn.practice.uploads import size_limit_message

MULTIPART_SLACK = 64 * 1024  # multipart boundaries and headers around the file


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_file_bytes: int, json_limit: int = 1_048_576) -> None:
        self.app = app
        self.max_file_bytes = max_file_bytes
        self.json_limit = json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        is_multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.max_file_bytes + MULTIPART_SLACK if is_multipart else self.json_limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # HTTPException passes through FastAPI's body parsing untouched -> 413
                    raise HTTPException(413, size_limit_message(self.max_file_bytes))
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        message = size_limit_message(self.max_file_bytes)
        await send_error_and_close(send, 413, "file_too_large", message)
