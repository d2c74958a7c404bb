"""Queue position is one COUNT served by the (status, created_at) index, even with 10,000
pending tasks; ETA arithmetic; settings checks; models match the migrations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, event, insert, text

from tests.conftest import make_settings
from vocalborn.analysis.models import AnalysisTask
from vocalborn.analysis.queue_info import estimate_wait, iso_duration, queue_position
from vocalborn.config import Settings
from vocalborn.models import Base
from vocalborn.practice.models import PracticeRecord, PracticeSession


def test_position_with_10000_pending_is_one_indexed_count(make_account, make_record, db) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    records = [make_record(owner.user_id) for _ in range(2)]
    # one record per active task (at most one active task per record)
    sessions = [{"practice_session_id": uuid.uuid4(), "user_id": uuid.UUID(owner.user_id)}
                for _ in range(20_000)]  # fmt: skip
    db.execute(insert(PracticeSession), sessions)
    many = [
        {
            "practice_record_id": uuid.uuid4(),
            "practice_session_id": s["practice_session_id"],
            "sentence_id": records[0].sentence_id,
        }
        for s in sessions
    ]
    db.execute(insert(PracticeRecord), many)
    rows = [
        {
            "task_id": uuid.uuid4(),
            "celery_task_id": str(uuid.uuid4()),
            "practice_record_id": many[i]["practice_record_id"],
            "user_id": uuid.UUID(owner.user_id),
            "status": "success" if i % 2 else "pending",
            "queue": "ai_analysis",
            "created_at": start + timedelta(milliseconds=i),
        }
        for i in range(20_000)
    ]
    db.execute(insert(AnalysisTask), rows)
    mine = AnalysisTask(
        task_id=uuid.uuid4(),
        celery_task_id="mine",
        practice_record_id=records[1].practice_record_id,
        user_id=uuid.UUID(owner.user_id),
        created_at=start + timedelta(hours=1),
    )
    db.add(mine)
    db.flush()
    db.execute(text("ANALYZE"))

    statements: list[tuple[str, object]] = []
    conn = db.connection()

    def count(_c, _cur, statement, parameters, *_a):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", count)
    try:
        assert queue_position(db, mine) == 10_000
    finally:
        event.remove(conn, "before_cursor_execute", count)
    assert len(statements) == 1

    # the very statement it ran, explained. Here half the table is pending, so PostgreSQL
    # rightly prefers a sequential scan; forbidding it shows the index can serve the count
    # (in production finished rows vastly outnumber pending ones and the planner picks it).
    statement, parameters = statements[0]
    explain = "EXPLAIN " if conn.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = " ".join(str(r) for r in conn.exec_driver_sql(explain + statement, parameters))
    # (status, created_at), or the partial index on active statuses, which also covers it
    used = ("ix_ai_analysis_tasks_status_created_at", "uq_ai_analysis_tasks_active_record")
    assert any(name in plan for name in used), plan
    assert "SEQ SCAN" not in plan.upper(), plan
    db.rollback()


def test_eta_and_iso_durations() -> None:
    assert estimate_wait(0, 2, 30.0) == 30.0
    assert estimate_wait(10, 2, 30.0) == 180.0
    assert estimate_wait(3, 0, 10.0) == 40.0  # no worker online counts as one slot
    assert iso_duration(0) == "PT0S"
    assert iso_duration(45) == "PT45S"
    assert iso_duration(125.2) == "PT2M6S"
    assert iso_duration(3600) == "PT1H"


def test_visibility_timeout_must_cover_limit_and_longest_countdown(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CELERY_VISIBILITY_TIMEOUT"):
        make_settings(
            tmp_path,
            "sqlite://",
            "redis://x",
            CELERY_VISIBILITY_TIMEOUT=900,
            TASK_RETRY_DELAY_SCALE=1.0,
        )
    # 600 s hard limit + 480 s (the 5th network retry) fits in the default hour
    assert Settings(_env_file=None, ENVIRONMENT="dev").CELERY_VISIBILITY_TIMEOUT == 3600  # type: ignore[call-arg]
    make_settings(
        tmp_path,
        "sqlite://",
        "redis://x",
        CELERY_TASK_TIME_LIMIT=6,
        CELERY_TASK_SOFT_TIME_LIMIT=5,
        CELERY_VISIBILITY_TIMEOUT=10,
        TASK_RETRY_DELAY_SCALE=0.005,
    )


def test_models_match_migrations(pg_url: str, sqlite_template: Path) -> None:
    for url in (pg_url, f"sqlite:///{sqlite_template}"):
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        finally:
            engine.dispose()
        assert diff == [], (url, diff)
