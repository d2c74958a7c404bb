"""SIGKILL workers mid-analysis, again and again, while tasks keep arriving.

Whatever the moment of the kill (loading, analysing, saving, between the commit of the result and
the acknowledgement of the message), every task must end in exactly one terminal state, with a
result row only if it succeeded and at most one, its record in the matching state, and nothing
left `processing` once the broker has handed out every message.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter

from sqlalchemy import func, select

from tests.e2e.harness import EventLog, Live, wait_for
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.practice.models import PracticeRecord

KILLS = 3
FIRST_BATCH = 4
PER_KILL = 3
TERMINAL = {"success", "failure", "cancelled"}


def _processing_on(live: Live, hostname: str) -> int:
    with live.engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.count())
                .select_from(AnalysisTask)
                .where(
                    AnalysisTask.status == TaskStatus.PROCESSING,
                    AnalysisTask.worker_name == hostname,
                )
            )
            or 0
        )


def test_sigkill_workers_repeatedly_under_a_stream_of_tasks(live: Live, events: EventLog) -> None:
    rng = random.Random(20261125)
    _, headers = live.account()
    session_id: str | None = None
    task_ids: list[str] = []

    def submit_some(n: int) -> None:
        nonlocal session_id
        for _ in range(n):
            ids = live.recording(headers, session_id)
            session_id = ids["session_id"]
            task_ids.append(live.submit(headers, ids["record_id"], sleep=0.8, steps=8)["task_id"])

    submit_some(FIRST_BATCH)
    worker = live.start_worker("k0", concurrency=2)
    killed_mid_task = 0
    for n in range(1, KILLS + 1):
        wait_for(
            f"a task processing on {worker.name}",
            lambda w=worker: _processing_on(live, w.hostname),  # type: ignore[misc]
            timeout=60,
        )
        time.sleep(rng.uniform(0.0, 0.9))  # anywhere in the ~1 s analysis, or just after it
        killed_mid_task += _processing_on(live, worker.hostname) > 0
        worker.kill(signal.SIGKILL)  # main process and pool children: nothing acks
        submit_some(PER_KILL)
        worker = live.start_worker(f"k{n}", concurrency=2)
    assert killed_mid_task >= 1  # at least one kill really hit a running analysis

    # Killed workers' messages come back after the visibility timeout (10 s here).
    def all_terminal() -> bool:
        with live.engine.connect() as conn:
            open_ = conn.scalar(
                select(func.count())
                .select_from(AnalysisTask)
                .where(AnalysisTask.status.not_in([s for s in TERMINAL]))
            )
        return open_ == 0

    wait_for("every task to finish", all_terminal, timeout=120)
    # ... and the broker to have nothing left to hand out (no late redelivery can follow).
    wait_for(
        "the broker to drain",
        lambda: live.redis.llen("ai_analysis") == 0 and live.redis.hlen("unacked") == 0,
        timeout=60,
    )

    with live.engine.connect() as conn:
        tasks = {str(t.task_id): t for t in conn.execute(select(AnalysisTask)).all()}
        results = Counter(str(tid) for tid in conn.scalars(select(AnalysisResult.task_id)).all())
        records = {
            str(r.ai_task_id): r.record_status
            for r in conn.execute(select(PracticeRecord)).all()
            if r.ai_task_id is not None
        }
    assert sorted(tasks) == sorted(task_ids)
    assert max(results.values(), default=0) <= 1
    for tid, task in tasks.items():
        assert task.status in TERMINAL, (tid, task.status)
        assert task.completed_at is not None, tid
        if task.status == "success":
            assert results[tid] == 1, tid
            assert records[tid] == "AI_ANALYZED", tid
        else:
            # a task killed on every delivery is failed as a poison message, never half-done
            assert task.status == "failure" and task.error_type == "worker_lost", task
            assert results[tid] == 0, tid
            assert records[tid] == "RECORDED", tid
        # every terminal event announced is the one the database holds: never two outcomes
        announced = {e["status"] for e in events.of(tid) if e["status"] in TERMINAL}
        assert announced <= {task.status}, (tid, announced, task.status)
    # the status endpoint agrees with the rows
    for tid in task_ids:
        assert live.status(headers, tid)["status"] == tasks[tid].status
    # the kills did interrupt analyses: those were delivered again
    assert any(t.delivery_count > 1 for t in tasks.values())
    # most tasks survive three kills (a task dies at most once per kill)
    assert sum(t.status == "success" for t in tasks.values()) >= len(tasks) - KILLS
