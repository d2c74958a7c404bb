"""Real worker processes, a committing in-process API and helpers to drive them.

Workers are `celery worker` subprocesses in their own process group (killed as a group, pool
children included); the API is `create_app(settings)` under a TestClient with no dependency
override, so every request really commits to the run's PostgreSQL database.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import TEST_SECRET, make_settings
from tests.support import procs
from tests.support.audio import tone_wav
from vocalborn.accounts.models import Role
from vocalborn.accounts.service import create_user
from vocalborn.config import Settings
from vocalborn.db import make_session_factory
from vocalborn.practice.models import Language, Sentence
from vocalborn.worker.registry import live_workers

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")

# Small limits so retries, redelivery and the reaper take seconds, and consistent with the
# settings' own check: visibility timeout > hard limit + longest scaled retry countdown.
WORKER_ENV = {
    "ENVIRONMENT": "test",
    "SECRET_KEY": TEST_SECRET,
    "ANALYZER": "tests.support.analysers:SleepyAnalyser",
    # chaos and recovery tests queue many analyses for one learner: no per-learner cap
    "MAX_ACTIVE_TASKS_PER_USER": "0",
    "CELERY_TASK_TIME_LIMIT": "6",
    "CELERY_TASK_SOFT_TIME_LIMIT": "5",
    "CELERY_VISIBILITY_TIMEOUT": "10",
    "TASK_RETRY_DELAY_SCALE": "0.005",
    "WORKER_HEARTBEAT_SECONDS": "1",
    "REAPER_PUBLISH_GRACE_SECONDS": "0",
    "CELERY_LOG_LEVEL": "INFO",
    # No fixed metrics port: parallel workers (and test runs) would fight over 9808.
    "WORKER_METRICS_PORT": "0",
}


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll `check` until it returns something truthy; fail with `what` at the deadline.
    The pipeline's events come fast: a shorter default deadline and a finer interval."""
    return procs.wait_for(what, check, timeout, interval=0.05)  # type: ignore[return-value]


def worker_environment(
    tmp: Path, live_db_url: str, redis_url: str, overrides: dict[str, str] | None = None
) -> tuple[Settings, dict[str, str]]:
    """The in-process API's settings and the worker processes' environment, both from
    WORKER_ENV (with `overrides`) on the run's database and Redis, sharing one storage directory
    (the API stores the uploads the workers read)."""
    worker_env = {**WORKER_ENV, **(overrides or {})}
    settings = make_settings(
        tmp,
        live_db_url,
        redis_url,
        **{k: v for k, v in worker_env.items() if k not in ("ENVIRONMENT", "SECRET_KEY")},
    )
    env = {
        **os.environ,
        **worker_env,
        "DATABASE_URL": live_db_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "STORAGE_DIR": str(settings.storage_dir),
        "DATA_DIR": str(tmp / "worker-data"),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    return settings, env


@dataclass
class Worker:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def hostname(self) -> str:
        return f"{self.name}@{socket.gethostname()}"

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Live:
    tmp: Path
    env: dict[str, str]
    client: TestClient
    engine: Engine
    redis: redis.Redis
    workers: list[Worker] = field(default_factory=list)

    def start_worker(
        self, name: str = "w1", concurrency: int = 1, via_cli: bool = False, **env: str
    ) -> Worker:
        log = self.tmp / f"{name}.log"
        quiet = ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        if via_cli:  # the `vocalborn worker` command
            cmd = [str(Path(sys.executable).parent / "vocalborn"), "worker",
                   "-c", str(concurrency), "-n", f"{name}@%h", *quiet]  # fmt: skip
        else:
            cmd = [
                sys.executable, "-m", "celery", "-A", "vocalborn.worker.celery_app", "worker",
                "-Q", "ai_analysis,maintenance,health", "-c", str(concurrency), "-P", "prefork",
                *quiet, "-n", f"{name}@%h", "--loglevel", "INFO",
            ]  # fmt: skip
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd,
                env={**self.env, **env},
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(name, proc, log)
        self.workers.append(worker)

        def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"worker {name} exited:\n{worker.tail()}")
            return worker.hostname in live_workers(self.redis, 1.0)

        wait_for(f"worker {name} to register", ready, timeout=45)
        return worker

    def stop_all(self) -> None:
        for w in self.workers:
            w.kill()
        self.workers.clear()

    # --- data -----------------------------------------------------------------------------
    def account(self, role: Role = Role.CLIENT) -> tuple[str, dict[str, str]]:
        email = f"{role.value}-{uuid.uuid4().hex[:8]}@vocalborn.tw"
        with make_session_factory(self.engine)() as db:
            user = create_user(
                db, email=email, password="correct horse battery", name="E", role=role
            )
            db.commit()
            user_id = str(user.user_id)
        resp = self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": "correct horse battery"}
        )
        assert resp.status_code == 200, resp.text
        return user_id, {"Authorization": f"Bearer {resp.json()['access_token']}"}

    def recording(
        self, headers: dict[str, str], session_id: str | None = None, text: str = "你好嗎"
    ) -> dict[str, str]:
        """A new sentence and an uploaded recording of it; returns ids."""
        with make_session_factory(self.engine)() as db:
            sentence = Sentence(text=text, language=Language.ZH_TW)
            db.add(sentence)
            db.commit()
            sentence_id = str(sentence.sentence_id)
        if session_id is None:
            resp = self.client.post("/api/v1/practice/sessions", headers=headers)
            assert resp.status_code == 201, resp.text
            session_id = resp.json()["practice_session_id"]
        wav = tone_wav(self.tmp / f"{uuid.uuid4().hex}.wav", seconds=1.0)
        with wav.open("rb") as f:
            resp = self.client.put(
                f"/api/v1/practice/sessions/{session_id}/recordings/{sentence_id}",
                headers=headers,
                files={"file": ("a.wav", f, "audio/wav")},
            )
        assert resp.status_code == 200, resp.text
        return {
            "session_id": session_id,
            "sentence_id": sentence_id,
            "record_id": resp.json()["practice_record_id"],
        }

    def submit(self, headers: dict[str, str], record_id: str, **test: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"include_suggestions": True}
        if test:
            params["test"] = test
        resp = self.client.post(
            "/api/v1/tasks/analysis/submit",
            headers=headers,
            json={"practice_record_id": record_id, "parameters": params},
        )
        assert resp.status_code == 202, resp.text
        return dict(resp.json())

    def status(self, headers: dict[str, str], task_id: str) -> dict[str, Any]:
        resp = self.client.get(f"/api/v1/tasks/analysis/{task_id}/status", headers=headers)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def wait_status(
        self, headers: dict[str, str], task_id: str, statuses: set[str], timeout: float = 30
    ) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            body = self.status(headers, task_id)
            return body if body["status"] in statuses else None

        try:
            return wait_for(f"task {task_id} to reach {statuses}", check, timeout)
        except AssertionError as exc:
            logs = "\n".join(f"--- {w.name}\n{w.tail()}" for w in self.workers)
            raise AssertionError(
                f"{exc}; last status {self.status(headers, task_id)}\n{logs}"
            ) from None


class EventLog:
    """Every message on every task's events channel, in order (pattern subscription)."""

    def __init__(self, client: redis.Redis) -> None:
        self.pubsub = client.pubsub()
        self.pubsub.psubscribe("vocalborn:task:*:events")
        wait_for("subscription", lambda: self.pubsub.get_message(timeout=0.1))
        self.events: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        while (msg := self.pubsub.get_message(timeout=0.01)) is not None:
            if msg["type"] == "pmessage":
                self.events.append(json.loads(msg["data"]))
        return self.events

    def of(self, task_id: str) -> list[dict[str, Any]]:
        return [e for e in self.drain() if e["task_id"] == task_id]

    def close(self) -> None:
        self.pubsub.close()
