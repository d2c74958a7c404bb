"""The README's first command, minus the install: `vocalborn up` in an empty directory with no
configuration (embedded SQLite, private Redis), then `vocalborn demo` with the real analyser;
Ctrl-C (SIGTERM) stops everything and leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.procs import child_env, free_port, vocalborn_cmd, wait_for

pytestmark = pytest.mark.e2e


def _descendants(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        child, parent = (int(x) for x in line.split())
        children.setdefault(parent, []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive.add(pid)
        except ProcessLookupError:
            pass
    return alive


def test_up_then_demo_on_embedded_defaults(tmp_path: Path) -> None:
    env = child_env({})
    for name in ("ENVIRONMENT", "SECRET_KEY", "DATA_DIR", "STORAGE_DIR", "ANALYZER"):
        env.pop(name, None)
    port = free_port()
    log = (tmp_path / "up.log").open("wb")
    up = subprocess.Popen(
        vocalborn_cmd("up", "--port", str(port)),
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:

        def ready() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for("the stack started by vocalborn up", ready, 120)
        tree = _descendants(up.pid)
        assert len(tree) >= 4  # api, worker (+ pool), beat, redis
        demo = subprocess.run(
            vocalborn_cmd("demo", "--api", f"http://127.0.0.1:{port}", "--timeout", "300"),
            cwd=tmp_path,
            env={**env, "ENVIRONMENT": "dev"},
            capture_output=True,
            text=True,
            timeout=420,
        )
        assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
        text = demo.stdout + demo.stderr
        assert "Every analysis succeeded" in text
        assert "overall score" in text and "我今天很好" in text
        # per sample: flagged items with what was heard (or all heard), and the reasons
        assert "heard" in text
        assert "not assessed, segmental accuracy" in text
        assert (tmp_path / ".vocalborn" / "vocalborn.db").exists()
        assert list((tmp_path / ".vocalborn" / "redis").rglob("*.aof*"))
    finally:
        tree = _descendants(up.pid) if up.poll() is None else set()
        up.send_signal(signal.SIGTERM)
        try:
            code = up.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
            raise
        finally:
            log.close()
    assert code == 0, (tmp_path / "up.log").read_text()[-3000:]
    wait_for("every child of vocalborn up to exit", lambda: not _alive(tree), 30)
