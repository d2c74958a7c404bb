"""End-to-end overhead of a no-op analysis vs a raw Celery round trip, in the same run.

A real uvicorn API and one real worker (concurrency 1, the test no-op analyser) on an isolated
PostgreSQL database and Redis index. Baseline: raw Celery `send_task(...).get()` of a task that
returns at once (the client waits on the result backend's pub/sub). Ours: POST submit, then the
client learns of `success` in one of three ways:
- pub/sub: subscribed to the task channels before submitting, like Celery's result consumer,
  then reads the status once (what a client does on the event);
- WebSocket: opens `WS /tasks/ws/task/{id}` after the submit answer (a real browser's path);
- poll: GET status every 5 ms.

    .venv/bin/python -m bench.pipeline [--trips 40]

Target (issue 3): round trip p50 ≤ 2× raw Celery. Prints figures; never fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import httpx
from websockets.sync.client import connect

from bench.common import header, report, stack, summary, wait
from vocalborn.monitoring.health import redis_client
from vocalborn.worker.celery_app import create_celery

SUBMIT = "/api/v1/tasks/analysis/submit"
NOOP = {"test": {"sleep": 0, "steps": 1}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trips", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    args = parser.parse_args()
    trips = 3 if args.quick else args.trips
    with stack("pipeline") as s:
        s.seed(trips * 4 + 6)
        s.start_api()
        s.start_worker("bench", 1)
        headers = s.token()
        token = headers["Authorization"].split()[1]
        celery = create_celery(s.settings)
        records = iter(s.records)
        with httpx.Client(base_url=s.base_url, timeout=30) as http:

            def submit() -> str:
                body = {"practice_record_id": next(records), "parameters": NOOP}
                r = http.post(SUBMIT, headers=headers, json=body)
                if r.status_code != 202:
                    raise SystemExit(f"submit answered {r.status_code}: {r.text}")
                return str(r.json()["task_id"])

            def status(task_id: str) -> str:
                body = http.get(f"/api/v1/tasks/analysis/{task_id}/status", headers=headers)
                return str(body.json()["status"])

            # warm up both paths (connections, pools, the worker's first task)
            celery.send_task("bench.noop", args=[0], queue="ai_analysis").get(timeout=30)
            for _ in range(2):
                tid = submit()
                wait("warm-up", lambda t=tid: status(t) == "success", timeout=30)  # type: ignore[misc]

            def timed(trip: Callable[[], None]) -> list[float]:
                out = []
                for _ in range(trips):
                    t0 = time.perf_counter()
                    trip()
                    out.append(time.perf_counter() - t0)
                return out

            raw = timed(lambda: celery.send_task("bench.noop", args=[1],
                                                 queue="ai_analysis").get(timeout=30))  # fmt: skip

            def poll() -> None:
                tid = submit()
                wait("success", lambda: status(tid) == "success", timeout=30, every=0.005)

            events = redis_client(s.redis_url)
            pubsub = events.pubsub()
            pubsub.psubscribe("vocalborn:task:*:events")
            pubsub.get_message(timeout=5)  # the subscription confirmation

            def via_pubsub() -> None:
                tid = submit()
                while True:
                    msg = pubsub.get_message(timeout=30)
                    if msg and msg["type"] == "pmessage":
                        body = json.loads(msg["data"])
                        if body["task_id"] == tid and body["status"] == "success":
                            break
                if status(tid) != "success":
                    raise SystemExit("the success event came before the row said so")

            ws_base = s.base_url.replace("http://", "ws://")

            def via_websocket() -> None:
                tid = submit()
                with connect(f"{ws_base}/api/v1/tasks/ws/task/{tid}?token={token}") as ws:
                    while json.loads(ws.recv(timeout=30))["status"] != "success":
                        pass

            submits: list[float] = []
            reads: list[float] = []

            def parts() -> None:
                t0 = time.perf_counter()
                tid = submit()
                submits.append(time.perf_counter() - t0)
                wait("success", lambda: status(tid) == "success", timeout=30, every=0.005)
                t0 = time.perf_counter()
                status(tid)
                reads.append(time.perf_counter() - t0)

            sub = timed(via_pubsub)
            pubsub.close()
            events.close()
            websocket = timed(via_websocket)
            polled = timed(poll)
            for _ in range(trips):
                parts()

        base = statistics.median(raw)
        header("no-op analysis round trip", f"{trips} trips each, 1 worker, concurrency 1")
        report("raw Celery send_task().get()", summary(raw))
        for label, values in [
            ("ours: submit → success event (pub/sub, subscribed first)", sub),
            ("ours: submit → WebSocket follow → success", websocket),
            ("ours: submit → status poll every 5 ms → success", polled),
        ]:
            report(label, summary(values))
            report("  ratio of p50 to raw (target ≤ 2)", f"{statistics.median(values) / base:8.2f}")
        report("parts: the submit request alone", summary(submits))
        report("parts: one status read alone", summary(reads))


if __name__ == "__main__":
    main()
