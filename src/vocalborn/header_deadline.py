"""A deadline for each request's line and headers, as a uvicorn protocol (issue 13, slowloris).

Why: uvicorn times out idle keep-alive connections only; a client sending its headers a byte
at a time holds a connection (and its buffers) for as long as it likes. This subclass of
uvicorn's httptools protocol starts a timer when a connection is made and when a request's
first byte arrives; if the headers are not complete `HEADER_TIMEOUT_SECONDS` later the client
gets `408 Request Timeout` and the connection is closed (a connection that sent nothing
is closed silently). The timer stops at the end of the
headers, so slow bodies are `request_deadlines.BodyDeadline`'s business and WebSockets are not
affected. Imported by uvicorn from its import string only (it needs httptools).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

HEADER_TIMEOUT_SECONDS = 10.0
_HEADER_408 = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s"
)


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on each request's line and headers."""

    header_timeout: float = HEADER_TIMEOUT_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._in_headers = False  # a request has begun and its headers are not complete

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._cancel_header_timer()
        super().on_headers_complete()

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # a pipelined request waits behind one still being answered: not its fault yet
            self._arm_header_timer()
            return
        if not self._in_headers:
            # connected and sent nothing (a browser's preconnect, a port scan): just close
            self.transport.close()
            return
        body = json.dumps(
            {
                "error": {
                    "code": "request_timeout",
                    "message": "The request headers arrived too slowly.",
                }
            }
        ).encode()
        log.info("closing a connection whose request headers were not complete in time")
        self.transport.write(_HEADER_408 % (len(body), body))
        self.transport.close()
