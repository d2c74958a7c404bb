"""The after-commit outbox (analysis/outbox.py) on PostgreSQL and SQLite, with a real Redis.

On PostgreSQL the session's commits release SAVEPOINTs of the test's outer transaction
(tests/conftest.py): the actions must run there too, as they do on a real COMMIT.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from sqlalchemy.orm import Session

from tests.conftest import Backend
from tests.support import rows
from vocalborn.analysis import service
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.outbox import after_commit, pending
from vocalborn.analysis.progress import ProgressPublisher, cancel_key, read_progress
from vocalborn.analysis.publish import Effects
from vocalborn.analysis.reaper import BrokerSnapshot, Reaper
from vocalborn.analysis.schemas import SubmitIn
from vocalborn.config import Settings
from vocalborn.db import utcnow
from vocalborn.practice.models import Sentence
from vocalborn.worker.celery_app import ANALYSIS_QUEUE, create_celery


def _committed(backend: Backend, sentence_id: uuid.UUID) -> bool:
    """Whether another session sees the row (on SQLite another connection: only if COMMITTED)."""
    with backend.session_factory() as other:
        return other.get(Sentence, sentence_id) is not None


def test_actions_run_in_order_after_the_commit_and_rollbacks_drop_them(
    backend: Backend, db: Session
) -> None:
    ran: list[tuple[str, bool]] = []

    def action(name: str, sentence_id: uuid.UUID) -> Callable[[], str]:
        def run() -> str:
            ran.append((name, _committed(backend, sentence_id)))
            return name

        return run

    gone = rows.sentence(db).sentence_id
    dropped = after_commit(db, "rolled back", action("rolled back", gone))
    db.rollback()
    assert pending(db) == [] and not dropped.ran

    with pytest.raises(RuntimeError), backend.session_factory() as other:  # a failed request
        after_commit(other, "closed", action("closed", rows.sentence(other).sentence_id))
        raise RuntimeError("the request failed before its commit")

    kept = rows.sentence(db).sentence_id
    first = after_commit(db, "first", action("first", kept))
    with db.begin_nested():  # a released SAVEPOINT: its action waits for the real commit
        after_commit(db, "released", action("released", kept))
    with pytest.raises(RuntimeError), db.begin_nested():
        after_commit(db, "savepoint rolled back", action("savepoint rolled back", kept))
        raise RuntimeError("undo the savepoint only")
    after_commit(db, "last", action("last", kept))
    assert pending(db) == ["first", "released", "last"]
    assert ran == []
    db.commit()
    assert ran == [("first", True), ("released", True), ("last", True)]
    assert first.ran and first.value == "first"
    assert pending(db) == []
    db.commit()  # nothing runs twice
    assert len(ran) == 3


def test_a_failing_action_is_logged_and_neither_undoes_the_commit_nor_stops_the_others(
    backend: Backend, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("broker on fire")

    sentence_id = rows.sentence(db).sentence_id
    failed = after_commit(db, "publish broken", broken)
    later = after_commit(db, "announce", lambda: _committed(backend, sentence_id))
    db.commit()  # does not raise
    assert failed.ran and isinstance(failed.error, RuntimeError)
    assert later.value is True
    assert "after-commit action 'publish broken' failed" in caplog.text
    assert "broker on fire" in caplog.text
    assert _committed(backend, sentence_id)


@pytest.fixture
def live(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def effects(settings: Settings, backend: Backend, live: redis.Redis) -> Iterator[Effects]:
    celery = create_celery(settings)
    try:
        yield Effects.at_once(celery, ProgressPublisher(live), backend.session_factory)
    finally:
        celery.close()


def _subscribe(live: redis.Redis) -> Any:
    pubsub = live.pubsub()
    pubsub.psubscribe("vocalborn:task:*:events")
    assert pubsub.get_message(timeout=5)["type"] == "psubscribe"  # type: ignore[index]
    return pubsub


def _events(pubsub: Any, ids: set[str], count: int) -> list[tuple[str, str]]:
    """The next `count` events of our tasks (other test runs share Redis' pub/sub)."""
    seen: list[tuple[str, str]] = []
    for _ in range(100):
        if len(seen) == count:
            break
        message = pubsub.get_message(timeout=5)
        if message and message["type"] == "pmessage":
            body = json.loads(message["data"])
            if body["task_id"] in ids:
                seen.append((body["task_id"], body["status"]))
    return seen


def test_nothing_reaches_redis_before_the_commit_and_everything_after_it_in_order(
    backend: Backend, db: Session, settings: Settings, effects: Effects, live: redis.Redis
) -> None:
    learner = rows.user(db)
    record = rows.record(db, rows.session(db, learner), rows.sentence(db), audio_path="r/a.wav")
    db.commit()
    pubsub = _subscribe(live)

    def submit(session: Session, force: bool = False) -> service.Queued:
        body = SubmitIn(practice_record_id=record.practice_record_id, force=force)
        return service.submit(session, settings, effects, learner, body)

    rolled_back = submit(db)
    db.rollback()
    with pytest.raises(RuntimeError), backend.session_factory() as other:
        raised = submit(other)
        raise RuntimeError("the request failed before its commit")
    first = submit(db)
    first_id = first.task.task_id
    db.commit()
    assert first.published.value is True
    second = submit(db, force=True)  # replaces `first`: its cancel, then the new publish
    second_id = second.task.task_id
    assert read_progress(live, second_id) is None and not live.exists(cancel_key(first_id))
    assert not BrokerSnapshot.read(live, [ANALYSIS_QUEUE]).holds(second_id)
    db.commit()

    never = {rolled_back.task.task_id, raised.task.task_id}
    assert not rolled_back.published.ran and not raised.published.ran
    ids = {str(t) for t in (*never, first_id, second_id)}
    assert _events(pubsub, ids, 3) == [
        (str(first_id), "pending"),
        (str(first_id), "cancelled"),
        (str(second_id), "pending"),
    ]
    pubsub.close()
    held = BrokerSnapshot.read(live, [ANALYSIS_QUEUE])
    assert held.holds(first_id) and held.holds(second_id)
    assert not any(held.holds(t) or read_progress(live, t) for t in never)
    assert live.exists(cancel_key(first_id)) and second.published.value is True
    db.expire_all()
    assert all(db.get(AnalysisTask, t).published_at for t in (first_id, second_id))  # type: ignore[union-attr]
    assert all(db.get(AnalysisTask, t) is None for t in never)


def test_the_reaper_publishes_a_lost_attempt_after_its_commit_like_any_other_task(
    backend: Backend, db: Session, settings: Settings, effects: Effects, live: redis.Redis
) -> None:
    """A committed row never published, and a `processing` row of a vanished worker (back to
    `pending`, then published by the outbox of that transaction): one publish path for both."""
    day_ago = utcnow() - timedelta(days=1)
    learner = rows.user(db)
    ps = rows.session(db, learner)
    never, lost = (
        rows.task(db, rows.record(db, ps, rows.sentence(db)), learner, status, created_at=day_ago)
        for status in (TaskStatus.PENDING, TaskStatus.PROCESSING)
    )
    lost.published_at = lost.started_at = day_ago
    lost.worker_name, lost.delivery_count = "gone@nowhere", 1
    ids = (never.task_id, lost.task_id)
    db.commit()
    pubsub = _subscribe(live)
    reaper = Reaper(settings, backend.session_factory, effects.celery, live, effects.progress)
    counts = reaper.run()
    assert (counts["published"], counts["republished"]) == (1, 1)
    assert _events(pubsub, {str(t) for t in ids}, 2) == [(str(t), "pending") for t in ids]
    pubsub.close()
    held = BrokerSnapshot.read(live, [ANALYSIS_QUEUE])
    assert all(held.holds(t) for t in ids)
    db.expire_all()
    for task_id in ids:
        row = db.get(AnalysisTask, task_id)
        assert row is not None and row.status == TaskStatus.PENDING
        assert row.published_at is not None and row.published_at > day_ago
