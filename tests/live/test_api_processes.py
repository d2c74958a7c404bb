"""`vocalborn api --workers 2`: whichever process answers a scrape reports every process'
requests (multiprocess mode), not its own share — the compose file runs the API that way."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import Live, wait_for
from tests.live.servers import start, wait_http
from tests.support.procs import free_port, vocalborn_cmd


def _healthz_count(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "vocalborn_http_requests_total" and s.labels.get("route") == "/healthz":
                return s.value
    return 0.0


def _pids(directory: Path) -> set[str]:
    return {
        m.group(1) for f in directory.glob("counter_*.db") if (m := re.search(r"_(\d+)", f.name))
    }


def test_two_api_processes_report_the_sum_of_their_requests(live: Live) -> None:
    port = free_port()
    data = live.tmp / "api-data"
    env = {**live.env, "DATA_DIR": str(data)}
    proc = start("api x2", vocalborn_cmd("api", "--port", str(port), "--workers", "2"), env,
                 live.tmp / "api-x2.log")  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(proc, f"{url}/healthz")
        directory = data / "metrics" / f"api-{port}"
        # The readiness probe answered once; a probe that timed out while the processes were
        # still starting may be answered later, so the total is at least `sent`.
        sent = 1
        lock = threading.Lock()

        def burst() -> None:  # new connections from 8 threads, so both processes accept some
            nonlocal sent
            for _ in range(10):
                assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
                with lock:
                    sent += 1

        def both_served() -> bool:
            threads = [threading.Thread(target=burst) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return len(_pids(directory)) >= 2

        wait_for("requests served by both API processes", both_served, timeout=60)
        counts = {_healthz_count(httpx.get(f"{url}/metrics", timeout=10).text) for _ in range(12)}
        # one value whichever process answered, and not one process' share of the requests
        assert len(counts) == 1, counts
        assert min(counts) >= sent, (counts, sent)
    finally:
        proc.stop()
