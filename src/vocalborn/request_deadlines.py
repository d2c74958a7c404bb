"""Deadlines for slow clients: request headers and request bodies (issue 13, slowloris).

Why: uvicorn only times out idle keep-alive connections. A client that opens connections and
sends its request headers, or an upload body, a few bytes at a time holds a connection and a
request task each for as long as it likes; a few hundred of them starve the API. Two guards:

- `header_deadline.HeaderDeadlineProtocol` (uvicorn's httptools protocol, chosen by
  `vocalborn api` through `uvicorn_http_protocol()`): a request's line and headers must be
  complete 10 s after they began (or after the connection was made); otherwise the client gets
  `408 Request Timeout` and the connection is closed. uvicorn has no such setting and h11 offers
  no hook, so without httptools (`uvicorn[standard]` ships it) this guard is off and
  `vocalborn api` logs a warning.
- `BodyDeadline` (ASGI middleware): time spent waiting for the body may not exceed
  `grace_seconds + bytes_received / min_rate` (defaults: 30 s, then at least 1 KiB/s on
  average). A 50 MB upload at 50 KiB/s passes; one byte every few seconds does not. Time the
  app spends elsewhere is not counted. The client gets `408` with the usual error body and
  `Connection: close`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vocalborn.errors import send_error_and_close

log = logging.getLogger(__name__)

BODY_GRACE_SECONDS = 30.0
BODY_MIN_RATE = 1024.0  # bytes per second, on average, once the grace is spent
BODY_TIMEOUT_MESSAGE = "The request body arrived too slowly; the request was abandoned."


class BodyDeadline:
    """Pure ASGI middleware: abandons a request whose body trickles in (see module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        grace_seconds: float = BODY_GRACE_SECONDS,
        min_rate: float = BODY_MIN_RATE,
    ) -> None:
        self.app = app
        self.grace = grace_seconds
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0
        waited = 0.0
        body_done = False
        timed_out = False
        started = False  # a response start went out
        replaced = False  # ... and it was ours

        async def deadline_receive() -> Message:
            nonlocal received, waited, body_done, timed_out
            if body_done or timed_out:
                return await receive()  # e.g. waiting for http.disconnect while streaming
            allowed = self.grace + received / self.min_rate - waited
            begin = time.monotonic()
            try:
                if allowed <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), allowed)
            except TimeoutError:
                timed_out = True
                raise HTTPException(408, BODY_TIMEOUT_MESSAGE) from None
            finally:
                waited += time.monotonic() - begin
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
            else:
                body_done = True
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return  # the app's own answer to the timeout is dropped; ours went out
            if message["type"] == "http.response.start":
                if timed_out:
                    replaced = True
                    await _send_timeout(send)
                    return
                started = True
            await send(message)

        try:
            await self.app(scope, deadline_receive, guarded_send)
        except HTTPException:
            if not timed_out or started:
                raise
            if not replaced:
                await _send_timeout(send)


async def _send_timeout(send: Send) -> None:
    await send_error_and_close(send, 408, "request_timeout", BODY_TIMEOUT_MESSAGE)


def uvicorn_http_protocol() -> str:
    """What `vocalborn api` passes as uvicorn's `http`: our protocol when httptools is there."""
    if importlib.util.find_spec("httptools") is None:
        log.warning("httptools is not installed: request headers have no deadline (h11)")
        return "h11"
    return "vocalborn.header_deadline:HeaderDeadlineProtocol"
