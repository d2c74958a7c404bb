"""Worker throughput with the real offline analyser on this machine's 2 cores: seconds of
recorded audio analysed per second of wall time, through the whole pipeline (HTTP submit →
queue → one worker, concurrency 2 → result in PostgreSQL), next to the analyser called directly
in this process on the same recordings (one core, warm) measured in the same run — so the
pipeline's ideal is twice the direct rate.

Recordings: the bundled samples (Mandarin and English learner recordings with references).

    .venv/bin/python -m bench.worker [--tasks 24] [--concurrency 2]

Prints figures; never fails.
"""

from __future__ import annotations

import argparse
import time
from importlib.resources import as_file, files
from pathlib import Path

import httpx
import soundfile
from sqlalchemy import text

from bench.common import header, report, stack, wait
from vocalborn.analyzer.offline import OfflineAnalyser
from vocalborn.analyzer.types import AnalysisRequest
from vocalborn.db import make_engine
from vocalborn.practice.models import Language

SAMPLES = [  # text, language, learner, reference
    ("我今天很好", Language.ZH_TW, "zh_learner.flac", "zh_ref.flac"),
    ("the quick brown fox jumps over the lazy dog", Language.EN, "en_learner.flac", "en_ref.flac"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=24)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    args = parser.parse_args()
    tasks = 2 if args.quick else args.tasks
    with stack("worker", ANALYZER="auto") as s, as_file(files("vocalborn") / "samples") as samples:
        root = Path(samples)
        seconds = {name: soundfile.info(str(root / name)).duration for _, _, name, _ in SAMPLES}

        # 1. baseline: the analyser itself, in this process, one core, warm
        analyser = OfflineAnalyser(s.settings)
        analyser.warm_up()
        requests = [
            AnalysisRequest(root / learner, txt, lang.value, root / ref)
            for txt, lang, learner, ref in SAMPLES
        ]
        for req in requests:
            analyser.analyse(req, lambda _l, _f: None)
        rounds = 1 if args.quick else 3
        t0 = time.perf_counter()
        for _ in range(rounds):
            for req in requests:
                analyser.analyse(req, lambda _l, _f: None)
        direct_s = time.perf_counter() - t0
        direct_audio = rounds * sum(seconds.values())
        direct_rate = direct_audio / direct_s

        # 2. the pipeline: HTTP submits, one worker process with `concurrency` pool processes
        per = {}
        for txt, lang, learner, ref in SAMPLES:
            per[learner] = s.seed(
                tasks // len(SAMPLES) + 1,
                audio=root / learner,
                text=txt,
                language=lang,
                reference=root / ref,
            )
        s.start_api()
        s.start_worker("analyser", args.concurrency)
        headers = s.token()
        order = [(name, ids) for name, ids in per.items()]
        with httpx.Client(base_url=s.base_url, timeout=60) as http:

            def submit(record: str) -> str:
                r = http.post(
                    "/api/v1/tasks/analysis/submit",
                    headers=headers,
                    json={"practice_record_id": record},
                )
                if r.status_code != 202:
                    raise SystemExit(f"submit answered {r.status_code}: {r.text}")
                return str(r.json()["task_id"])

            warm = [submit(ids.pop()) for _, ids in order]  # models load in each pool process
            engine = make_engine(s.db_url)

            def done(ids: list[str]) -> bool:
                with engine.connect() as conn:
                    rows = (
                        conn.execute(
                            text("SELECT status FROM ai_analysis_tasks WHERE task_id = ANY(:ids)"),
                            {"ids": ids},
                        )
                        .scalars()
                        .all()
                    )
                bad = [r for r in rows if r in ("failure", "cancelled")]
                if bad:
                    raise SystemExit(f"an analysis failed: {bad}")
                return len(rows) == len(ids) and all(r == "success" for r in rows)

            wait("warm-up analyses", lambda: done(warm), timeout=300, every=0.2)
            audio = 0.0
            t0 = time.perf_counter()
            submitted = []
            for i in range(tasks):
                name, ids = order[i % len(order)]
                submitted.append(submit(ids.pop()))
                audio += seconds[name]
            wait("the analyses", lambda: done(submitted), timeout=1800, every=0.1)
            wall = time.perf_counter() - t0
            engine.dispose()
        rate = audio / wall
        header(
            "worker throughput, real offline analyser",
            f"{tasks} recordings, {audio:.1f} s of audio, worker concurrency {args.concurrency}",
        )
        report(
            "baseline: analyser called directly, 1 core, warm",
            f"{direct_rate:6.2f} s of audio / s   ({direct_s / (rounds * len(requests)):.2f} "
            "s per recording)",
        )
        report(
            f"ideal on {args.concurrency} cores (baseline x {args.concurrency})",
            f"{direct_rate * args.concurrency:6.2f} s of audio / s",
        )
        report(
            "pipeline: submit → queue → worker → result in PostgreSQL",
            f"{rate:6.2f} s of audio / s   ({wall / tasks:.2f} s wall per recording)",
        )
        report("pipeline / ideal", f"{rate / (direct_rate * args.concurrency):6.2f}")


if __name__ == "__main__":
    main()
