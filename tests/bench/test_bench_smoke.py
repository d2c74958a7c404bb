"""Each benchmark script runs end to end in its tiny `--quick` form and prints its figures next
to its baseline (the benchmarks themselves are run by hand: bench/README.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.procs import REPO_ROOT, child_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXPECTED = {
    "bench.analyzer": [
        "baseline decode + Praat pitch",
        "without listener",
        "with listener",
        "listening for what was said",
        "peak RSS per process",
    ],
    "bench.tones": ["false flags (no ref / ref)", "baseline: the reference voice itself"],
    "bench.submit": ["raw Celery send_task", "our POST /tasks/analysis/submit", "ratio"],
    "bench.pipeline": ["raw Celery send_task().get()", "pub/sub", "WebSocket", "poll"],
    "bench.status": ["GET /healthz (baseline", "status read, empty queue (baseline)", "position"],
    "bench.worker": ["baseline: analyser called directly", "pipeline / ideal"],
    "bench.reaper": [
        "baseline: SELECT of the",
        "baseline: pass with no task waiting",
        "queued (nothing to do)",
        "recovery pass after FLUSHDB",
    ],
    "bench.register": [
        "baseline: PASSWORD_HASH_CONCURRENCY=40",
        "API RSS peak during the burst",
        "/auth/me during the burst p50 / max",
    ],
}


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_benchmark_runs_quick_and_prints_its_figures(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--quick"],
        cwd=REPO_ROOT,
        env=child_env({}),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    for needle in EXPECTED[module]:
        assert needle in done.stdout, (needle, done.stdout)
