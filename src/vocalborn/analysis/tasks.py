"""The `analyze_audio` Celery task: DESIGN §4's steps, progress, retries and cancellation.

Steps (total 5): initialise 10 % → load audio 20 % → analyse 40..90 % (the analyser's progress
callback is mapped onto 40..90 and checks the cancel flag) → save 95 % → done 100 %. Every change
goes to the Redis progress hash + channel; the row is updated when the analysis is claimed
(10 %), when it starts analysing (40 %) and when it is saved (100 %): loading and saving follow
their neighbour at once, so their own row updates would only cost round trips. Terminal
events are published after the commit, so a client reading the database on receiving one sees
the final state.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from celery import Task, shared_task
from celery.exceptions import Retry, SoftTimeLimitExceeded
from sqlalchemy.exc import DBAPIError

from vocalborn.analysis import retry, transitions
from vocalborn.analysis.outbox import after_commit
from vocalborn.analysis.progress import TOTAL_STEPS, ProgressEvent, is_cancel_requested
from vocalborn.analyzer.errors import AIServiceError, AnalysisTimeout, AudioFileError, TaskError
from vocalborn.analyzer.types import AnalysisReport, AnalysisRequest
from vocalborn.errors import is_database_outage
from vocalborn.worker.context import WorkerContext, get_context
from vocalborn.worker.names import ANALYZE_AUDIO

log = logging.getLogger(__name__)
# Backoff of a delivery that met a database outage: 1, 2, 4 ... seconds, at most this.
DB_OUTAGE_MAX_DELAY = 30.0


class TaskCancelled(BaseException):
    """Stops a cancelled analysis. A BaseException so analysers' `except Exception` blocks
    cannot swallow it."""


class AnalysisRun:
    def __init__(self, ctx: WorkerContext, task: Task, task_id: str) -> None:
        self.ctx = ctx
        self.task = task
        self.tid = uuid.UUID(task_id)
        self.worker = task.request.hostname or socket.gethostname()
        self.started_at = datetime.now(UTC).isoformat()

    def event(
        self, status: str, progress: int, step: str | None, index: int, **extra: Any
    ) -> ProgressEvent:
        error_type = extra.pop("error_type", None)
        error_message = extra.pop("error_message", None)
        return ProgressEvent(
            task_id=str(self.tid),
            status=status,
            progress=progress,
            current_step=step,
            step_index=index,
            total_steps=TOTAL_STEPS,
            worker_name=self.worker,
            started_at=self.started_at,
            error_type=error_type,
            error_message=error_message,
            extra=extra,
        )

    def emit(self, status: str, progress: int, step: str | None, index: int, **extra: Any) -> None:
        self.ctx.progress.publish(self.event(status, progress, step, index, **extra))

    def emit_processing(self, progress: int, step: str, index: int) -> None:
        """Publish a processing event and stop if a cancel was asked for (one Redis round
        trip for both)."""
        event = self.event("processing", progress, step, index)
        if self.ctx.progress.publish_and_check_cancel(event):
            raise TaskCancelled()

    def boundary(self, progress: int, step: str, index: int) -> None:
        """A step boundary the row records: stops if the row is no longer ours (cancelled,
        reaped) — the check that works even when Redis (and its cancel flag) is down."""
        if is_cancel_requested(self.ctx.redis, self.tid):
            raise TaskCancelled()
        with self.ctx.session_factory() as db:
            if not transitions.step(db, self.tid, progress, step):
                raise TaskCancelled()
        self.emit_processing(progress, step, index)

    def on_analyser_progress(self, label: str, fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        self.emit_processing(40 + round(50 * fraction), f"analysing: {label}", 3)

    def run(self) -> dict[str, Any]:
        settings = self.ctx.settings
        with self.ctx.session_factory() as db:
            claim = transitions.claim(db, self.tid, self.worker, settings.TASK_MAX_DELIVERIES)
        if claim.outcome == "skip":
            log.info("task %s already finished; delivery ignored", self.tid)
            return {"task_id": str(self.tid), "status": "skipped"}
        if claim.outcome == "poison":
            self.emit("failure", 10, "failed", 1, error_type="worker_lost")
            return {"task_id": str(self.tid), "status": "failure", "error_type": "worker_lost"}
        clock = time.monotonic()
        # Conditional like every processing event: never after a `cancelled` one.
        self.ctx.progress.publish_and_check_cancel(
            self.event("processing", 10, "initialising", 1, delivery_count=claim.delivery_count)
        )
        try:
            report = None if claim.has_result else self.analyse(claim)
            # Saving is one transaction right after: it is conditional on the row still being
            # `processing`, so it is the database's cancel check of this step.
            self.emit_processing(95, "saving", 4)
            with self.ctx.session_factory() as db:
                after_commit(db, "success event", lambda: self.emit("success", 100, "done", 5))
                if not transitions.succeed(db, self.tid, report, time.monotonic() - clock):
                    raise TaskCancelled()  # rolled back: no event
            return {"task_id": str(self.tid), "status": "success"}
        except TaskCancelled:
            log.info("task %s cancelled; stopped", self.tid)
            return {"task_id": str(self.tid), "status": "cancelled"}
        except Retry:
            raise
        except SoftTimeLimitExceeded:
            return self.handle(
                AnalysisTimeout(
                    f"The analysis took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s. "
                    "Try a shorter recording, or ask the administrator to raise the time limit."
                ),
                claim,
            )
        except TaskError as exc:
            return self.handle(exc, claim)
        except DBAPIError as exc:
            if is_database_outage(exc):
                raise  # not the analyser's fault: analyze_audio delivers the task again
            log.exception("database error on task %s", self.tid)
            return self.handle(AIServiceError(f"The analysis could not be saved ({exc})."), claim)
        except Exception as exc:  # anything else from the analyser is its internal failure
            log.exception("analyser failed on task %s", self.tid)
            return self.handle(
                AIServiceError(f"The analyser failed ({type(exc).__name__}: {exc})."), claim
            )

    def analyse(self, claim: transitions.Claim) -> AnalysisReport:
        # Loading is only a file check: announced, not recorded (the next boundary follows).
        self.emit_processing(20, "loading_audio", 2)
        storage = self.ctx.storage
        if not claim.audio_path:
            raise AudioFileError("The recording has no audio; upload it again.")
        try:
            audio = storage.path(claim.audio_path)
        except ValueError as exc:
            raise AudioFileError("The recording's stored path is invalid.") from exc
        if not audio.is_file():
            raise AudioFileError("The recording file is missing from storage; upload it again.")
        reference = None
        if claim.reference_audio_path:
            ref = storage.path(claim.reference_audio_path)
            reference = ref if ref.is_file() else None
        request = AnalysisRequest(
            audio_path=audio,
            text=claim.text,
            language=claim.language,  # type: ignore[arg-type]
            reference_audio_path=reference,
            parameters=claim.params or {},
        )
        analyser = self.ctx.get_analyser()
        self.boundary(40, "analysing", 3)
        report = analyser.analyse(request, self.on_analyser_progress)
        self.emit_processing(90, "analysed", 3)
        return report

    def handle(self, exc: TaskError, claim: transitions.Claim) -> dict[str, Any]:
        settings = self.ctx.settings
        kind = exc.error_type
        message = exc.message
        decision = retry.decide(kind, claim.retry_count, settings.TASK_RETRY_DELAY_SCALE)
        if decision is not None:
            countdown, max_retries = decision.countdown, decision.max_retries
            next_at = datetime.now(UTC) + timedelta(seconds=countdown)
            retry_event = partial(
                self.emit,
                "retry",
                0,
                "waiting_to_retry",
                0,
                error_type=kind.value,
                error_message=message,
                retry_count=claim.retry_count + 1,
                max_retries=max_retries,
                countdown=countdown,
                next_retry_at=next_at.isoformat(),
            )
            with self.ctx.session_factory() as db:
                after_commit(db, "retry event", retry_event)
                if not transitions.schedule_retry(
                    db, self.tid, kind.value, message, countdown, max_retries
                ):
                    return {"task_id": str(self.tid), "status": "cancelled"}
            log.warning(
                "task %s: %s error, retry %d/%d in %.2fs: %s",
                self.tid,
                kind.value,
                claim.retry_count + 1,
                max_retries,
                countdown,
                message,
            )
            # Our table is the authority on how often; Celery only schedules the delivery.
            raise self.task.retry(countdown=countdown, max_retries=None)
        failure_event = partial(
            self.emit, "failure", 0, "failed", 0, error_type=kind.value, error_message=message
        )
        with self.ctx.session_factory() as db:
            after_commit(db, "failure event", failure_event)
            failed = transitions.fail(db, self.tid, kind.value, message)
        if failed:
            log.warning("task %s failed (%s): %s", self.tid, kind.value, message)
        return {"task_id": str(self.tid), "status": "failure", "error_type": kind.value}


@shared_task(
    bind=True,
    name=ANALYZE_AUDIO,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def analyze_audio(self: Task, task_id: str) -> dict[str, Any]:
    """Analyse the recording of one task row; the row holds everything (arg: its id)."""
    try:
        return AnalysisRun(get_context(), self, task_id).run()
    except DBAPIError as exc:
        if not is_database_outage(exc):
            raise
        # PostgreSQL is unreachable, so nothing about this delivery could be recorded. Ending
        # the task would acknowledge the message and lose it (a published `pending` row is
        # never re-published by the reaper): deliver it again after a backoff instead. The row
        # is still claimable (`pending`, `retry` or our own `processing`).
        countdown = min(DB_OUTAGE_MAX_DELAY, 2.0 ** min(self.request.retries or 0, 10))
        log.warning("task %s: database unavailable, delivered again in %.0f s: %s",
                    task_id, countdown, exc.orig)  # fmt: skip
        raise self.retry(countdown=countdown, max_retries=None) from exc
