"""`vocalborn up`: the whole stack as child processes of one command, for a laptop or a demo.

Embedded defaults when nothing is configured: SQLite under DATA_DIR and a private Redis with
append-only persistence. Children are started in their own process groups, their output is
prefixed and streamed, and Ctrl-C/SIGTERM stops them all (workers before Redis, so nothing in
flight is lost). If any child dies, the rest are stopped too: a half-running stack is worse than
a clear failure.

Once the API answers /readyz and a worker has a heartbeat, the stack's URLs (private Redis with
its password, database, API) are published in DATA_DIR/stack.json for the other `vocalborn`
commands (see `vocalborn.cli.common`); the file is removed when the stack stops. A second `up` on
the same data directory is refused: it would share the SQLite file and the Redis directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from vocalborn.cli.common import read_stack, remove_stack, stack_path, write_stack
from vocalborn.devstack import redis_server
from vocalborn.worker.names import ANALYSIS_QUEUE

if TYPE_CHECKING:
    from vocalborn.config import Settings

COLOURS = {
    "api": "\033[36m",
    "worker": "\033[32m",
    "beat": "\033[35m",
    "flower": "\033[33m",
    "redis": "\033[31m",
}
RESET = "\033[0m"


@dataclass
class Child:
    name: str
    args: list[str]
    process: subprocess.Popen[bytes] | None = None
    pump: threading.Thread | None = field(default=None, repr=False)


def _pump(name: str, stream: IO[bytes], out: IO[str], colour: bool) -> None:
    prefix = f"{COLOURS.get(name, '')}{name:>6} |{RESET} " if colour else f"{name:>6} | "
    for raw in iter(stream.readline, b""):
        out.write(prefix + raw.decode(errors="replace"))
        out.flush()


class Stack:
    def __init__(self, children: Sequence[Child], env: dict[str, str], cwd: Path) -> None:
        self.children = list(children)
        self.env = env
        self.cwd = cwd
        self.stopping = threading.Event()

    def start(self) -> None:
        colour = sys.stdout.isatty()
        for child in self.children:
            child.process = subprocess.Popen(
                [sys.executable, "-m", "vocalborn", *child.args],
                env=self.env,
                cwd=self.cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            assert child.process.stdout is not None
            child.pump = threading.Thread(
                target=_pump,
                daemon=True,
                args=(child.name, child.process.stdout, sys.stdout, colour),
            )
            child.pump.start()

    def wait(self, until_ready: Callable[[], bool] | None = None) -> int:
        """Block until a signal or a child's death; returns the exit code for `up`.
        `until_ready` is called on every round until it returns True."""
        while not self.stopping.is_set():
            for child in self.children:
                assert child.process is not None
                code = child.process.poll()
                if code is not None:
                    print(
                        f"!! {child.name} exited with code {code}; stopping the stack",
                        file=sys.stderr,
                    )
                    return 1
            if until_ready is not None and until_ready():
                until_ready = None
            self.stopping.wait(0.5)
        return 0

    def stop(self, grace: float = 20.0) -> None:
        self.stopping.set()
        alive = [c for c in self.children if c.process and c.process.poll() is None]
        for child in alive:
            _signal_group(child.process, signal.SIGTERM)  # type: ignore[arg-type]
        deadline = time.monotonic() + grace
        for child in alive:
            assert child.process is not None
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child.process, signal.SIGKILL)
                child.process.wait(5)
        for child in self.children:
            if child.pump:
                child.pump.join(2)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def run_stack(
    *,
    data_dir: Path,
    host: str,
    port: int,
    flower: bool,
    flower_port: int,
    concurrency: int | None,
    env: dict[str, str],
) -> int:
    """Start everything, print where it is, block until Ctrl-C/SIGTERM; returns the exit code."""
    from vocalborn.config import Settings
    from vocalborn.migrate import upgrade

    other = read_stack(data_dir)
    if other is not None and other["pid"] != os.getpid():
        print(
            f"!! vocalborn up (pid {other['pid']}) already runs on {data_dir}; stop it first "
            "or give this one another --data-dir",
            file=sys.stderr,
        )
        return 1
    env = dict(env)
    env.setdefault("ENVIRONMENT", "dev")
    env["DATA_DIR"] = str(data_dir)
    redis_proc = None
    if not env.get("CELERY_BROKER_URL"):
        redis_proc = redis_server.start(data_dir / "redis")
        env["CELERY_BROKER_URL"] = redis_proc.url(0)
        env["CELERY_RESULT_BACKEND"] = redis_proc.url(1)
        print(
            f"   redis | private Redis on 127.0.0.1:{redis_proc.port} "
            f"(append-only in {data_dir / 'redis'})"
        )
    elif not env.get("CELERY_RESULT_BACKEND"):
        env["CELERY_RESULT_BACKEND"] = env["CELERY_BROKER_URL"].rsplit("/", 1)[0] + "/1"

    # A fixed metrics port would collide with another stack or worker on the same machine.
    env.setdefault("WORKER_METRICS_PORT", str(redis_server.free_port()))
    settings = Settings(_env_file=None, **_settings_from(env))  # type: ignore[arg-type]
    upgrade(settings.database_url)
    children = [
        Child("api", ["api", "--host", host, "--port", str(port)]),
        Child("worker", ["worker"] + (["--concurrency", str(concurrency)] if concurrency else [])),
        Child("beat", ["beat"]),
    ]
    if flower:
        children.append(Child("flower", ["flower", "--port", str(flower_port)]))
    stack = Stack(children, env, Path.cwd())

    def _on_signal(signum: int, _frame: object) -> None:
        stack.stopping.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    api_url = f"http://{shown}:{port}"
    published = {
        "pid": os.getpid(),
        "api_url": api_url,
        "flower_url": f"http://{shown}:{flower_port}" if flower else None,
        "data_dir": str(data_dir),
        "env": {
            "CELERY_BROKER_URL": env["CELERY_BROKER_URL"],
            "CELERY_RESULT_BACKEND": env["CELERY_RESULT_BACKEND"],
            "DATABASE_URL": settings.database_url,
            "ENVIRONMENT": env["ENVIRONMENT"],
        },
    }

    def publish_when_ready() -> bool:
        if not _stack_ready(api_url, settings):
            return False
        write_stack(data_dir, published)
        print(f"   stack | ready; URLs for the other vocalborn commands in {stack_path(data_dir)}")
        return True

    try:
        stack.start()
        print(f"     api | {api_url}/  (docs /docs, metrics /metrics)")
        print(f"      db | {settings.database_url.split('@')[-1]}")
        print(f" metrics | worker: http://127.0.0.1:{env['WORKER_METRICS_PORT']}/metrics")
        if flower:
            print(f"  flower | http://{shown}:{flower_port}/")
        print("          Ctrl-C stops everything.")
        code = stack.wait(publish_when_ready)
    finally:
        remove_stack(data_dir, os.getpid())  # first: no command should use a stopping stack
        stack.stop()
        if redis_proc is not None:
            redis_proc.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _stack_ready(api_url: str, settings: Settings) -> bool:
    """The API is ready (database and Redis) and a worker of the analysis queue has a heartbeat."""
    import httpx
    import redis

    from vocalborn.redis_conn import connect
    from vocalborn.worker.registry import live_workers

    try:
        if httpx.get(f"{api_url}/readyz", timeout=2).status_code != 200:
            return False
    except httpx.HTTPError:
        return False
    client = connect(settings.progress_redis_url, settings.REDIS_SENTINEL_MASTER, timeout=2)
    try:
        workers = live_workers(client, settings.WORKER_HEARTBEAT_SECONDS)
    except redis.RedisError:
        return False
    finally:
        client.close()
    return any(ANALYSIS_QUEUE in w.queues for w in workers.values())


def _settings_from(env: dict[str, str]) -> dict[str, str]:
    from vocalborn.config import Settings

    return {k: v for k, v in env.items() if k in Settings.model_fields}
