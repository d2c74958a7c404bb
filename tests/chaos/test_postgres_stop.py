"""Stop PostgreSQL (a private cluster started by the test with `pg_ctl`) while learners submit
and a worker analyses: the API answers 503 with the error shape, never a 500; after the restart
the submissions go through and every task, queued or interrupted, completes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from tests.chaos.conftest import live_stack
from tests.e2e.harness import Live, wait_for
from tests.support.procs import free_port
from vocalborn.migrate import upgrade

SUBMITTERS = 2
RECORDS = 14
TERMINAL = {"success", "failure", "cancelled"}


def _pg_bin(name: str) -> str | None:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@dataclass
class PrivatePostgres:
    """A throw-away cluster in a temp dir owned by the `postgres` OS user (initdb refuses
    root), listening on 127.0.0.1 only, on a free port."""

    root: Path
    port: int
    as_user: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run(_pg_bin("initdb") or "initdb", "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.root} -c fsync=off -c max_connections=60"
        )
        self._run(_pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data), "-l",
                  str(self.root / "pg.log"), "-o", options, "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(_pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data), "-m", mode, "-w",
                  "-t", "60", "stop")  # fmt: skip

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if not _pg_bin("initdb") or not _pg_bin("pg_ctl"):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="vb-chaos-pg-"))
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser: cannot start a private cluster")
        try:
            shutil.chown(root, user="postgres")
        except (LookupError, PermissionError) as exc:
            pytest.skip(f"no postgres OS user to own a private cluster: {exc}")
        as_user = ["runuser", "-u", "postgres", "--"]
    cluster = PrivatePostgres(root, free_port(), as_user)
    try:
        cluster.init()
        cluster.start()
        with psycopg.connect(
            f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE vb_chaos")
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Answers:
    codes: list[int] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)
    tasks: dict[str, str] = field(default_factory=dict)  # record -> task
    lock: threading.Lock = field(default_factory=threading.Lock)


def _submit_until_accepted(
    live: Live, headers: dict[str, str], pending: list[str], answers: Answers, stop: threading.Event
) -> None:
    while not stop.is_set():
        with answers.lock:
            if not pending:
                return
            record = pending.pop(0)
        resp = live.client.post(
            "/api/v1/tasks/analysis/submit",
            headers=headers,
            json={"practice_record_id": record, "parameters": {"test": {"sleep": 0.4}}},
        )
        body: Any = resp.json() if resp.headers.get("content-type", "").startswith(
            "application/json"
        ) else None  # fmt: skip
        with answers.lock:
            answers.codes.append(resp.status_code)
            error = body.get("error") if isinstance(body, dict) else None
            if resp.status_code == 202:
                answers.tasks[record] = body["task_id"]
            elif resp.status_code == 409 and error and error.get("code") == "analysis_active":
                # committed, but the answer was lost with the connection: the task exists
                answers.tasks[record] = error["task_id"]
            elif resp.status_code == 503 and error and set(error) >= {"code", "message"}:
                pending.append(record)  # try again later, as a client would
            else:
                answers.bad.append((resp.status_code, resp.text[:300]))
        time.sleep(0.02)


def test_postgres_stop_during_submissions_answers_503_then_recovers(
    tmp_path: Path, private_postgres: PrivatePostgres, redis_url: str
) -> None:
    db_url = private_postgres.url("vb_chaos")
    upgrade(db_url)
    flush = redis.Redis.from_url(redis_url)
    flush.flushdb()  # this run's own index: queues left by earlier tests
    try:
        with live_stack(tmp_path, db_url, redis_url, truncate=False) as live:
            _run_scenario(live, private_postgres)
    finally:
        flush.flushdb()
        flush.close()


def _run_scenario(live: Live, cluster: PrivatePostgres) -> None:
    _, headers = live.account()
    session_id: str | None = None
    records: list[str] = []
    for _ in range(RECORDS):
        ids = live.recording(headers, session_id)
        session_id = ids["session_id"]
        records.append(ids["record_id"])
    live.start_worker("p1")

    answers = Answers()
    pending = list(records)
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_submit_until_accepted, args=(live, headers, pending, answers, stop)
        )
        for _ in range(SUBMITTERS)
    ]
    for t in threads:
        t.start()
    try:
        # submissions outpace the worker: some wait in the queue when the database goes
        wait_for("accepted submissions waiting in the queue",
                 lambda: len(answers.tasks) >= 3 and live.redis.llen("ai_analysis") >= 2,
                 timeout=60)  # fmt: skip
        queued = live.redis.llen("ai_analysis")
        cluster.stop("fast")  # terminates open sessions: in-flight requests and the worker's
        wait_for("submissions refused while down", lambda: answers.codes.count(503) >= 4)
        # the worker takes queued messages while it cannot reach the database: none may be lost
        wait_for("the worker to take a message during the outage",
                 lambda: live.redis.llen("ai_analysis") < queued, timeout=30)  # fmt: skip

        # every other endpoint answers the same way while the database is down
        for method, url in [
            ("GET", "/api/v1/auth/me"),
            ("GET", f"/api/v1/practice/records/{records[0]}"),
            ("GET", "/readyz"),
        ]:
            resp = live.client.request(method, url, headers=headers)
            assert resp.status_code == 503, (url, resp.status_code, resp.text)
            assert set(resp.json()["error"]) >= {"code", "message"}, resp.text
        login = live.client.post(
            "/api/v1/auth/login", json={"email": "x@vocalborn.tw", "password": "whatever1"}
        )
        assert login.status_code == 503, login.text

        cluster.start()
        wait_for("every record accepted", lambda: len(answers.tasks) == RECORDS, timeout=90)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)

    assert not answers.bad, answers.bad  # only 202, 503 (error shape) or 409 analysis_active
    assert 500 not in answers.codes
    assert answers.codes.count(503) >= 4

    for task_id in answers.tasks.values():
        final = live.wait_status(headers, task_id, TERMINAL, timeout=60)
        assert final["status"] == "success", final
    with live.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT count(*), count(DISTINCT practice_record_id) FROM ai_analysis_results "
            "JOIN ai_analysis_tasks USING (task_id)"
        ).one()
    assert tuple(rows) == (RECORDS, RECORDS)
