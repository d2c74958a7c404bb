"""Submit throughput: N concurrent HTTP clients on our submit endpoint (real uvicorn API, each
submission a distinct recording: row committed, then published) vs raw Celery `apply_async`
(`send_task`) from the same number of threads, measured in the same run.

    .venv/bin/python -m bench.submit [--clients 8,32] [--per-client 60] [--api-workers 1]

Target (issue 3): ours ≥ 0.5× raw. Prints figures; never fails.
"""

from __future__ import annotations

import argparse
import time

import httpx

from bench.common import header, report, run_threads, stack, summary
from vocalborn.monitoring.procfs import tree_cpu_seconds
from vocalborn.worker.celery_app import create_celery


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", default="8,32")
    parser.add_argument("--per-client", type=int, default=60)
    parser.add_argument("--api-workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    per = args.per_client
    if args.quick:
        clients, per = [4], 5
    with stack("submit") as s:
        s.seed(sum(clients) * per + 10)
        s.start_api(args.api_workers)
        api_pid = s.procs[-1].pid
        headers = s.token()
        celery = create_celery(s.settings)
        broker = celery.connection_for_write()
        celery.send_task("bench.noop", args=[0], queue="ai_analysis")  # warm: connection, pool
        with httpx.Client(base_url=s.base_url) as warm:  # warm the API's pools too
            for rid in s.records[:10]:
                warm.post("/api/v1/tasks/analysis/submit", headers=headers,
                          json={"practice_record_id": rid})  # fmt: skip
        records = iter(s.records[10:])
        header("submit throughput", f"{args.api_workers} API process(es), no worker consuming")
        for n in clients:

            def raw(_i: int) -> None:
                for k in range(per):
                    celery.send_task("bench.noop", args=[k], queue="ai_analysis")

            cpu0 = time.process_time()
            raw_s = run_threads(n, raw)
            raw_cpu = time.process_time() - cpu0
            mine = [[next(records) for _ in range(per)] for _ in range(n)]
            latencies: list[float] = []

            def ours(
                i: int, mine: list[list[str]] = mine, latencies: list[float] = latencies
            ) -> None:
                with httpx.Client(base_url=s.base_url, timeout=60) as http:
                    for rid in mine[i]:
                        t0 = time.perf_counter()
                        r = http.post("/api/v1/tasks/analysis/submit", headers=headers,
                                      json={"practice_record_id": rid})  # fmt: skip
                        latencies.append(time.perf_counter() - t0)
                        if r.status_code != 202:
                            raise SystemExit(f"submit answered {r.status_code}: {r.text}")

            api0 = tree_cpu_seconds(api_pid)
            ours_s = run_threads(n, ours)
            api_cpu = tree_cpu_seconds(api_pid) - api0
            raw_rate, our_rate = n * per / raw_s, n * per / ours_s
            report(f"N={n:<3} raw Celery send_task from {n} threads", f"{raw_rate:8.1f}/s")
            report(f"N={n:<3} our POST /tasks/analysis/submit, {n} clients", f"{our_rate:8.1f}/s")
            report(f"N={n:<3} ratio (target ≥ 0.5)", f"{our_rate / raw_rate:8.2f}")
            report(f"N={n:<3} submit latency", summary(latencies))
            report(f"N={n:<3} CPU per raw send_task (this process)",
                   f"{raw_cpu / (n * per) * 1000:6.2f} ms")  # fmt: skip
            report(f"N={n:<3} CPU per submit (API processes)",
                   f"{api_cpu / (n * per) * 1000:6.2f} ms")  # fmt: skip
            broker.default_channel.client.delete("ai_analysis")  # no backlog into the next round
        broker.release()


if __name__ == "__main__":
    main()
