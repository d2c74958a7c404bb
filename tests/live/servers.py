"""Real server processes for live/ops tests: the API under uvicorn, and helpers to wait for
ports and stop process groups. Every process is started in its own session and killed as a
group, so nothing outlives the test."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.e2e.harness import REPO, wait_for
from tests.support.procs import free_port


@dataclass
class Proc:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def start(name: str, cmd: list[str], env: dict[str, str], log: Path) -> Proc:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Proc(name, proc, log)


def wait_http(proc: Proc, url: str, timeout: float = 60.0, **kwargs: object) -> None:
    def ready() -> bool:
        if not proc.alive():
            raise AssertionError(f"{proc.name} exited:\n{proc.tail()}")
        try:
            return httpx.get(url, timeout=2.0, **kwargs).status_code < 500  # type: ignore[arg-type]
        except httpx.HTTPError:
            return False

    wait_for(f"{proc.name} at {url}", ready, timeout)


@dataclass
class ApiServer:
    proc: Proc
    url: str

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1)


def start_api(env: dict[str, str], tmp: Path, port: int | None = None) -> ApiServer:
    port = port or free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", "vocalborn.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    proc = start("api", cmd, env, tmp / f"api-{port}.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(proc, f"{url}/healthz")
    except BaseException:
        proc.stop()
        raise
    return ApiServer(proc, url)


def deadline(seconds: float) -> float:
    return time.monotonic() + seconds
