"""The reaper against real Redis and real Celery messages: a `pending` or `retry` row whose
message the broker lost is re-published once per pass, a row whose message is queued (any
priority), reserved (`unacked`) or not yet due is left alone, and a pass reads the broker in one
round trip however many rows wait. A `processing` row the hard time limit killed is a `timeout`,
retried or failed by the same decision as the task's (analysis/retry.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from celery import Celery
from sqlalchemy.orm import Session

from tests.conftest import Backend
from tests.support import rows
from tests.support.redis_counting import CountingRedis
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.progress import ProgressPublisher
from vocalborn.analysis.publish import send_analysis
from vocalborn.analysis.reaper import (
    LOCK_KEY,
    UNACKED_KEY,
    BrokerSnapshot,
    Reaper,
    message_task_id,
    queue_keys,
)
from vocalborn.analysis.retry import RETRY_JITTER, policy_for
from vocalborn.config import Settings
from vocalborn.db import utcnow
from vocalborn.models import PracticeRecord
from vocalborn.practice.models import RecordStatus
from vocalborn.worker.celery_app import create_celery
from vocalborn.worker.names import ANALYSIS_QUEUE, QUEUES
from vocalborn.worker.registry import WORKERS_KEY, Heartbeat


def _broker_keys() -> list[str]:
    return [k for q in QUEUES for k in queue_keys(q)] + [UNACKED_KEY, "unacked_index", LOCK_KEY]


@pytest.fixture
def broker(redis_url: str) -> Iterator[CountingRedis]:
    client = CountingRedis.from_url(redis_url)
    client.delete(*_broker_keys())
    try:
        yield client
    finally:
        client.delete(*_broker_keys())
        client.close()


@pytest.fixture
def celery(settings: Settings) -> Iterator[Celery]:
    app = create_celery(settings)
    try:
        yield app
    finally:
        app.close()


def _reaper(settings: Settings, backend: Backend, celery: Celery, broker: redis.Redis) -> Reaper:
    return Reaper(settings, backend.session_factory, celery, broker, ProgressPublisher(broker))


def _queued_ids(client: redis.Redis) -> list[str]:
    raw = [m for k in queue_keys(ANALYSIS_QUEUE) for m in client.lrange(k, 0, -1)]
    raw += client.hvals(UNACKED_KEY)
    return [tid for m in raw if (tid := message_task_id(m))]


def test_snapshot_decodes_queued_prioritised_and_reserved_messages(
    broker: CountingRedis, celery: Celery
) -> None:
    plain, later, urgent, reserved = (str(uuid.uuid4()) for _ in range(4))
    assert send_analysis(celery, plain, ANALYSIS_QUEUE)
    assert send_analysis(celery, later, ANALYSIS_QUEUE, countdown=600)  # an ETA message
    celery.send_task("vocalborn.analysis.analyze_audio", args=[urgent], task_id=urgent,
                     queue=ANALYSIS_QUEUE, priority=5)  # fmt: skip
    assert broker.llen(f"{ANALYSIS_QUEUE}\x06\x163") == 1  # kombu's priority-3 list
    assert send_analysis(celery, reserved, ANALYSIS_QUEUE)
    # A worker's reservation, done by kombu itself: popped from the list into `unacked`.
    with celery.connection_for_read() as conn:
        held = conn.default_channel.basic_get(ANALYSIS_QUEUE, no_ack=False)
        assert held is not None and held.headers["id"] == plain  # first in, first out
        assert broker.hlen(UNACKED_KEY) == 1
        assert plain not in [message_task_id(m) for m in broker.lrange(ANALYSIS_QUEUE, 0, -1)]
        snap = BrokerSnapshot.read(broker, QUEUES)
        assert {plain, later, urgent, reserved} <= snap.ids
        # the fast path (a byte search) reads the same id as parsing the whole envelope
        stored = [m for k in queue_keys(ANALYSIS_QUEUE) for m in broker.lrange(k, 0, -1)]
        stored += broker.hvals(UNACKED_KEY)
        for raw in stored:
            data = json.loads(raw)
            envelope = data[0] if isinstance(data, list) else data
            assert message_task_id(raw) == envelope["headers"]["id"]
        assert not snap.holds(uuid.uuid4())
        held.ack()
    assert broker.hlen(UNACKED_KEY) == 0


def test_undecodable_messages_are_searched_never_taken_for_lost(broker: CountingRedis) -> None:
    tid = str(uuid.uuid4())
    broker.lpush(ANALYSIS_QUEUE, f"not json but mentions {tid}".encode())
    snap = BrokerSnapshot.read(broker, [ANALYSIS_QUEUE])
    assert snap.ids == set() and snap.holds(tid) and not snap.holds(uuid.uuid4())


def test_a_pass_republishes_exactly_the_lost_messages_in_one_broker_read(
    backend: Backend, db: Session, settings: Settings, celery: Celery, broker: CountingRedis
) -> None:
    now = utcnow()
    learner = rows.user(db)
    ps = rows.session(db, learner)

    def task(status: TaskStatus, **values: Any) -> str:
        t = rows.task(db, rows.record(db, ps, rows.sentence(db)), learner, status,
                      created_at=now - timedelta(hours=2))  # fmt: skip
        for name, value in values.items():
            setattr(t, name, value)
        return str(t.task_id)

    hour_ago = now - timedelta(hours=1)
    lost_pending = [task(TaskStatus.PENDING, published_at=hour_ago) for _ in range(3)]
    queued = [task(TaskStatus.PENDING, published_at=hour_ago) for _ in range(2)]
    lost_retry = task(TaskStatus.RETRY, published_at=hour_ago, next_retry_at=hour_ago)
    not_due = task(TaskStatus.RETRY, published_at=hour_ago, next_retry_at=now + timedelta(hours=1))
    just_published = task(TaskStatus.PENDING, published_at=now)  # inside the grace period
    db.commit()
    for tid in queued:
        assert send_analysis(celery, tid, ANALYSIS_QUEUE)

    broker.calls = 0
    reaper = _reaper(settings, backend, celery, broker)
    counts = reaper.run()
    assert counts == {"published": 0, "republished": 4, "retried": 0, "failed": 0}
    # the lock (SET NX, GET, DEL), then one pipelined read of every queue key and `unacked`
    assert broker.calls == 3 + 1
    ids = _queued_ids(broker)
    assert sorted(ids) == sorted([*lost_pending, *queued, lost_retry])  # each exactly once
    assert not_due not in ids and just_published not in ids
    # the rows are untouched: same status, same first `published_at`
    db.expire_all()
    for tid in lost_pending:
        row = db.get(AnalysisTask, uuid.UUID(tid))
        assert row is not None and row.status == TaskStatus.PENDING
        assert row.published_at == hour_ago

    # The next pass finds every message: nothing is published twice.
    again = _reaper(settings, backend, celery, broker).run()
    assert again["republished"] == 0
    assert sorted(_queued_ids(broker)) == sorted(ids)


def test_a_pass_with_nothing_waiting_does_not_read_the_broker(
    backend: Backend, db: Session, settings: Settings, celery: Celery, broker: CountingRedis
) -> None:
    learner = rows.user(db)
    ps = rows.session(db, learner)
    rows.task(db, rows.record(db, ps, rows.sentence(db)), learner, TaskStatus.SUCCESS)
    db.commit()
    broker.calls = 0
    assert _reaper(settings, backend, celery, broker).run()["republished"] == 0
    assert broker.calls == 3  # the lock only: SET NX, GET, DEL


def test_a_pass_resends_at_most_its_share_oldest_first(
    backend: Backend,
    db: Session,
    settings: Settings,
    celery: Celery,
    broker: CountingRedis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("vocalborn.analysis.reaper.REPUBLISH_PER_PASS", 2)
    now = utcnow()
    learner = rows.user(db)
    ps = rows.session(db, learner)
    lost = []
    for i in range(5):
        t = rows.task(db, rows.record(db, ps, rows.sentence(db)), learner, TaskStatus.PENDING,
                      created_at=now - timedelta(hours=2, minutes=-i))  # fmt: skip
        t.published_at = now - timedelta(hours=1)
        lost.append(str(t.task_id))
    db.commit()
    assert _reaper(settings, backend, celery, broker).run()["republished"] == 2
    assert sorted(_queued_ids(broker)) == sorted(lost[:2])  # the oldest first
    assert _reaper(settings, backend, celery, broker).run()["republished"] == 2
    assert _reaper(settings, backend, celery, broker).run()["republished"] == 1
    assert sorted(_queued_ids(broker)) == sorted(lost)


def test_a_run_the_hard_limit_killed_is_retried_per_the_timeout_policy_then_failed(
    backend: Backend, db: Session, settings: Settings, celery: Celery, broker: CountingRedis
) -> None:
    # Started before the hard limit (plus grace) on a worker that is still alive, message gone:
    # the hard limit killed it. With retries left: `retry` after a jittered timeout countdown
    # and an ETA message; out of retries: `failure`, the recording ready again.
    s = settings
    started = utcnow() - timedelta(
        seconds=s.CELERY_TASK_TIME_LIMIT + s.WORKER_HEARTBEAT_SECONDS * 3 + 60
    )
    learner = rows.user(db)
    ps = rows.session(db, learner)
    policy = policy_for("timeout")

    def stuck(retries_done: int) -> uuid.UUID:
        rec = rows.record(db, ps, rows.sentence(db), status=RecordStatus.AI_PROCESSING)
        t = rows.task(db, rec, learner, TaskStatus.PROCESSING)
        t.started_at, t.worker_name, t.retry_count = started, "w1@reaper-test", retries_done
        return t.task_id

    retried, exhausted = stuck(0), stuck(policy.max_retries)
    db.commit()
    Heartbeat(broker, "w1@reaper-test", 1, [ANALYSIS_QUEUE], s.WORKER_HEARTBEAT_SECONDS).beat()
    try:
        before = utcnow()
        counts = _reaper(settings, backend, celery, broker).run()
        after = utcnow()
    finally:
        broker.hdel(WORKERS_KEY, "w1@reaper-test")
    assert (counts["retried"], counts["republished"], counts["failed"]) == (1, 0, 1)
    db.expire_all()
    row = db.get(AnalysisTask, retried)
    assert row is not None and row.status == TaskStatus.RETRY and row.error_type == "timeout"
    assert (row.retry_count, row.max_retries) == (1, policy.max_retries)
    table = timedelta(seconds=policy.countdown(0, s.TASK_RETRY_DELAY_SCALE))
    assert row.next_retry_at is not None
    assert before + table * (1 - RETRY_JITTER) <= row.next_retry_at <= after + table
    assert _queued_ids(broker) == [str(retried)]  # the delivery, due after the countdown
    row = db.get(AnalysisTask, exhausted)
    assert row is not None and row.status == TaskStatus.FAILURE and row.error_type == "timeout"
    rec = db.get(PracticeRecord, row.practice_record_id)
    assert rec is not None and rec.record_status == RecordStatus.RECORDED
