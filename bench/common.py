"""Shared set-up of the benchmarks: an isolated stack on this machine (loopback only).

`Stack` gives each run its own PostgreSQL database (built by the migrations) and Redis database
index (the test suite's isolation helpers), a seeded learner with as many recorded practice
records as asked for, a real `vocalborn api` (uvicorn) process and, on request, real Celery
worker processes. Everything is stopped and dropped at the end, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import insert
from tests.support.audio import tone_wav
from tests.support.services import postgres_database, redis_database

from vocalborn.accounts.models import Role
from vocalborn.accounts.service import create_user
from vocalborn.config import Settings
from vocalborn.db import make_engine, make_session_factory, utcnow
from vocalborn.migrate import upgrade
from vocalborn.practice.models import (
    Language,
    PracticeRecord,
    PracticeSession,
    RecordStatus,
    Sentence,
)
from vocalborn.worker.registry import live_workers

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
EMAIL, PASSWORD = "bench@vocalborn.tw", "correct horse battery"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(what: str, check: Callable[[], T | None], timeout: float = 60.0, every: float = 0.02) -> T:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(every)
    return value


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def summary(values: list[float]) -> str:
    return (
        f"p50 {ms(statistics.median(values))}  p95 {ms(pct(values, 0.95))}  "
        f"p99 {ms(pct(values, 0.99))}"
    )


def run_threads(n: int, work: Callable[[int], None]) -> float:
    """Run `work(i)` in n threads started together; wall seconds until all are done."""
    barrier = threading.Barrier(n + 1)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        barrier.wait()
        try:
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return elapsed


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@dataclass
class Stack:
    tmp: Path
    db_url: str
    redis_url: str
    env: dict[str, str]
    settings: Settings
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    base_url: str = ""
    records: list[str] = field(default_factory=list)
    user_id: str = ""

    # --- data ------------------------------------------------------------------------------
    def seed(
        self,
        n: int,
        audio_seconds: float = 0.5,
        audio: Path | None = None,
        text: str = "你好嗎",
        language: Language = Language.ZH_TW,
        reference: Path | None = None,
    ) -> list[str]:
        """`n` recorded practice records of the bench learner (bulk inserts), each of its own
        sentence (`text`, `language`, optional reference recording)."""
        engine = make_engine(self.db_url)
        factory = make_session_factory(engine)
        storage = self.settings.storage_dir
        (storage / "recordings").mkdir(parents=True, exist_ok=True)
        wav = (
            storage
            / "recordings"
            / f"bench-{uuid.uuid4().hex[:8]}{(audio or Path('x.wav')).suffix}"
        )
        if audio is None:
            tone_wav(wav, seconds=audio_seconds)
        else:
            wav.write_bytes(audio.read_bytes())
        rel = wav.relative_to(storage).as_posix()
        with factory() as db:
            if not self.user_id:
                user = create_user(
                    db, email=EMAIL, password=PASSWORD, name="Bench", role=Role.CLIENT
                )
                db.flush()
                self.user_id = str(user.user_id)
            session_id = uuid.uuid4()
            db.execute(insert(PracticeSession), [{"practice_session_id": session_id,
                                                  "user_id": uuid.UUID(self.user_id)}])  # fmt: skip
            ref_rel = None
            if reference is not None:
                ref_file = storage / "recordings" / f"ref-{uuid.uuid4().hex[:8]}{reference.suffix}"
                ref_file.write_bytes(reference.read_bytes())
                ref_rel = ref_file.relative_to(storage).as_posix()
            sentences = [{"sentence_id": uuid.uuid4(), "text": text, "language": language,
                          "reference_audio_path": ref_rel} for _ in range(n)]  # fmt: skip
            if sentences:
                db.execute(insert(Sentence), sentences)
            now = utcnow()
            rows = [
                {
                    "practice_record_id": uuid.uuid4(),
                    "practice_session_id": session_id,
                    "sentence_id": s["sentence_id"],
                    "audio_path": rel,
                    "audio_format": wav.suffix.lstrip("."),
                    "record_status": RecordStatus.RECORDED,
                    "created_at": now,
                    "updated_at": now,
                }
                for s in sentences
            ]
            if rows:
                db.execute(insert(PracticeRecord), rows)
            db.commit()
        engine.dispose()
        ids = [str(r["practice_record_id"]) for r in rows]
        self.records.extend(ids)
        return ids

    # --- processes -------------------------------------------------------------------------
    def start_api(self, workers: int = 1) -> str:
        port = free_port()
        cmd = [str(Path(sys.executable).parent / "vocalborn"), "api", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
        self.procs.append(_start(cmd, self.env, self.tmp / f"api-{port}.log"))
        self.base_url = f"http://127.0.0.1:{port}"
        wait("the API", lambda: _ok(f"{self.base_url}/healthz"), timeout=60)
        return self.base_url

    def start_worker(self, name: str, concurrency: int = 1, **env: str) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "celery", "-A", "vocalborn.worker.celery_app", "worker",
               "-Q", "ai_analysis,maintenance,health", "-c", str(concurrency), "-P", "prefork",
               "--include", "bench.noop", "--without-heartbeat", "--without-gossip",
               "--without-mingle", "-n", f"{name}@%h"]  # fmt: skip
        proc = _start(cmd, {**self.env, **env}, self.tmp / f"worker-{name}.log")
        self.procs.append(proc)
        from vocalborn.monitoring.health import redis_client

        client = redis_client(self.redis_url)
        wait(f"worker {name}", lambda: any(h.startswith(f"{name}@") for h in
                                           live_workers(client, 1.0)), timeout=90)  # fmt: skip
        client.close()
        return proc

    def token(self) -> dict[str, str]:
        resp = httpx.post(f"{self.base_url}/api/v1/auth/login",
                          json={"email": EMAIL, "password": PASSWORD}, timeout=30)  # fmt: skip
        resp.raise_for_status()
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}


@contextlib.contextmanager
def stack(name: str, **extra_env: str) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix=f"vb-{name}-") as tmpdir, postgres_database(
        f"vb_bench_{name}"
    ) as db_url, redis_database() as redis_url:  # fmt: skip
        tmp = Path(tmpdir)
        upgrade(db_url)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE_"))},
            "ENVIRONMENT": "test",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": db_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "STORAGE_DIR": str(tmp / "storage"),
            "DATA_DIR": str(tmp / "data"),
            "ANALYZER": "tests.support.analysers:SleepyAnalyser",
            # one bench learner queues thousands of analyses on purpose: no per-learner cap
            "MAX_ACTIVE_TASKS_PER_USER": "0",
            "WORKER_HEARTBEAT_SECONDS": "1",
            "WORKER_METRICS_PORT": "0",
            "LOG_LEVEL": "WARNING",
            "CELERY_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO),
            **extra_env,
        }
        fields = {k: v for k, v in env.items() if k in Settings.model_fields}
        settings = Settings(_env_file=None, **fields)  # type: ignore[arg-type]
        s = Stack(tmp, db_url, redis_url, env, settings)
        try:
            yield s
        finally:
            for proc in reversed(s.procs):
                _stop(proc)


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def header(title: str, note: str = "") -> None:
    print(f"\n== {title}" + (f"  ({note})" if note else ""))


def report(label: str, value: str) -> None:
    print(f"  {label:<58} {value}")


def as_dict(**kw: Any) -> dict[str, Any]:
    return kw
