"""The README's first command, minus the install: `vocalborn up` in an empty directory with no
configuration (embedded SQLite, private Redis), then `vocalborn status`, `health` and `demo` with
the real analyser, all finding the stack through the file `up` publishes (no Redis, database or
API variable set); Ctrl-C (SIGTERM) stops everything, removes the file and leaves no process
behind."""

from __future__ import annotations

import json
import os
import signal
import stat
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
        stack_file = tmp_path / ".vocalborn" / "stack.json"
        wait_for("vocalborn up to publish its stack file", stack_file.exists, 120)
        _commands_see_the_stack(stack_file, env, tmp_path, up.pid, port)
        demo = subprocess.run(  # no --api: the stack file says where the API is
            vocalborn_cmd("demo", "--timeout", "300"),
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
    assert not (tmp_path / ".vocalborn" / "stack.json").exists()


def _commands_see_the_stack(
    stack_file: Path, env: dict[str, str], cwd: Path, up_pid: int, api_port: int
) -> None:
    """`status` and `health` without any Redis, database or ENVIRONMENT variable see the
    running worker on the stack's private (password-protected) Redis."""
    assert stat.S_IMODE(stack_file.stat().st_mode) == 0o600
    stack = json.loads(stack_file.read_text())
    assert stack["pid"] == up_pid
    assert stack["api_url"] == f"http://127.0.0.1:{api_port}"
    broker = stack["env"]["CELERY_BROKER_URL"]
    assert broker.startswith("redis://:") and ":6379/" not in broker  # private, with a password
    private_port = broker.rsplit(":", 1)[1].split("/")[0]
    assert not any(k.startswith(("CELERY_", "DATABASE_")) or k == "ENVIRONMENT" for k in env)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            vocalborn_cmd(*args),
            cwd=cwd,
            env={**env, "COLUMNS": "200", "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=60,
        )

    status = run("status", "--json")
    assert status.returncode == 0, status.stderr
    online = [w for w in json.loads(status.stdout)["workers"] if w["status"] == "online"]
    assert online and "ai_analysis" in online[0]["queues"], status.stdout
    health = run("health", "--json")
    assert health.returncode == 0, health.stdout + health.stderr
    checks = {c["name"]: c for c in json.loads(health.stdout)["checks"]}
    assert checks["workers"]["ok"] and checks["redis"]["ok"]
    assert f"127.0.0.1:{private_port}/0" in checks["redis"]["detail"]
    assert "***" in checks["redis"]["detail"]  # the password is masked
