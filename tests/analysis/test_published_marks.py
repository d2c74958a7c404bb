"""`published_at` written in batches by the API's background thread (SQLite: the rows are really
committed, so the thread's own connection sees them; the PostgreSQL path runs in tests/e2e)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from vocalborn.analysis.models import AnalysisTask
from vocalborn.analysis.published_marks import PublishedMarks

from .test_transitions import _task

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _marks(db: Session, ids: list[uuid.UUID]) -> list[datetime | None]:
    db.expire_all()
    rows = dict(db.execute(select(AnalysisTask.task_id, AnalysisTask.published_at)).all())
    return [rows[i] for i in ids]


def _updates(backend) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    @event.listens_for(backend.engine, "before_cursor_execute")
    def spy(_c, _cur, statement, *_a) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE AI_ANALYSIS_TASKS"):
            seen.append(statement)

    return seen


@SQLITE
def test_marks_are_written_by_the_thread_and_keep_an_earlier_mark(
    backend, make_account, make_record, db: Session
) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    ids = [_task(db, make_record(owner.user_id), owner.user_id) for _ in range(3)]
    earlier = datetime(2026, 1, 1, tzinfo=UTC)
    db.get(AnalysisTask, ids[0]).published_at = earlier  # published by the reaper before
    db.commit()
    updates = _updates(backend)
    marks = PublishedMarks(backend.session_factory, batch_seconds=0.05)
    try:
        for task_id in ids:
            marks.add(task_id)
        deadline = time.monotonic() + 10
        while None in _marks(db, ids) and time.monotonic() < deadline:
            time.sleep(0.02)
        first, *rest = _marks(db, ids)
        assert first == earlier
        assert all(m is not None and m > earlier for m in rest)
        assert 1 <= len(updates) <= 3
    finally:
        marks.close()


@SQLITE
def test_close_writes_what_is_pending_and_later_marks_at_once(
    backend, make_account, make_record, db: Session
) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    a, b = (_task(db, make_record(owner.user_id), owner.user_id) for _ in range(2))
    marks = PublishedMarks(backend.session_factory, batch_seconds=60)  # the thread never writes
    marks.add(a)
    assert _marks(db, [a]) == [None]
    marks.close()
    assert _marks(db, [a])[0] is not None
    marks.add(b)  # after close (shutdown): written in the caller's thread
    assert _marks(db, [b])[0] is not None


def test_a_database_error_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> Session:
        raise RuntimeError("database is down")

    marks = PublishedMarks(broken, batch_seconds=0)  # type: ignore[arg-type]
    marks.add(uuid.uuid4())
    assert "not recorded: database is down" in caplog.text
