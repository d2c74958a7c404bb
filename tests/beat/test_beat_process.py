"""Real `vocalborn beat` processes against the real PostgreSQL database and Redis.

Fires are counted as the messages beat puts on the broker's queue lists (no worker consumes
them here) and as beat's own "Sending due task" log lines.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from tests.beat.live import Live
from tests.support.procs import REPO_ROOT, running, vocalborn_cmd, wait_for
from vocalborn.schedules import entries as svc
from vocalborn.schedules.models import PeriodicTask

pytestmark = pytest.mark.e2e
METRICS = "vocalborn.health.refresh_queue_metrics"
HEALTH = "vocalborn.health.health_check"
SENT = "Sending due task"


def _add_tick(live: Live, task: str = METRICS, every: float = 1.0, **kw: object) -> None:
    with live.session_factory() as db:
        svc.create_entry(
            db, "tick", svc.ScheduleSpec(task, every, queue="health", **kw), set(svc.JOB_NAMES)
        )
        db.commit()


def _tasks_sent(live: Live) -> list[str]:
    """Task names of the messages on the health queue, oldest first."""
    raw = live.redis.lrange("health", 0, -1)
    return [json.loads(m)["headers"]["task"] for m in reversed(raw)]


def _beat() -> list[str]:
    return vocalborn_cmd("beat", "--loglevel", "INFO", "--no-seed-defaults")


def test_beat_fires_an_every_second_entry_and_records_it(live: Live) -> None:
    _add_tick(live)
    with running(_beat(), live.env, live.tmp / "beat.log", REPO_ROOT) as beat:
        wait_for("three fires", lambda: len(_tasks_sent(live)) >= 3, proc=beat)
        assert set(_tasks_sent(live)) == {METRICS}
        assert "acquired the leader lock" in beat.output()

        def recorded() -> PeriodicTask | None:
            with live.session_factory() as db:
                row = db.scalar(select(PeriodicTask).where(PeriodicTask.name == "tick"))
                return row if row and row.total_run_count >= 3 else None

        row = wait_for("fires recorded in periodic_tasks", recorded, proc=beat)
        assert row.last_run_at is not None
    assert beat.output().count(SENT) >= 3


def test_changes_through_the_api_reach_a_running_beat(live: Live, live_api) -> None:  # type: ignore[no-untyped-def]
    client, headers = live_api
    _add_tick(live)
    base = "/api/v1/admin/schedules/tick"
    with running(_beat(), live.env, live.tmp / "beat.log", REPO_ROOT) as beat:
        wait_for("first fires", lambda: len(_tasks_sent(live)) >= 2, proc=beat)
        resp = client.patch(base, json={"task": HEALTH}, headers=headers)
        assert resp.status_code == 200, resp.text
        wait_for("the changed task to fire", lambda: HEALTH in _tasks_sent(live), proc=beat)
        wait_for("two fires of it", lambda: _tasks_sent(live).count(HEALTH) >= 2, proc=beat)
        sent = _tasks_sent(live)
        first = sent.index(HEALTH)
        assert set(sent[first:]) == {HEALTH}, sent  # never back to the old task

        # Disabled: beat reloads to an empty schedule and sends nothing more.
        assert client.post(f"{base}/disable", headers=headers).status_code == 200
        wait_for(
            "beat to drop the disabled entry",
            lambda: "0 enabled entries" in beat.output(),
            proc=beat,
        )
        before = len(_tasks_sent(live))
        sends_before = beat.output().count(SENT)
        # A newly added entry is proof that beat kept reloading and that nothing else fired.
        resp = client.post(
            "/api/v1/admin/schedules",
            json={"name": "other", "task": METRICS, "interval_seconds": 1, "queue": "health"},
            headers=headers,
        )
        assert resp.status_code == 201, resp.text
        wait_for("the new entry to fire", lambda: len(_tasks_sent(live)) > before, proc=beat)
        out = beat.output()
        later = out.split("0 enabled entries", 1)[1]
        assert "Sending due task tick" not in later, later[-2000:]
        assert out.count(SENT) > sends_before
        assert beat.popen.poll() is None  # no restart happened


def test_a_second_beat_waits_and_takes_over_when_the_leader_dies(live: Live) -> None:
    _add_tick(live)
    with (
        running(_beat(), live.env, live.tmp / "a.log", REPO_ROOT) as a,
        running(_beat(), live.env, live.tmp / "b.log", REPO_ROOT) as b,
    ):
        leader, follower = wait_for(
            "one beat to lead",
            lambda: (
                (a, b)
                if "acquired the leader lock" in a.output()
                else (b, a)
                if "acquired the leader lock" in b.output()
                else None
            ),
            proc=a,
        )
        wait_for(
            "the other to wait",
            lambda: "another beat holds the lock" in follower.output(),
            proc=follower,
        )
        wait_for("fires", lambda: len(_tasks_sent(live)) >= 2, proc=leader)
        n0, t0 = len(_tasks_sent(live)), time.monotonic()
        wait_for("five more fires", lambda: len(_tasks_sent(live)) >= n0 + 5, proc=leader)
        n1, t1 = len(_tasks_sent(live)), time.monotonic()
        # One leader firing once a second: never more fires than seconds elapsed (+ edges).
        assert n1 - n0 <= (t1 - t0) + 2, (n1 - n0, t1 - t0)
        assert SENT not in follower.output()
        assert "acquired the leader lock" not in follower.output()
        assert leader.output().count(SENT) == len(_tasks_sent(live))

        leader.kill()  # SIGKILL: no clean release, the lock must expire
        sent_by_dead = len(_tasks_sent(live))
        wait_for(
            "the follower to take over",
            lambda: "acquired the leader lock" in follower.output(),
            proc=follower,
        )
        wait_for("fires from the new leader", lambda: SENT in follower.output(), proc=follower)
        wait_for(
            "more fires",
            lambda: len(_tasks_sent(live)) >= sent_by_dead + 2,
            proc=follower,
        )
        assert follower.output().count(SENT) == len(_tasks_sent(live)) - sent_by_dead
