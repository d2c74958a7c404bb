"""The schedule service on both backends: seeding, validation, change stamps, next runs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from vocalborn.config import Settings
from vocalborn.schedules import entries as svc
from vocalborn.worker.celery_app import create_celery

TAIPEI = ZoneInfo("Asia/Taipei")


@pytest.fixture
def celery(settings: Settings):  # type: ignore[no-untyped-def]
    return create_celery(settings)


def test_seed_inserts_defaults_once_and_keeps_operator_changes(db: Session) -> None:
    added = svc.seed_defaults(db)
    assert set(added) == set(svc.DEFAULT_SCHEDULES)
    db.commit()
    row = svc.get_entry(db, "health-check")
    assert row.kind == "interval" and row.interval_seconds == 300
    assert svc.get_entry(db, "cleanup-expired-tasks").crontab_text == "0 2 * * *"
    # An operator changes one entry and removes another; seeding again restores only the
    # missing one and leaves the change alone.
    svc.update_entry(
        db,
        "health-check",
        svc.merged_spec(row, {"interval_seconds": 42.0}),
        set(svc.JOB_NAMES),
    )
    svc.delete_entry(db, "auto-submit-recorded")
    db.commit()
    assert svc.seed_defaults(db) == ["auto-submit-recorded"]
    db.commit()
    assert svc.get_entry(db, "health-check").interval_seconds == 42.0
    assert svc.seed_defaults(db) == []


def test_every_default_names_a_registered_job(celery) -> None:  # type: ignore[no-untyped-def]
    known = svc.registered_task_names(celery)
    assert {s.task for s in svc.DEFAULT_SCHEDULES.values()} <= known
    assert set(svc.JOB_NAMES) <= known
    assert "vocalborn.analysis.analyze_audio" not in known  # analyses are submitted


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (svc.ScheduleSpec("vocalborn.health.health_check", crontab="0 25 * * *"), "invalid"),
        (svc.ScheduleSpec("vocalborn.health.health_check", crontab="0 2 * *"), "5 fields"),
        (svc.ScheduleSpec("vocalborn.health.health_check", crontab="x 2 * * *"), "invalid"),
        (svc.ScheduleSpec("vocalborn.health.health_check", interval_seconds=0), "above 0"),
        (svc.ScheduleSpec("vocalborn.health.health_check"), "exactly one"),
        (
            svc.ScheduleSpec(
                "vocalborn.health.health_check", interval_seconds=5, crontab="* * * * *"
            ),
            "exactly one",
        ),
        (svc.ScheduleSpec("vocalborn.nope", interval_seconds=5), "unknown task"),
        (svc.ScheduleSpec("vocalborn.health.health_check", 5, queue="ai_x"), "queue"),
    ],
)
def test_invalid_entries_are_refused(db: Session, spec: svc.ScheduleSpec, message: str) -> None:
    with pytest.raises(svc.InvalidSchedule) as err:
        svc.create_entry(db, "bad", spec, set(svc.JOB_NAMES))
    assert message in err.value.message
    assert err.value.status_code == 422


def test_changes_move_the_stamp_but_beat_bookkeeping_does_not(db: Session) -> None:
    from sqlalchemy import update

    from vocalborn.schedules.models import PeriodicTask

    empty = svc.schedule_stamp(db)
    svc.create_entry(
        db, "tick", svc.ScheduleSpec("vocalborn.health.health_check", 1.0), set(svc.JOB_NAMES)
    )
    db.commit()
    created = svc.schedule_stamp(db)
    assert created != empty and created[0] == 1
    # what beat writes after each fire
    db.execute(
        update(PeriodicTask)
        .where(PeriodicTask.name == "tick")
        .values(last_run_at=datetime.now(UTC), total_run_count=PeriodicTask.total_run_count + 1)
    )
    db.commit()
    assert svc.schedule_stamp(db) == created
    svc.set_enabled(db, "tick", False)
    db.commit()
    disabled = svc.schedule_stamp(db)
    assert disabled != created
    svc.set_enabled(db, "tick", False)  # no change, no new stamp
    db.commit()
    assert svc.schedule_stamp(db) == disabled


def test_crontab_entries_run_in_taipei_time(db: Session, celery) -> None:  # type: ignore[no-untyped-def]
    svc.seed_defaults(db)
    db.commit()
    row = svc.get_entry(db, "cleanup-expired-tasks")
    # 2026-11-25 10:00 in Taipei is 02:00 UTC; the next 02:00 Taipei is 2026-11-26 02:00 +08.
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    row.last_run_at = datetime(2026, 11, 24, 18, 0, 5, tzinfo=UTC)  # 02:00:05 Taipei, the 25th
    nxt = svc.next_run_at(row, celery, now)
    assert nxt is not None
    assert nxt.astimezone(TAIPEI).replace(tzinfo=None) == datetime(2026, 11, 26, 2, 0)
    assert nxt.utcoffset().total_seconds() == 8 * 3600  # shown in Taipei time
    out = svc.entry_out(row, celery, now)
    assert out["next_run_at"].startswith("2026-11-26T02:00:00") and out["timezone"] == "Asia/Taipei"
    row.enabled = False
    assert svc.next_run_at(row, celery, now) is None


def test_interval_next_run_follows_last_run(db: Session, celery) -> None:  # type: ignore[no-untyped-def]
    svc.seed_defaults(db)
    row = svc.get_entry(db, "health-check")
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    row.last_run_at = datetime(2026, 11, 25, 1, 58, tzinfo=UTC)
    nxt = svc.next_run_at(row, celery, now)
    assert nxt is not None and nxt.astimezone(UTC) == datetime(2026, 11, 25, 2, 3, tzinfo=UTC)
    row.last_run_at = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # overdue: runs now
    assert svc.next_run_at(row, celery, now) == now
