"""Live progress benchmark: worker publish → WebSocket client latency, and idle clients held by
one API process, each figure beside a baseline measured in the same run.

- latency: the worker's own publish (`ProgressPublisher.publish`: HSET + EXPIRE + PUBLISH in one
  MULTI) until a WebSocket client of a real uvicorn API process receives the update; baseline:
  raw Redis PUBLISH until a redis.asyncio subscriber in this process receives it. Measured with
  one client, then again while the idle clients are connected.
- idle clients: N WebSocket clients, each following its own pending task (N channels), held by
  one API process; its RSS before and after, Redis connections the hub uses, and the time to
  fan one update out to every client.

Runs in its own PostgreSQL database and Redis database index (the test harness' isolation
helpers):

    .venv/bin/python -m bench.live [--updates 300] [--clients 1000]

Targets: p50 ≤ 20 ms; 1,000 idle clients. Prints figures; never fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis
import redis.asyncio as aioredis
import websockets
from sqlalchemy import insert
from tests.support.services import postgres_database, redis_database

from vocalborn.accounts.models import Role
from vocalborn.accounts.security import create_access_token
from vocalborn.accounts.service import create_user
from vocalborn.analysis.hub import HUB_NAME
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.progress import ProgressEvent, ProgressPublisher, events_channel
from vocalborn.db import make_engine, make_session_factory, utcnow
from vocalborn.migrate import upgrade
from vocalborn.practice.models import (
    Language,
    PracticeRecord,
    PracticeSession,
    RecordStatus,
    Sentence,
)

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(db_url: str, n: int) -> tuple[str, list[str]]:
    """One learner with n pending tasks (one recording each); returns a token and task ids."""
    engine = make_engine(db_url)
    with make_session_factory(engine)() as db:
        user = create_user(db, email="bench@vocalborn.tw", password="correct horse battery",
                           name="Bench", role=Role.CLIENT)  # fmt: skip
        session = PracticeSession(user_id=user.user_id)
        db.add(session)
        db.flush()
        sentences = [{"sentence_id": uuid.uuid4(), "text": "你好", "language": Language.ZH_TW}
                     for _ in range(n)]  # fmt: skip
        db.execute(insert(Sentence), sentences)
        records = [
            {
                "practice_record_id": uuid.uuid4(),
                "practice_session_id": session.practice_session_id,
                "sentence_id": s["sentence_id"],
                "audio_path": "recordings/bench.wav",
                "audio_duration": 1.0,
                "audio_format": "wav",
                "record_status": RecordStatus.AI_QUEUED,
            }
            for s in sentences
        ]
        db.execute(insert(PracticeRecord), records)
        now = utcnow()
        tasks = []
        for r in records:
            tid = uuid.uuid4()
            tasks.append({
                "task_id": tid, "celery_task_id": str(tid), "user_id": user.user_id,
                "practice_record_id": r["practice_record_id"], "status": TaskStatus.PENDING,
                "task_params": {}, "created_at": now, "updated_at": now,
            })  # fmt: skip
        db.execute(insert(AnalysisTask), tasks)
        db.commit()
        token = create_access_token(user.user_id, Role.CLIENT, SECRET, 120)
    engine.dispose()
    return token, [str(t["task_id"]) for t in tasks]


def start_api(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", "vocalborn.app:create_app", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
           "--ws-ping-interval", "0"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"API exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("API did not start")
        time.sleep(0.1)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 50) * 1000:6.2f} ms   p99 {pct(values, 99) * 1000:6.2f} ms"


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


async def raw_pubsub_latency(url: str, n: int) -> list[float]:
    sub_client = aioredis.Redis.from_url(url)
    pubsub = sub_client.pubsub()
    await pubsub.subscribe("vocalborn:bench:raw")
    await pubsub.get_message(timeout=5)  # the confirmation
    pub = redis.Redis.from_url(url)
    payload = json.dumps({"task_id": "x", "status": "processing", "progress": 50})
    out = []
    for _ in range(n):
        start = time.perf_counter()
        pub.publish("vocalborn:bench:raw", payload)
        while (await pubsub.get_message(timeout=5)) is None:
            pass
        out.append(time.perf_counter() - start)
    await pubsub.aclose()
    await sub_client.aclose()
    pub.close()
    return out


async def ws_latency(ws_base: str, token: str, task_id: str, url: str, n: int) -> list[float]:
    publisher = ProgressPublisher(redis.Redis.from_url(url))
    out = []
    async with websockets.connect(f"{ws_base}/{task_id}?token={token}", ping_interval=None) as ws:
        json.loads(await ws.recv())  # the snapshot
        for i in range(n):
            event = ProgressEvent(task_id=task_id, status="processing", progress=50,
                                  current_step=f"step {i}")  # fmt: skip
            start = time.perf_counter()
            publisher.publish(event)
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            out.append(time.perf_counter() - start)
            assert message["current_step"] == f"step {i}", message
    publisher.client.close()
    return out


async def open_idle(ws_base: str, token: str, task_ids: list[str]) -> list[Any]:
    clients: list[Any] = []
    sem = asyncio.Semaphore(50)

    async def one(task_id: str) -> None:
        async with sem:
            ws = await websockets.connect(f"{ws_base}/{task_id}?token={token}",
                                          ping_interval=None, open_timeout=60)  # fmt: skip
            snap = json.loads(await asyncio.wait_for(ws.recv(), 60))
            assert snap["type"] == "snapshot" and snap["status"] == "pending", snap
            clients.append(ws)

    await asyncio.gather(*(one(t) for t in task_ids))
    return clients


async def fan_out(clients: list[Any], task_ids: list[str], url: str) -> tuple[float, int]:
    """One update on each task's channel; time until every client received its own."""
    client = redis.Redis.from_url(url)
    pipe = client.pipeline(transaction=False)
    start = time.perf_counter()
    for task_id in task_ids:
        event = ProgressEvent(task_id=task_id, status="processing", progress=10,
                              current_step="fan-out")  # fmt: skip
        pipe.publish(events_channel(task_id), json.dumps(event.message(utcnow().isoformat())))
    pipe.execute()
    received = await asyncio.gather(*(asyncio.wait_for(ws.recv(), 60) for ws in clients))
    elapsed = time.perf_counter() - start
    client.close()
    return elapsed, sum(1 for r in received if json.loads(r)["current_step"] == "fan-out")


async def run(args: argparse.Namespace, env: dict[str, str], redis_url: str, api_pid: int,
              ws_base: str, token: str, task_ids: list[str]) -> None:  # fmt: skip
    n, clients_n = args.updates, args.clients
    print(f"\nlive progress benchmark: {n} updates, {clients_n} idle clients, one API process\n")
    await ws_latency(ws_base, token, task_ids[0], redis_url, 20)  # warm-up
    await raw_pubsub_latency(redis_url, 20)
    base = await raw_pubsub_latency(redis_url, n)
    live = await ws_latency(ws_base, token, task_ids[0], redis_url, n)
    print("publish → receive latency")
    print(f"  baseline  raw Redis PUBLISH → asyncio subscriber     {ms(base)}")
    print(f"  ours      worker publish → WebSocket client (1 idle)  {ms(live)}   target p50 ≤ 20")

    rss_before = rss_mb(api_pid)
    start = time.perf_counter()
    clients = await open_idle(ws_base, token, task_ids[1 : clients_n + 1])
    opened = time.perf_counter() - start
    await asyncio.sleep(1.0)  # let the server settle before measuring memory
    rss_after = rss_mb(api_pid)
    loaded = await ws_latency(ws_base, token, task_ids[0], redis_url, n)
    hub_conns = [c for c in redis.Redis.from_url(redis_url).client_list()
                 if c.get("name") == HUB_NAME]  # fmt: skip
    print(f"  ours      same, with {len(clients)} idle clients connected       {ms(loaded)}")
    print("\nidle clients held by one API process")
    print(f"  clients connected and given their snapshot   {len(clients)} / {clients_n}"
          f"   (target 1000; opened in {opened:.1f} s)")  # fmt: skip
    print(f"  API RSS                                      {rss_before:.0f} MB → "
          f"{rss_after:.0f} MB  ({(rss_after - rss_before) * 1024 / max(len(clients), 1):.0f}"
          " KB per client)")  # fmt: skip
    print(f"  Redis pub/sub connections of the hub         {len(hub_conns)}   "
          f"(baseline: one per client = {len(clients)})")  # fmt: skip
    elapsed, got = await fan_out(clients, task_ids[1 : clients_n + 1], redis_url)
    print(f"  one update to each of {len(clients)} channels, all received   {got} in "
          f"{elapsed * 1000:.0f} ms")  # fmt: skip
    await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--clients", type=int, default=1000)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.clients * 2 + 512
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    with postgres_database("vb_bench") as db_url, redis_database() as redis_url, \
            tempfile.TemporaryDirectory() as tmp:  # fmt: skip
        upgrade(db_url)
        token, task_ids = seed(db_url, args.clients + 1)
        env = {
            **os.environ, "ENVIRONMENT": "test", "SECRET_KEY": SECRET, "DATABASE_URL": db_url,
            "CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url,
            "DATA_DIR": tmp, "LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        }  # fmt: skip
        port = free_port()
        api = start_api(env, port, Path(tmp) / "api.log")
        try:
            ws_base = f"ws://127.0.0.1:{port}/api/v1/tasks/ws/task"
            asyncio.run(run(args, env, redis_url, api.pid, ws_base, token, task_ids))
        finally:
            os.killpg(api.pid, signal.SIGTERM)
            try:
                api.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(api.pid, signal.SIGKILL)
                api.wait()


if __name__ == "__main__":
    main()
