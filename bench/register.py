"""Registration burst: the API's memory and the latency of an unrelated request while N clients
register at once, with the password-hashing gate wide open (the baseline) and at its default.

Why: argon2id takes 64 MiB per hash. Before the gate (issue 13), 40 parallel registrations ran
40 hashes at once, one per thread-pool thread: the API grew from 138 MiB to 1.76 GiB and
`/auth/me` went from 2 ms to 1 s, waiting for a thread. `PASSWORD_HASH_CONCURRENCY=40` (the
thread pool's size) reproduces that behaviour with today's code; the default (2) is what ships.
Each configuration gets its own stack and API process, started one after the other in this run.
While the burst runs, the API's RSS is sampled every 20 ms from /proc and one other client calls
`/auth/me` in a loop with a token obtained before the burst.

    .venv/bin/python -m bench.register [--burst 40] [--wait 60] [--gated 2]

All requests come from 127.0.0.1, so the per-address registration limit is raised out of the
way. Prints figures; never fails.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from bench.common import PASSWORD, header, run_threads, stack
from vocalborn.monitoring.procfs import tree_rss_bytes

REGISTER, ME = "/api/v1/auth/register", "/api/v1/auth/me"
BASELINE = 40  # anyio's default thread-pool size: every registration hashes at once
MIB = 1024 * 1024


def rss(pid: int) -> float:
    return (tree_rss_bytes(pid) or 0) / MIB


def me_loop(base: str, headers: dict[str, str], stop: Callable[[int], bool]) -> list[float]:
    """`/auth/me` back to back until `stop(calls so far)` (at least once); latencies in s."""
    latencies: list[float] = []
    with httpx.Client(base_url=base, timeout=120) as http:
        while not latencies or not stop(len(latencies)):
            t0 = time.perf_counter()
            r = http.get(ME, headers=headers)
            latencies.append(time.perf_counter() - t0)
            if r.status_code != 200:
                raise SystemExit(f"{ME} answered {r.status_code}: {r.text}")
    return latencies


def measure(label: str, concurrency: int, wait: float, burst: int, idle_me: int) -> dict[str, Any]:
    env = {"PASSWORD_HASH_CONCURRENCY": str(concurrency),
           "PASSWORD_HASH_WAIT_SECONDS": str(wait),
           "REGISTRATIONS_PER_ADDRESS_PER_HOUR": "100000"}  # fmt: skip
    with stack(f"register_{label}", **env) as s:
        s.seed(0)  # the bench learner, whose token calls /auth/me
        s.start_api()
        pid = s.procs[-1].pid
        headers = s.token()
        with httpx.Client(base_url=s.base_url, timeout=60) as http:  # warm: one registration
            r = http.post(REGISTER, json={"email": "warm@vocalborn.tw", "password": PASSWORD,
                                          "name": "Warm"})  # fmt: skip
            if r.status_code != 201:
                raise SystemExit(f"{REGISTER} answered {r.status_code}: {r.text}")
        time.sleep(0.5)
        idle_rss = rss(pid)
        idle = me_loop(s.base_url, headers, lambda n: n >= idle_me)
        done = threading.Event()

        samples: list[float] = []
        during: list[float] = []

        def sample() -> None:
            while not done.is_set():
                samples.append(rss(pid))
                time.sleep(0.02)

        def me() -> None:
            during.extend(me_loop(s.base_url, headers, lambda _n: done.is_set()))

        answers: list[int] = []
        clients = [httpx.Client(base_url=s.base_url, timeout=180) for _ in range(burst)]

        def register(i: int) -> None:
            body = {"email": f"burst-{i}@vocalborn.tw", "password": PASSWORD, "name": f"B{i}"}
            answers.append(clients[i].post(REGISTER, json=body).status_code)

        helpers = [threading.Thread(target=sample), threading.Thread(target=me)]
        for t in helpers:
            t.start()
        elapsed = run_threads(burst, register)
        done.set()
        for t in helpers:
            t.join()
        for c in clients:
            c.close()
        time.sleep(0.5)
        after = rss(pid)
    return {"idle_rss": idle_rss, "peak_rss": max(samples, default=idle_rss), "after": after,
            "samples": len(samples), "elapsed": elapsed, "rate": answers.count(201) / elapsed,
            "codes": Counter(answers), "idle_me": idle, "me": during}  # fmt: skip


def lat(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values) * 1000:.1f} / {max(values) * 1000:.1f} ms"


def counts(r: dict[str, Any]) -> list[int]:
    c: Counter[int] = r["codes"]
    known = [c[201], c[429], c[503]]
    return [*known, c.total() - sum(known)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=40, help="parallel registrations")
    parser.add_argument("--wait", type=float, default=60.0, help="PASSWORD_HASH_WAIT_SECONDS")
    parser.add_argument("--gated", type=int, default=2, help="PASSWORD_HASH_CONCURRENCY")
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    args = parser.parse_args()
    burst, idle_me = (8, 5) if args.quick else (args.burst, 50)
    base_label = f"baseline: PASSWORD_HASH_CONCURRENCY={BASELINE}"
    gated_label = f"gated: PASSWORD_HASH_CONCURRENCY={args.gated}"
    runs = [(base_label, measure("baseline", BASELINE, args.wait, burst, idle_me)),
            (gated_label, measure("gated", args.gated, args.wait, burst, idle_me))]  # fmt: skip

    header("registration burst", f"{burst} parallel POST /auth/register, 1 API process, "
           f"PASSWORD_HASH_WAIT_SECONDS={args.wait:g}")  # fmt: skip
    print(f"  A = {base_label} (the old unbounded behaviour)")
    print(f"  B = {gated_label} (the bound; shipped default 2)")
    a, b = runs[0][1], runs[1][1]

    def row(label: str, key: Callable[[dict[str, Any]], str]) -> None:
        print(f"  {label:<44} {key(a):>22} {key(b):>22}")

    print(f"  {'':<44} {'A':>22} {'B':>22}")
    row("API RSS idle (warm: 1 login, 1 registration)", lambda r: f"{r['idle_rss']:.0f} MiB")
    row("API RSS peak during the burst", lambda r: f"{r['peak_rss']:.0f} MiB")
    row("  RSS samples (every 20 ms)", lambda r: str(r["samples"]))
    row("API RSS 0.5 s after the burst", lambda r: f"{r['after']:.0f} MiB")
    row("burst wall time", lambda r: f"{r['elapsed']:.2f} s")
    row("registrations/s (201s / wall time)", lambda r: f"{r['rate']:.1f}/s")
    row("answers 201 / 429 / 503 / other", lambda r: " / ".join(str(n) for n in counts(r)))
    row("/auth/me idle p50 / max", lambda r: lat(r["idle_me"]))
    row("/auth/me during the burst p50 / max", lambda r: lat(r["me"]))
    row("  /auth/me calls during the burst", lambda r: str(len(r["me"])))


if __name__ == "__main__":
    main()
