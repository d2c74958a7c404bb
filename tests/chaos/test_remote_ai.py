"""A remote AI service that times out, answers 500/503 or drops the connection — a real local
HTTP server — behind a real worker in remote mode (`AI_SERVICE_URL`): DESIGN §4's retry table is
followed for each failure class, and the client's circuit breaker opens (attempts fail fast
without reaching the service), then closes again after its cooldown with one trial call.

The server decides per request from the sentence text (one text per scenario) and counts the
requests that reached it.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from sqlalchemy import func, select

from tests.e2e.harness import WORKER_ENV, EventLog, Live
from vocalborn.analysis.models import AnalysisResult
from vocalborn.analysis.retry import RETRY_JITTER, policy_for
from vocalborn.analyzer.types import AnalysisReport

SCALE = float(WORKER_ENV["TASK_RETRY_DELAY_SCALE"])
READ_TIMEOUT = 0.5
REPORT = AnalysisReport(
    overall_score=81.0,
    pronunciation_accuracy=None,
    fluency_score=77.0,
    rhythm_score=70.0,
    detailed_analysis={
        "phoneme_analysis": [],
        "timing_analysis": {},
        "pitch_analysis": {},
        "voice_quality": {},
    },
    sentence_analyses=[],
    suggestions=[],
    improvement_areas=[],
    analysis_model_version="flaky-remote-1",
    not_assessed={"pronunciation_accuracy": "remote test service"},
).to_dict()


class FlakyAIService(BaseHTTPRequestHandler):
    """`scripts[text]` = behaviour per request (then `default`): ok, 500, 503, slow, drop."""

    scripts: ClassVar[dict[str, list[str]]] = {}
    default: ClassVar[dict[str, str]] = {}
    hits: ClassVar[Counter[str]] = Counter()
    lock = threading.Lock()

    def log_message(self, *_args: object) -> None:
        pass

    def do_GET(self) -> None:  # /health
        self._answer(200, {"status": "ok", "analyser": "flaky", "version": "flaky-remote-1"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        match = re.search(rb'name="text"\r\n\r\n(.*?)\r\n--', body, re.S)
        text = match.group(1).decode() if match else ""
        with self.lock:
            self.hits[text] += 1
            script = self.scripts.get(text, [])
            mode = script.pop(0) if script else self.default.get(text, "ok")
        if mode == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()
            return
        if mode == "slow":
            time.sleep(READ_TIMEOUT * 3)
            return self._answer(200, REPORT)  # too late: the client has given up
        if mode in ("500", "503"):
            kind = "ai_service" if mode == "500" else ""
            return self._answer(
                int(mode), {"error": {"code": "boom", "message": "boom", "error_type": kind}}
            )
        self._answer(200, REPORT)

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def ai_url() -> Iterator[str]:
    FlakyAIService.scripts.clear()
    FlakyAIService.default.clear()
    FlakyAIService.hits.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyAIService)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _remote_env(url: str, threshold: int, cooldown: float) -> dict[str, str]:
    return {
        "ANALYZER": "auto",
        "AI_SERVICE_URL": url,
        "AI_SERVICE_CONNECT_TIMEOUT": "1",
        "AI_SERVICE_READ_TIMEOUT": str(READ_TIMEOUT),
        "AI_SERVICE_BREAKER_THRESHOLD": str(threshold),
        "AI_SERVICE_BREAKER_COOLDOWN": str(cooldown),
    }


def _submit(live: Live, headers: dict[str, str], text: str, session: list[str]) -> str:
    ids = live.recording(headers, session[0] if session else None, text=text)
    session[:] = [ids["session_id"]]
    return str(live.submit(headers, ids["record_id"])["task_id"])


def test_each_failure_of_the_service_follows_the_retry_table(
    live: Live, events: EventLog, ai_url: str
) -> None:
    # a breaker that never opens here: only the retry table decides
    live.start_worker("ai1", concurrency=2, **_remote_env(ai_url, threshold=1000, cooldown=1))
    _, headers = live.account()
    cases = {  # text: (server behaviour per request, final status, error class, retries)
        "answers-500": (["500"] * 4, "failure", "ai_service", 3),
        "times-out": (["slow"] * 3, "failure", "timeout", 2),
        "drops": (["drop"] * 6, "failure", "network", 5),
        "busy-then-ok": (["503", "503"], "success", None, 2),
    }
    session: list[str] = []
    tasks = {}
    for text, (script, *_rest) in cases.items():
        FlakyAIService.scripts[text] = list(script)
        tasks[text] = _submit(live, headers, text, session)

    for text, (_script, final, kind, retries) in cases.items():
        body = live.wait_status(headers, tasks[text], {"success", "failure"}, timeout=60)
        assert body["status"] == final, (text, body)
        assert body["retry_count"] == retries, (text, body)
        assert body["error_type"] == kind, (text, body)
        assert FlakyAIService.hits[text] == retries + 1, text  # every attempt reached it
        seq = events.of(tasks[text])
        retry_events = [e for e in seq if e["status"] == "retry"]
        policy = policy_for(kind or "network")
        # the table's countdowns, each shortened by the jitter that spreads a fleet of retries
        countdowns = [e["countdown"] for e in retry_events]
        assert len(countdowns) == retries, text
        for n, got in enumerate(countdowns):
            full = policy.countdown(n, SCALE)
            assert full * (1 - RETRY_JITTER) - 1e-6 <= got <= full + 1e-6, (text, n, got)
        assert [e["error_type"] for e in retry_events] == [kind or "network"] * retries, text
        if final == "failure":
            assert body["max_retries"] == policy.max_retries
            assert body["error_message"], text
    with live.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AnalysisResult)) == 1


def test_circuit_breaker_opens_fails_fast_and_closes_after_its_cooldown(
    live: Live, events: EventLog, ai_url: str
) -> None:
    # Shorter than the quickest the "up" task can spend its five retries (every countdown
    # jittered down to its floor), so a trial after the cooldown is always among them.
    network = policy_for("network")
    quickest = sum(network.countdown(n, SCALE) for n in range(network.max_retries))
    cooldown = 0.7 * quickest * (1 - RETRY_JITTER)
    live.start_worker("ai2", concurrency=1, **_remote_env(ai_url, threshold=3, cooldown=cooldown))
    _, headers = live.account()
    session: list[str] = []

    # 1. The service drops every connection: three failures open the circuit; later attempts
    #    fail fast without reaching it (network class: 5 retries, exponential).
    FlakyAIService.default["down"] = "drop"
    down = _submit(live, headers, "down", session)
    body = live.wait_status(headers, down, {"success", "failure"}, timeout=60)
    assert body["status"] == "failure" and body["error_type"] == "network", body
    assert body["retry_count"] == 5
    messages = [e.get("error_message", "") for e in events.of(down) if e["status"] == "retry"]
    assert any("circuit open" in m for m in messages), messages
    # six attempts, but at most the three that opened it and one trial after the cooldown
    assert 3 <= FlakyAIService.hits["down"] < 6, FlakyAIService.hits

    # 2. The service is back: once the cooldown has passed, one trial request goes through and
    #    closes the circuit; earlier attempts of this task failed fast and were retried.
    up = _submit(live, headers, "up", session)
    body = live.wait_status(headers, up, {"success", "failure"}, timeout=60)
    assert body["status"] == "success", body
    assert FlakyAIService.hits["up"] == 1

    # 3. Closed: the next analysis reaches the service at its first attempt.
    closed = _submit(live, headers, "closed", session)
    body = live.wait_status(headers, closed, {"success", "failure"}, timeout=30)
    assert body["status"] == "success" and body["retry_count"] == 0, body
    assert FlakyAIService.hits["closed"] == 1
    assert list(itertools.chain.from_iterable(FlakyAIService.scripts.values())) == []
