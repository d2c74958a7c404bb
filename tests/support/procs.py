"""Start real `vocalborn` (and `celery`) processes for tests and always stop them (whole process
group); poll for what they do with deadlines."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def vocalborn_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "vocalborn", *args]


def celery_worker_cmd(queues: str, hostname: str) -> list[str]:
    """One solo-pool worker process, quiet on the broker (no mingle, no gossip)."""
    return [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "vocalborn.worker.celery_app",
        "worker",
        "-Q",
        queues,
        "-n",
        hostname,
        "--pool",
        "solo",
        "--loglevel",
        "INFO",
        "--without-mingle",
        "--without-gossip",
    ]


class Proc:
    """A process in its own session (so it is stopped with its children), its output in a log
    file."""

    def __init__(
        self, cmd: list[str], env: Mapping[str, str], log: Path, cwd: Path | None = None
    ) -> None:
        self.log_path = log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                cmd,
                env=dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the process group (a dead leader: no clean shutdown)."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM the process group; SIGKILL it if it is still there 20 s later."""
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(30)
        except ProcessLookupError:
            pass


@contextmanager
def running(
    cmd: list[str], env: Mapping[str, str], log: Path, cwd: Path | None = None
) -> Iterator[Proc]:
    proc = Proc(cmd, env, log, cwd)
    try:
        yield proc
    finally:
        proc.stop()


def wait_for(
    what: str,
    probe: Callable[[], T],
    timeout: float = 90.0,
    interval: float = 0.2,
    proc: Proc | None = None,
) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` (and the log of `proc`,
    or at once if it exited) at the deadline. Deadlines are generous: the machine is shared."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if proc is not None and proc.popen.poll() is not None:
            raise AssertionError(
                f"process exited ({proc.popen.returncode}) while waiting for "
                f"{what}:\n{proc.output()[-4000:]}"
            )
        if time.monotonic() > deadline:
            tail = f"\n--- log ---\n{proc.output()[-4000:]}" if proc else ""
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}{tail}")
        time.sleep(interval)


def http_ready(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    return check
