"""`DatabaseScheduler`: Celery Beat reading its schedule from `periodic_tasks`, one leader.

Why our own class and not sqlalchemy-celery-beat: that library keeps its tables in its own
declarative base under a `celery_schema` schema, creates them itself (`create_all` at start,
outside Alembic) and manages its own engines; SQLite has no schemas, and our migrations and the
models-vs-migrations check must own every table. What we need is small: load enabled rows as
entries, notice changes cheaply, persist `last_run_at`, and hold a leader lock.

- Changes: every `BEAT_SCHEDULE_CHECK_SECONDS` one query reads `count(*)` and
  `max(changed_at)`; when they moved, the entries are rebuilt from the rows (the base class
  then rebuilds its heap, because the entries' editable fields differ). Operator writes set
  `changed_at`; beat's own `last_run_at` writes do not, so firing never causes a reload.
- Persistence: after each send, `last_run_at` and `total_run_count` are written for that row,
  so a restarted or newly elected beat continues where the last leader stopped (no catch-up
  burst, no crontab run lost or doubled across a restart).
- Leader: `LeaderLock` (schedules/leader.py). Every tick first renews or takes the lock; a
  follower logs "another beat holds the lock (...); waiting" and polls at a fraction of the
  lock ttl. On becoming leader the schedule is reloaded from the database, so the new leader
  sees the old leader's `last_run_at`. Before each send the lock is renewed again, so a beat
  that stalled past the ttl never sends after another took over.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import datetime
from typing import Any

import redis
from celery import Celery
from celery.beat import ScheduleEntry, Scheduler
from sqlalchemy import select, update

from vocalborn.config import Settings, get_settings
from vocalborn.db import make_engine, make_session_factory, session_scope
from vocalborn.redis_conn import connect
from vocalborn.schedules.entries import (
    celery_schedule,
    entry_options,
    schedule_stamp,
)
from vocalborn.schedules.leader import LeaderLock
from vocalborn.schedules.models import PeriodicTask

log = logging.getLogger("vocalborn.beat")


class DatabaseScheduler(Scheduler):
    #: Beat's own (file) sync is meaningless here: rows are written as entries fire.
    sync_every = 3600

    def __init__(self, app: Celery, *args: Any, **kwargs: Any) -> None:
        settings = getattr(app, "vocalborn_settings", None)
        self.settings: Settings = settings if isinstance(settings, Settings) else get_settings()
        self.engine = make_engine(self.settings.database_url, pool_size=1, max_overflow=1)
        self.session_factory = make_session_factory(self.engine)
        self.redis = connect(self.settings.CELERY_BROKER_URL, self.settings.REDIS_SENTINEL_MASTER)
        self.lock = LeaderLock(self.redis, self.settings.BEAT_LOCK_TTL_SECONDS)
        self.check_every = self.settings.BEAT_SCHEDULE_CHECK_SECONDS
        self._entries: dict[str, ScheduleEntry] = {}
        self._stamp: tuple[int, datetime | None] | None = None
        self._last_check = 0.0
        self._last_wait_log = 0.0
        kwargs.pop("schedule_filename", None)
        super().__init__(app, *args, **kwargs)
        # Tick often enough to renew the lock well inside its ttl and to see changes.
        base: float = float(self.max_interval)  # type: ignore[has-type]
        self.max_interval = min(base, self.check_every, self.settings.BEAT_LOCK_TTL_SECONDS / 3)

    # -- schedule -------------------------------------------------------------------------

    def setup_schedule(self) -> None:
        # Default entries are seeded by `vocalborn beat` / `vocalborn schedule seed` /
        # `vocalborn db upgrade`, not here: an operator may have removed them on purpose.
        self._reload(force=True)

    def _reload(self, force: bool = False) -> None:
        self._last_check = time.monotonic()
        try:
            with self.session_factory() as db:
                stamp = schedule_stamp(db)
                if not force and stamp == self._stamp:
                    return
                rows = list(db.scalars(select(PeriodicTask).where(PeriodicTask.enabled)))
        except Exception as exc:  # keep firing the schedule we have; try again next check
            log.warning("beat: schedule not reloaded (database unavailable?): %s", exc)
            return
        entries: dict[str, ScheduleEntry] = {}
        for row in rows:
            try:
                entries[row.name] = self._entry(row)
            except Exception:
                log.exception("beat: entry %s skipped: its schedule is unusable", row.name)
        if self._stamp is not None:
            log.info(
                "beat: schedule changed; %d enabled entries: %s", len(entries), sorted(entries)
            )
        else:
            log.info("beat: %d enabled entries: %s", len(entries), sorted(entries))
        self._stamp = stamp
        self._entries = entries

    def _entry(self, row: PeriodicTask) -> ScheduleEntry:
        tz = self.app.timezone
        previous = self._entries.get(row.name)
        last_run_at = row.last_run_at.astimezone(tz) if row.last_run_at else None
        if previous is not None and previous.last_run_at is not None:
            # Our own sends are already persisted; keep the newer of the two (a failed write).
            mine = previous.last_run_at.astimezone(tz)
            last_run_at = max(mine, last_run_at) if last_run_at else mine
        return self.Entry(
            name=row.name,
            task=row.task,
            schedule=celery_schedule(row, self.app),
            args=tuple(row.args or ()),
            kwargs=dict(row.kwargs or {}),
            options=entry_options(row),
            last_run_at=last_run_at,
            total_run_count=row.total_run_count,
            app=self.app,
        )

    def get_schedule(self) -> dict[str, ScheduleEntry]:
        if time.monotonic() - self._last_check >= self.check_every:
            self._reload()
        return self._entries

    def set_schedule(self, schedule: dict[str, ScheduleEntry]) -> None:
        self._entries = schedule

    schedule = property(get_schedule, set_schedule)

    # -- leadership and firing ------------------------------------------------------------

    def _is_leader(self) -> bool:
        was = self.lock.held
        try:
            leader = self.lock.ensure()
        except redis.RedisError as exc:
            if was:
                log.warning("beat: cannot renew the leader lock (%s); not firing", exc)
            self.lock.held = False
            return False
        if leader and not was:
            log.info("beat: acquired the leader lock (%s); firing the schedule", self.lock.token)
            # The previous leader moved last_run_at on: start from the database's view.
            self._entries = {}
            self._stamp = None
            self._reload(force=True)
            self._heap = None
        elif was and not leader:
            log.warning("beat: lost the leader lock; waiting")
        return leader

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._is_leader():
            now = time.monotonic()
            if now - self._last_wait_log >= 60 or not self._last_wait_log:
                holder = None
                try:
                    holder = self.lock.holder()
                except redis.RedisError:
                    holder = "unknown: Redis unreachable"
                log.warning("beat: another beat holds the lock (%s); waiting", holder)
                self._last_wait_log = now
            self._heap = None
            return max(0.5, min(self.max_interval, self.settings.BEAT_LOCK_TTL_SECONDS / 4))
        self._last_wait_log = 0.0
        return float(super().tick(*args, **kwargs))

    def apply_entry(self, entry: ScheduleEntry, producer: Any = None) -> None:
        # Renew right before sending: a beat that stalled past the ttl must not send.
        try:
            still = self.lock.ensure()
        except redis.RedisError:
            still = False
        if not still:
            self.lock.held = False
            log.warning("beat: lost the leader lock before sending %s; not sent", entry.name)
            self._heap = None
            return
        super().apply_entry(entry, producer=producer)
        fired = self._entries.get(entry.name)
        when = fired.last_run_at if fired is not None else None
        try:
            with session_scope(self.session_factory) as db:
                db.execute(
                    update(PeriodicTask)
                    .where(PeriodicTask.name == entry.name)
                    .values(
                        last_run_at=when or self.app.now(),
                        total_run_count=PeriodicTask.total_run_count + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
        except Exception as exc:
            log.warning("beat: last run of %s not recorded: %s", entry.name, exc)

    def close(self) -> None:
        try:
            super().close()
        finally:
            with contextlib.suppress(redis.RedisError):
                self.lock.release()
            self.redis.close()
            self.engine.dispose()

    @property
    def info(self) -> str:
        return (
            f"    . db -> {self.engine.url.render_as_string(hide_password=True)}\n"
            f"    . leader lock -> {self.lock.key} (ttl {self.settings.BEAT_LOCK_TTL_SECONDS:g}s)"
        )
