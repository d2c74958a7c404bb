"""`vocalborn api` as operators run it (a real process, its real uvicorn options): security
headers on answers, and a request whose headers never finish gets 408 after the 10 s header
deadline instead of holding the connection (issue 13)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx

from tests.live.servers import start, wait_http
from tests.support.procs import child_env, free_port, vocalborn_cmd
from vocalborn.header_deadline import HEADER_TIMEOUT_SECONDS


def test_vocalborn_api_sets_headers_and_a_header_deadline(tmp_path: Path, redis_url: str) -> None:
    port = free_port()
    env = child_env(
        {
            "ENVIRONMENT": "dev",
            "DATA_DIR": str(tmp_path / "data"),
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "PROMETHEUS_ENABLED": "false",
        }
    )
    api = start(
        "api",
        vocalborn_cmd("api", "--port", str(port), "--migrate"),
        env,
        tmp_path / "api.log",
    )
    try:
        wait_http(api, f"http://127.0.0.1:{port}/healthz", timeout=60)
        resp = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert resp.headers["x-frame-options"] == "DENY"
        assert "script-src 'self';" in resp.headers["content-security-policy"]
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.settimeout(HEADER_TIMEOUT_SECONDS + 10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow")  # and nothing more
            start_at = time.monotonic()
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
            waited = time.monotonic() - start_at
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert HEADER_TIMEOUT_SECONDS - 1 < waited < HEADER_TIMEOUT_SECONDS + 5
        assert api.alive()
    finally:
        api.stop()
    # the data directory the command created is owner-only, and so is the dev database
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "data" / "vocalborn.db").stat().st_mode & 0o777 == 0o600
