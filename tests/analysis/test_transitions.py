"""The worker's database transitions, on PostgreSQL and SQLite."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support import rows
from vocalborn.analysis import transitions
from vocalborn.analysis.models import AnalysisResult, AnalysisTask, TaskStatus
from vocalborn.analyzer.types import AnalysisReport
from vocalborn.practice.models import PracticeRecord, RecordStatus


def _report() -> AnalysisReport:
    return AnalysisReport(
        overall_score=81.234,
        pronunciation_accuracy=None,
        fluency_score=70,
        rhythm_score=60,
        detailed_analysis={"phoneme_analysis": []},
        sentence_analyses=[],
        suggestions=[],
        improvement_areas=[],
        analysis_model_version="t",
    )


def _task(db: Session, record: PracticeRecord, user_id: str) -> uuid.UUID:
    task = rows.task(db, record, user_id)
    record.record_status = RecordStatus.AI_QUEUED
    db.commit()
    return task.task_id


def test_claim_redelivery_poison_and_terminal(make_account, make_record, db: Session) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    record = make_record(owner.user_id)
    task_id = _task(db, record, owner.user_id)
    first = transitions.claim(db, task_id, "w1@h", max_deliveries=2)
    assert (first.outcome, first.delivery_count) == ("run", 1)
    assert first.audio_path == record.audio_path
    db.expire_all()
    assert db.get(PracticeRecord, record.practice_record_id).record_status == "AI_PROCESSING"
    second = transitions.claim(db, task_id, "w2@h", max_deliveries=2)  # redelivery after a crash
    assert (second.outcome, second.delivery_count) == ("run", 2)
    third = transitions.claim(db, task_id, "w3@h", max_deliveries=2)
    assert third.outcome == "poison"
    db.expire_all()
    task = db.get(AnalysisTask, task_id)
    assert (task.status, task.error_type) == (TaskStatus.FAILURE, "worker_lost")
    assert db.get(PracticeRecord, record.practice_record_id).record_status == "RECORDED"
    assert transitions.claim(db, task_id, "w4@h", max_deliveries=2).outcome == "skip"


def test_result_is_written_once(make_account, make_record, db: Session) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    record = make_record(owner.user_id)
    task_id = _task(db, record, owner.user_id)
    transitions.claim(db, task_id, "w1@h", max_deliveries=3)
    assert transitions.succeed(db, task_id, _report(), 1.5)
    assert not transitions.succeed(db, task_id, _report(), 1.5)  # no longer processing
    # even a second insert for the same task (a redelivery racing) leaves one row
    transitions._insert_result(
        db, {"result_id": uuid.uuid4(), "task_id": task_id, "detailed_analysis": {}}
    )
    db.commit()
    assert db.scalar(select(func.count()).select_from(AnalysisResult)) == 1
    result = db.scalar(select(AnalysisResult))
    assert float(result.overall_score) == 81.23
    db.expire_all()
    assert db.get(PracticeRecord, record.practice_record_id).record_status == "AI_ANALYZED"
    assert transitions.claim(db, task_id, "w2@h", max_deliveries=3).outcome == "skip"


def test_retry_and_cancel_win_over_the_worker(make_account, make_record, db: Session) -> None:  # type: ignore[no-untyped-def]
    owner = make_account()
    record = make_record(owner.user_id)
    task_id = _task(db, record, owner.user_id)
    transitions.claim(db, task_id, "w1@h", max_deliveries=3)
    assert transitions.schedule_retry(db, task_id, "network", "down", 30.0, 5)
    db.expire_all()
    task = db.get(AnalysisTask, task_id)
    assert (task.status, task.retry_count, task.max_retries, task.delivery_count) == (
        "retry", 1, 5, 0,
    )  # fmt: skip
    assert task.next_retry_at is not None
    assert db.get(PracticeRecord, record.practice_record_id).record_status == "AI_QUEUED"
    transitions.claim(db, task_id, "w1@h", max_deliveries=3)
    task.status = TaskStatus.CANCELLED  # the API cancelled it meanwhile
    db.commit()
    assert not transitions.step(db, task_id, 20, "loading_audio")
    assert not transitions.succeed(db, task_id, _report(), 1.0)
    assert not transitions.fail(db, task_id, "file", "x")
    db.expire_all()
    assert db.get(AnalysisTask, task_id).status == TaskStatus.CANCELLED
