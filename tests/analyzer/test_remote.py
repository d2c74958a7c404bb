"""Remote mode against real local servers: the AI service itself and one that misbehaves."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.served import serve
from vocalborn.analyzer.breaker import CircuitBreaker
from vocalborn.analyzer.errors import (
    AIServiceError,
    AnalysisTimeout,
    AudioFileError,
    NetworkError,
    ParameterError,
)
from vocalborn.analyzer.http_service import create_ai_service_app
from vocalborn.analyzer.remote import RemoteAnalyser
from vocalborn.analyzer.types import AnalysisRequest
from vocalborn.config import Settings

from .conftest import EN, needs_espeak, needs_sox

KEY = "test-key-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(url: str, key: str | None = KEY, read_timeout: float = 60.0) -> Settings:
    return Settings(
        ENVIRONMENT="test",
        SECRET_KEY=None,
        AI_SERVICE_URL=url,
        AI_SERVICE_API_KEY=key,
        AI_SERVICE_CONNECT_TIMEOUT=2.0,
        AI_SERVICE_READ_TIMEOUT=read_timeout,
    )


@pytest.fixture(scope="module")
def service_url(analyser) -> Iterator[str]:
    app = create_ai_service_app(_settings("http://unused", KEY), analyser)
    with serve(app, log_level="warning") as port:
        yield f"http://127.0.0.1:{port}"


def _req(path: Path, ref: Path | None = None, language: str = "en") -> AnalysisRequest:
    return AnalysisRequest(path, EN, language, ref)  # type: ignore[arg-type]


def test_health(service_url):
    client = RemoteAnalyser(_settings(service_url))
    info = client.health()
    assert info["status"] == "ok" and info["version"].startswith("vocalborn-offline")
    client.warm_up()


@needs_espeak
@needs_sox
def test_remote_report_equals_the_offline_one(service_url, espeak, analyser):
    learner, ref = espeak("rem_en", EN), espeak("rem_en_ref", EN, speed=130)
    steps: list[float] = []
    remote = RemoteAnalyser(_settings(service_url)).analyse(
        _req(learner, ref), lambda _s, f: steps.append(f)
    )
    local = analyser.analyse(_req(learner, ref), lambda _s, _f: None)
    assert remote.to_dict() == json.loads(json.dumps(local.to_dict()))
    assert steps and steps[-1] == 1.0
    # the second listener's fields travel over the contract too
    assert {"intelligibility", "listener"} <= set(remote.detailed_analysis)
    assert "whisper" in remote.analysis_model_version
    assert all(
        {"heard", "said", "gop_status"} <= set(it) for it in remote.sentence_analyses[0]["items"]
    )


def test_wrong_api_key_is_refused(service_url, tmp_path):
    client = RemoteAnalyser(_settings(service_url, key="wrong"))
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    with pytest.raises(AIServiceError, match="API key"):
        client.analyse(_req(tmp_path / "a.wav"), lambda _s, _f: None)


def test_remote_file_and_validation_errors_pass_through(service_url, tmp_path, espeak):
    client = RemoteAnalyser(_settings(service_url))
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioFileError, match="empty"):
        client.analyse(_req(tmp_path / "empty.wav"), lambda _s, _f: None)
    (tmp_path / "text.wav").write_text("not a recording " * 100)
    with pytest.raises(AudioFileError, match="not audio"):
        client.analyse(_req(tmp_path / "text.wav"), lambda _s, _f: None)
    with pytest.raises(ParameterError, match="language"):
        client.analyse(_req(tmp_path / "text.wav", language="es"), lambda _s, _f: None)
    assert client.breaker.state == "closed"  # the service answered: it is healthy


class _Misbehaving(BaseHTTPRequestHandler):
    mode = "500"
    hits = 0

    def log_message(self, *_args: object) -> None:
        pass

    def do_POST(self) -> None:
        type(self).hits += 1
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        mode = type(self).mode
        if mode == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()
            return
        if mode == "slow":
            time.sleep(1.5)
        status, body = {
            "500": (
                500,
                {"error": {"code": "boom", "message": "boom", "error_type": "ai_service"}},
            ),
            "503": (503, {"error": {"code": "busy", "message": "overloaded", "error_type": ""}}),
            "garbage": (200, {"not": "a report"}),
            "slow": (500, {}),
        }[mode]
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except BrokenPipeError:
            pass  # the client timed out first, as the "slow" mode intends


@pytest.fixture(scope="module")
def bad_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "x.wav"
    path.write_bytes(b"RIFF0000WAVE")
    return path


@pytest.mark.parametrize(
    ("mode", "error", "text"),
    [
        ("500", AIServiceError, "HTTP 500"),
        ("503", NetworkError, "HTTP 503"),
        ("drop", NetworkError, "cannot reach"),
        ("slow", AnalysisTimeout, "in time"),
        ("garbage", AIServiceError, "unreadable"),
    ],
)
def test_failures_map_to_their_class(bad_url, wav, mode, error, text):
    _Misbehaving.mode = mode
    client = RemoteAnalyser(_settings(bad_url, read_timeout=0.5))
    with pytest.raises(error, match=text):
        client.analyse(_req(wav), lambda _s, _f: None)


def test_connection_refused_is_a_network_error(wav):
    client = RemoteAnalyser(_settings(f"http://127.0.0.1:{_free_port()}"))
    with pytest.raises(NetworkError):
        client.analyse(_req(wav), lambda _s, _f: None)


def test_circuit_opens_fails_fast_and_recovers_after_cooldown(bad_url, wav, service_url):
    now = [1000.0]
    breaker = CircuitBreaker(threshold=3, cooldown=30.0, clock=lambda: now[0])
    _Misbehaving.mode = "503"
    client = RemoteAnalyser(_settings(bad_url), breaker=breaker)
    before = _Misbehaving.hits
    for _ in range(3):
        with pytest.raises(NetworkError, match="HTTP 503"):
            client.analyse(_req(wav), lambda _s, _f: None)
    assert breaker.state == "open"
    with pytest.raises(NetworkError, match="circuit open"):
        client.analyse(_req(wav), lambda _s, _f: None)
    assert _Misbehaving.hits == before + 3  # failed fast, never reached the server
    now[0] += 31
    assert breaker.state == "half-open"
    with pytest.raises(NetworkError, match="HTTP 503"):  # the trial call fails: open again
        client.analyse(_req(wav), lambda _s, _f: None)
    assert breaker.state == "open" and _Misbehaving.hits == before + 4
    now[0] += 31
    healthy = RemoteAnalyser(_settings(service_url), breaker=breaker)
    assert healthy.health()["status"] == "ok"  # a successful trial closes the circuit
    assert breaker.state == "closed"
