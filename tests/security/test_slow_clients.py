"""Slow clients (slowloris) get a deadline (issue 13): request headers through our uvicorn
protocol, request bodies through `BodyDeadline`. A real uvicorn server and raw sockets, with
deadlines shrunk to fractions of a second; fast clients, keep-alive, streaming answers and
WebSockets are unaffected."""

from __future__ import annotations

import asyncio
import json
import select
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import StreamingResponse
from websockets.sync.client import connect

from tests.support.served import serve
from vocalborn.errors import install_error_handlers
from vocalborn.header_deadline import HeaderDeadlineProtocol
from vocalborn.request_deadlines import BodyDeadline, uvicorn_http_protocol

DEADLINE = 0.6


class QuickHeaderDeadline(HeaderDeadlineProtocol):
    header_timeout = DEADLINE


def make_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)  # the app's own rendering of the 408 is replaced by ours

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @app.get("/slow-answer")
    async def slow_answer() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for i in range(3):
                await asyncio.sleep(DEADLINE)
                yield f"chunk{i}\n".encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    app.add_middleware(BodyDeadline, grace_seconds=DEADLINE, min_rate=1000.0)
    return app


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serve(make_app(), http=QuickHeaderDeadline) as p:
        yield p


def read_all(sock: socket.socket, timeout: float = 10.0) -> bytes:
    """Everything until the server closes the connection."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass  # bytes we sent after the server closed: what came before still counts
    return data


def read_response(sock: socket.socket) -> bytes:
    """One answer with a Content-Length, leaving the connection open."""
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def answered(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


def test_headers_that_trickle_in_get_408_and_a_closed_connection(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /slow-answer HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        sock.sendall(b"X-Slow: 1\r\n")  # still sending, never finishing the headers
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "request_timeout"
    assert DEADLINE * 0.8 < time.monotonic() - start < DEADLINE + 3


def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        start = time.monotonic()
        assert read_all(sock) == b""  # closed without an answer
    assert time.monotonic() - start < DEADLINE + 3


def test_prompt_clients_keep_alive_and_websockets_outlive_the_deadline(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        for _ in range(2):  # two requests on one connection, the second after the deadline
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
            answer = read_response(sock)
            assert answer.startswith(b"HTTP/1.1 200 "), answer
            assert answer.endswith(b'{"received":3}')
            time.sleep(DEADLINE * 1.5)  # idle, but inside uvicorn's 5 s keep-alive
    with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10) as ws:
        time.sleep(DEADLINE * 2)  # the header deadline ended with the upgrade
        ws.send("still here")
        assert ws.recv(timeout=10) == "still here"


def test_a_body_that_trickles_in_gets_408(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        start = time.monotonic()
        for _ in range(15):
            if answered(sock):
                break
            sock.sendall(b"x")  # one byte at a time, far below 1000 bytes/s
            time.sleep(DEADLINE / 3)
        answer = read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer
    assert b"connection: close" in head.lower()
    assert json.loads(body)["error"]["code"] == "request_timeout"
    assert time.monotonic() - start < DEADLINE + 3


def test_a_body_sent_at_a_fair_pace_passes_and_slow_answers_are_not_cut(port: int) -> None:
    size = 4000
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        sock.sendall(f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode())
        for _ in range(8):  # 500 bytes every 0.25 s: 2000 bytes/s, for longer than the grace
            sock.sendall(b"y" * (size // 8))
            time.sleep(0.25)
        answer = read_response(sock)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"received":4000}'), answer
    # an answer that takes longer than the body grace (it waits for http.disconnect meanwhile)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /slow-answer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 200 ") and b"chunk2" in answer


def test_vocalborn_api_uses_the_header_deadline_protocol() -> None:
    assert uvicorn_http_protocol() == "vocalborn.header_deadline:HeaderDeadlineProtocol"


def test_the_app_has_the_body_deadline(tmp_path: Path) -> None:
    from vocalborn.app import create_app
    from vocalborn.config import Settings

    settings = Settings(_env_file=None, ENVIRONMENT="test", DATA_DIR=tmp_path)  # type: ignore[call-arg]
    app = create_app(settings)
    assert any(m.cls is BodyDeadline for m in app.user_middleware)
