"""Status endpoint: requests per second and latency with N concurrent clients, next to the same
server's `/healthz` (no auth, no database) and `/auth/me` (token + one query) in the same run;
then queue position and status reads with 10,000 pending tasks vs an empty queue.

    .venv/bin/python -m bench.status [--clients 8] [--requests 150] [--pending 10000]

Prints figures; never fails.
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import insert, text

from bench.common import header, report, run_threads, stack, summary
from vocalborn.analysis.models import AnalysisTask
from vocalborn.db import make_engine, utcnow

SUBMIT = "/api/v1/tasks/analysis/submit"


def load(
    base: str, n: int, per: int, url: str, headers: dict[str, str]
) -> tuple[float, list[float]]:
    latencies: list[float] = []

    def client(_i: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            for _ in range(per):
                t0 = time.perf_counter()
                r = http.get(url, headers=headers)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise SystemExit(f"{url} answered {r.status_code}: {r.text}")

    elapsed = run_threads(n, client)
    return n * per / elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=150, help="per client")
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    args = parser.parse_args()
    n, per, pending = args.clients, args.requests, args.pending
    if args.quick:
        n, per, pending = 2, 5, 200
    with stack("status") as s:
        s.seed(2)
        s.start_api()
        headers = s.token()
        with httpx.Client(base_url=s.base_url, timeout=60) as http:
            first = http.post(SUBMIT, headers=headers, json={"practice_record_id": s.records[0]})
            task_id = first.json()["task_id"]
        status_url = f"/api/v1/tasks/analysis/{task_id}/status"

        header("status endpoint", f"{n} concurrent clients x {per} requests, 1 API process")
        rows = [("GET /healthz (baseline: no auth, no database)", "/healthz"),
                ("GET /auth/me (baseline: token + one query)", "/api/v1/auth/me"),
                ("GET /tasks/analysis/{id}/status (pending task)", status_url)]  # fmt: skip
        for label, url in rows:
            load(s.base_url, 2, 5, url, headers)  # warm
            rate, lat = load(s.base_url, n, per, url, headers)
            report(label, f"{rate:8.1f}/s  {summary(lat)}")
        _, empty = load(s.base_url, 1, per, status_url, headers)

        # --- 10,000 pending tasks ahead of one more ----------------------------------------
        s.seed(pending)
        engine = make_engine(s.db_url)
        start = utcnow() - timedelta(hours=1)
        rows_ = [
            {"task_id": uuid.uuid4(), "celery_task_id": str(uuid.uuid4()),
             "practice_record_id": uuid.UUID(rid), "user_id": uuid.UUID(s.user_id),
             "status": "pending", "queue": "ai_analysis",
             "created_at": start + timedelta(milliseconds=i), "task_params": {}}
            for i, rid in enumerate(s.records[2:])
        ]  # fmt: skip
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM ai_analysis_tasks"))
            conn.execute(text("UPDATE practice_records SET ai_task_id = NULL"))
            conn.execute(insert(AnalysisTask), rows_)
            conn.execute(text("ANALYZE"))
        with httpx.Client(base_url=s.base_url, timeout=60) as http:
            t0 = time.perf_counter()
            r = http.post(SUBMIT, headers=headers, json={"practice_record_id": s.records[1]})
            submit_s = time.perf_counter() - t0
            last = r.json()
        last_url = f"/api/v1/tasks/analysis/{last['task_id']}/status"
        _, deep = load(s.base_url, 1, per, last_url, headers)
        rate, deep_n = load(s.base_url, n, per, last_url, headers)
        with engine.connect() as conn:
            plan = conn.execute(text(
                "EXPLAIN (ANALYZE, FORMAT TEXT) SELECT count(*) FROM ai_analysis_tasks "
                "WHERE status = 'pending' AND created_at < now() AND queue = 'ai_analysis'"
            )).scalars().all()  # fmt: skip
        engine.dispose()
        header(f"queue position with {pending:,} pending tasks ahead", "same server")
        report("status read, empty queue (baseline), 1 client", summary(empty))
        report(f"status read, position {last['queue_position']:,}, 1 client", summary(deep))
        report(f"status read, position {last['queue_position']:,}, {n} clients",
               f"{rate:8.1f}/s  {summary(deep_n)}")  # fmt: skip
        report("submit answered with that position", f"{submit_s * 1000:7.1f} ms")
        timing = [p for p in plan if "Execution Time" in p or "Index" in p]
        for line in timing[:3]:
            report("  count plan", line.strip()[:70])


if __name__ == "__main__":
    main()
