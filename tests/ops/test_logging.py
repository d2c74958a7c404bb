"""Structured logs: JSON lines with task_id and worker on task lines (a real worker), text
otherwise."""

from __future__ import annotations

import io
import json
import logging
import re

import httpx
import pytest

from tests.conftest import make_settings
from tests.e2e.harness import Live, wait_for
from tests.support.procs import free_port
from vocalborn import logs


@pytest.fixture
def restore_root():  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_and_text_formats(tmp_path, restore_root) -> None:  # type: ignore[no-untyped-def]
    stream = io.StringIO()
    settings = make_settings(tmp_path, "sqlite://", "redis://127.0.0.1:1/0", LOG_FORMAT="json")
    logs.configure_logging(settings, stream=stream)
    logs.configure_logging(settings, stream=stream)  # idempotent: still one handler of ours
    log = logging.getLogger("vocalborn.test")
    log.info("outside %s", "a task")
    tokens = logs.bind_task("t-1", "vocalborn.analysis.analyze_audio")
    logs.set_worker_name("w1@host")
    try:
        log.warning("inside", extra={"step": "loading_audio"})
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    finally:
        logs.unbind_task(tokens)
        logs.set_worker_name(None)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3
    outside, inside, failed = lines
    assert outside["message"] == "outside a task" and outside["level"] == "INFO"
    assert outside["logger"] == "vocalborn.test" and "task_id" not in outside
    assert outside["timestamp"].endswith("+00:00")
    assert inside["task_id"] == "t-1" and inside["worker"] == "w1@host"
    assert inside["task_name"] == "vocalborn.analysis.analyze_audio"
    assert inside["step"] == "loading_audio"
    assert "ValueError: boom" in failed["exc_info"]

    text = io.StringIO()
    logs.configure_logging(
        make_settings(tmp_path, "sqlite://", "redis://127.0.0.1:1/0"), stream=text
    )
    tokens = logs.bind_task("t-2", "x")
    try:
        log.warning("plain")
    finally:
        logs.unbind_task(tokens)
    line = text.getvalue().strip()
    assert "WARNING" in line and "plain" in line and "task_id=t-2" in line
    assert not line.startswith("{")
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+08:00 WARNING", line), line


def test_tokens_in_query_strings_never_reach_the_access_log(tmp_path, restore_root) -> None:  # type: ignore[no-untyped-def]
    stream = io.StringIO()
    settings = make_settings(tmp_path, "sqlite://", "redis://127.0.0.1:1/0", LOG_FORMAT="json")
    logs.configure_logging(settings, stream=stream)
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO)
    path = "/api/v1/tasks/analysis/x/events?token=eyJhbGciOi.secret.sig&x=1"
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", path, "1.1", 200)
    line = json.loads(stream.getvalue())
    assert "secret" not in line["message"]
    assert "events?token=***&x=1" in line["message"]


@pytest.mark.e2e
def test_worker_task_lines_are_json_with_task_id_and_worker(live: Live) -> None:
    # also: PROMETHEUS_ENABLED=false starts no exporter even with a port configured
    port = free_port()
    worker = live.start_worker(
        "w1", LOG_FORMAT="json", PROMETHEUS_ENABLED="false", WORKER_METRICS_PORT=str(port)
    )
    _, headers = live.account()
    attempts = str(live.tmp / "attempts.jsonl")
    task_id = live.submit(
        headers, live.recording(headers)["record_id"], fail=["network"], record_to=attempts
    )["task_id"]
    live.wait_status(headers, task_id, {"success"})

    def task_lines() -> list[dict] | None:
        lines = [json.loads(x) for x in worker.log.read_text().splitlines() if x.startswith("{")]
        mine = [x for x in lines if x.get("task_id") == task_id]
        return mine if any("succeeded" in x["message"] for x in mine) else None

    mine = wait_for("the task's log lines", task_lines, timeout=30)
    assert all(x["worker"] == worker.hostname for x in mine)
    messages = " | ".join(x["message"] for x in mine)
    assert "received" in messages  # main process line, id taken from Celery's arguments
    assert "network error, retry" in messages  # our own warning inside the task
    # every JSON line that names the task carries it as a field
    every = [json.loads(x) for x in worker.log.read_text().splitlines() if x.startswith("{")]
    assert all(x.get("task_id") == task_id for x in every if task_id in x["message"])
    assert all({"timestamp", "level", "logger", "message"} <= set(x) for x in every)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert not (live.tmp / "worker-data" / "metrics").exists()
