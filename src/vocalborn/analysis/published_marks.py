"""`published_at` after each publish: written in batches off the request path for the API,
at once (`batch_seconds=0`) for the CLI, the reaper and maintenance jobs (`Effects.at_once`).
Either way in a transaction of its own: the publish runs after the task's commit (the
outbox), where the committing session can no longer write.

A submission used to pay a second transaction after its publish (pool checkout with its ping,
the UPDATE, the commit) only to note that the message went out. Here the request hands the
task id over and a background thread writes every id handed over in the last moment in one
UPDATE. Losing a batch (crash, database down) is harmless by design (see `publish.py`): the
reaper re-publishes a pending row whose `published_at` stayed NULL after its grace period, and
the worker ignores a second delivery of a task it already claimed.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

from sqlalchemy import update
from sqlalchemy.orm import Session

from vocalborn.analysis.models import AnalysisTask
from vocalborn.db import utcnow

log = logging.getLogger(__name__)
# How long the thread gathers ids after the first one arrives: far below the reaper's grace
# (REAPER_PUBLISH_GRACE_SECONDS), long enough to share one transaction under load.
BATCH_SECONDS = 0.05
MAX_BATCH = 500


class PublishedMarks:
    """`batch_seconds=0` writes each mark at once in the caller's thread (tests whose requests
    share one connection use that)."""

    def __init__(self, factory: Callable[[], Session], batch_seconds: float = BATCH_SECONDS):
        self._factory = factory
        self._batch_seconds = batch_seconds
        self._pending: list[uuid.UUID] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def add(self, task_id: uuid.UUID) -> None:
        """Note that `task_id` was published; written within about BATCH_SECONDS."""
        if self._batch_seconds <= 0:
            self._write([task_id])
            return
        with self._lock:
            closed = self._closed
            if not closed:
                self._pending.append(task_id)
                if self._thread is None:  # started on first use: no lifespan needed
                    self._thread = threading.Thread(
                        target=self._run, name="published-marks", daemon=True
                    )
                    self._thread.start()
        if closed:  # shutting down: write it now rather than drop it
            self._write([task_id])
        else:
            self._wake.set()

    def flush(self) -> int:
        """Write what is pending now; returns how many ids were handed to the database."""
        with self._lock:
            ids, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        if ids:
            self._write(ids)
        return len(ids)

    def close(self) -> None:
        """Stop the thread after writing everything pending (application shutdown)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=10)
        while self.flush():
            pass

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._closed:
                return
            self._wake.clear()
            time.sleep(self._batch_seconds)  # gather the ids of concurrent requests
            while self.flush() == MAX_BATCH:
                pass

    def _write(self, ids: list[uuid.UUID]) -> None:
        try:
            with self._factory() as db:
                db.execute(
                    update(AnalysisTask)
                    .where(AnalysisTask.task_id.in_(ids), AnalysisTask.published_at.is_(None))
                    .values(published_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                db.commit()
        except Exception as exc:  # the messages are out; NULL marks only cost re-publishes
            log.warning("published_at of %d task(s) not recorded: %s", len(ids), exc)
