"""One reaper pass with 10,000 pending tasks (issue 13): the pass that finds every message still
queued (the steady state of a backlog: nothing to do), and the recovery pass after the broker's
database was flushed (every message re-published), next to baselines from the same run — a plain
SELECT of the 10,000 ids, and a pass with no task waiting.

    .venv/bin/python -m bench.reaper [--pending 10000] [--runs 5]

Prints figures; never fails. No worker runs: the messages stay where the pass finds them.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, text
from tests.support.redis_counting import CountingRedis

from bench.common import header, ms, report, stack
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.progress import ProgressPublisher
from vocalborn.analysis.publish import send_analysis
from vocalborn.analysis.queue_info import broker_holds
from vocalborn.analysis.reaper import BrokerSnapshot, Reaper
from vocalborn.db import make_engine, make_session_factory, utcnow
from vocalborn.worker.celery_app import create_celery
from vocalborn.worker.names import QUEUES


def timed(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """Median wall seconds of `runs` calls, and the last call's value."""
    times, value = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        value = work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    args = parser.parse_args()
    n, runs = (200, 2) if args.quick else (args.pending, args.runs)
    with stack("reaper") as s:
        engine = make_engine(s.db_url)
        factory = make_session_factory(engine)
        celery = create_celery(s.settings)
        broker = CountingRedis.from_url(s.redis_url)

        def reaper() -> Reaper:
            return Reaper(s.settings, factory, celery, broker, ProgressPublisher(broker))

        def one_pass() -> tuple[dict[str, int], int]:
            before = broker.calls
            counts = reaper().run()
            return counts, broker.calls - before

        s.seed(n)
        one_pass()  # warm: connections, statement caches
        empty_s, (empty_counts, empty_calls) = timed(runs, one_pass)

        published = utcnow() - timedelta(hours=1)
        rows = [
            {"task_id": uuid.uuid4(), "practice_record_id": uuid.UUID(rid),
             "user_id": uuid.UUID(s.user_id), "status": TaskStatus.PENDING,
             "queue": "ai_analysis", "task_params": {}, "published_at": published,
             "created_at": published + timedelta(milliseconds=i)}
            for i, rid in enumerate(s.records)
        ]  # fmt: skip
        for row in rows:
            row["celery_task_id"] = str(row["task_id"])
        with engine.begin() as conn:
            conn.execute(insert(AnalysisTask), rows)
            conn.execute(text("ANALYZE"))
        t0 = time.perf_counter()
        for row in rows:
            send_analysis(celery, row["task_id"], "ai_analysis")
        send_s = time.perf_counter() - t0

        def plain_select() -> int:
            with factory() as db:
                return len(db.scalars(select(AnalysisTask.task_id).where(
                    AnalysisTask.status == TaskStatus.PENDING)).all())  # fmt: skip

        select_s, selected = timed(runs, plain_select)
        read_s, snap = timed(runs, lambda: BrokerSnapshot.read(broker, QUEUES))
        queued_s, (queued_counts, queued_calls) = timed(runs, one_pass)
        # The per-task scan the reaper used before (kept in queue_info): one call per row.
        missing = uuid.uuid4()
        scan_s, _ = timed(runs, lambda: broker_holds(broker, missing, "ai_analysis"))

        broker.flushdb()  # the broker's database loses everything
        recovery: list[tuple[float, int, int, int]] = []  # seconds, calls, republished, queued
        while True:  # REPUBLISH_PER_PASS at most per pass, until a pass finds nothing lost
            t0 = time.perf_counter()
            counts, calls = one_pass()
            recovery.append((time.perf_counter() - t0, calls, counts["republished"],
                             broker.llen("ai_analysis")))  # fmt: skip
            if not counts["republished"] or len(recovery) > 10:
                break

        header(f"one reaper pass, {n:,} pending tasks", f"median of {runs}; no worker running")
        report(f"baseline: SELECT of the {selected:,} pending ids", ms(select_s))
        # Round trips of the reaper's own client (lock + snapshot); publishes go through Celery.
        report("baseline: pass with no task waiting (empty queue)",
               f"{ms(empty_s)}  Redis round trips {empty_calls}  {empty_counts}")  # fmt: skip
        report(f"broker snapshot alone ({len(snap.ids):,} messages decoded)", ms(read_s))
        report(f"pass, all {n:,} queued (nothing to do)",
               f"{ms(queued_s)}  Redis round trips {queued_calls}  "
               f"republished {queued_counts['republished']}")  # fmt: skip
        for i, (secs, calls, sent, queued) in enumerate(recovery, 1):
            label = f"recovery pass after FLUSHDB of {n:,}, #{i}" if sent else "next pass"
            report(label, f"{ms(secs)}  Redis round trips {calls}  republished {sent:,}, "
                          f"queue now {queued:,}")  # fmt: skip
        report("before: per-task scan (queue_info.broker_holds), ONE task", ms(scan_s))
        report(f"for scale: {n:,} plain send_task calls", ms(send_s))
        per_task = (queued_s - empty_s) / max(n, 1) * 1e6
        report("pass cost per queued task above the empty pass", f"{per_task:7.1f} us")
        broker.close()
        celery.close()
        engine.dispose()


if __name__ == "__main__":
    main()
