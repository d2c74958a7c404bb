"""The stack file through which `vocalborn up` tells the other commands where its stack runs,
and `vocalborn demo` without a server: real `vocalborn` processes in a temporary directory.

The full path (a real `up`, then `status`/`health` seeing its worker) is in test_up_demo.py; these
tests pin the rules cheaply: a live file is adopted where the environment is silent, the
environment wins over it, a file whose `up` died is ignored, and the file is private and
replaced atomically.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.support.procs import child_env, free_port, vocalborn_cmd
from vocalborn.cli.common import read_stack, remove_stack, stack_path, write_stack


def _run(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> Any:
    return subprocess.run(
        vocalborn_cmd(*args),
        env={**env, "COLUMNS": "200", "NO_COLOR": "1"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _bare_env(**extra: str) -> dict[str, str]:
    """No Redis, database or environment variables: only what a stack file could supply."""
    env = child_env({})
    for name in ("ENVIRONMENT", "SECRET_KEY", "DATA_DIR", "STORAGE_DIR", "AI_SERVICE_URL"):
        env.pop(name, None)
    env.update(extra)
    return env


def _stack(pid: int, redis_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "pid": pid,
        "api_url": "http://127.0.0.1:1",
        "env": {
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'stack.db'}",
            "ENVIRONMENT": "dev",
        },
    }


def _checks(stdout: str) -> dict[str, str]:
    return {c["name"]: c["detail"] for c in json.loads(stdout)["checks"]}


def test_write_is_private_atomic_and_removal_only_by_its_owner(tmp_path: Path) -> None:
    data = tmp_path / ".vocalborn"
    path = write_stack(data, {"pid": os.getpid(), "env": {}})
    assert path == stack_path(data)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    write_stack(data, {"pid": os.getpid(), "env": {"ENVIRONMENT": "dev"}})
    assert [p.name for p in data.iterdir()] == ["stack.json"]  # no temporary file left
    assert read_stack(data) == {"pid": os.getpid(), "env": {"ENVIRONMENT": "dev"}}
    remove_stack(data, os.getpid() + 1)  # another stack's file: left alone
    assert path.exists()
    remove_stack(data, os.getpid())
    assert not path.exists()
    assert read_stack(data) is None


def test_commands_adopt_a_live_stack_and_the_environment_wins(
    tmp_path: Path, redis_url: str
) -> None:
    write_stack(tmp_path / ".vocalborn", _stack(os.getpid(), redis_url, tmp_path))
    adopted = _run(["health", "--json"], _bare_env(), tmp_path)
    # No ENVIRONMENT, SECRET_KEY or Redis variable: all from the file (exit 1: no worker there).
    assert adopted.returncode == 1, adopted.stderr
    assert "using the stack of `vocalborn up`" in adopted.stderr
    checks = _checks(adopted.stdout)
    assert checks["redis"].startswith(redis_url + ":"), checks
    assert (tmp_path / "stack.db").exists()  # the database check went to the file's database

    other = redis_url.rsplit("/", 1)[0] + "/0"
    explicit = _run(["health", "--json"], _bare_env(CELERY_BROKER_URL=other), tmp_path)
    checks = _checks(explicit.stdout)
    assert checks["redis"].startswith(other + ":"), checks  # the environment wins ...
    assert checks["redis (results, progress)"].startswith(redis_url + ":")  # ... per variable

    (tmp_path / ".env").write_text(f"CELERY_RESULT_BACKEND={other}\n")  # `.env` wins too
    from_dotenv = _run(["health", "--json"], _bare_env(), tmp_path)
    checks = _checks(from_dotenv.stdout)
    assert checks["redis"].startswith(redis_url + ":"), checks
    assert checks["redis (results, progress)"].startswith(other + ":"), checks


def test_a_stale_stack_file_is_ignored(tmp_path: Path, redis_url: str) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    write_stack(tmp_path / ".vocalborn", _stack(dead.pid, redis_url, tmp_path))
    stale = _run(["health", "--json"], _bare_env(ENVIRONMENT="dev"), tmp_path)
    assert "using the stack" not in stale.stderr
    assert _checks(stale.stdout)["redis"].startswith("redis://127.0.0.1:6379/0:")
    assert not (tmp_path / "stack.db").exists()


def test_a_second_up_on_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    write_stack(tmp_path / ".vocalborn", {"pid": os.getpid(), "env": {}})
    second = _run(["up", "--port", str(free_port())], _bare_env(), tmp_path)
    assert second.returncode == 1
    assert f"vocalborn up (pid {os.getpid()}) already runs on" in second.stderr
    assert read_stack(tmp_path / ".vocalborn") is not None  # the running stack's file stays


def test_demo_without_an_api_fails_fast_with_a_hint(tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    demo = _run(["demo", "--api", api], _bare_env(ENVIRONMENT="dev"), tmp_path, timeout=30)
    elapsed = time.monotonic() - started
    assert demo.returncode == 1
    text = " ".join((demo.stdout + demo.stderr).split())  # whatever the terminal wrapping
    assert f"no API at {api}" in text
    assert "start one with `vocalborn up` or run `vocalborn demo --start`" in text
    assert elapsed < 25
