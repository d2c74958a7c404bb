"""`reap_stuck_tasks`: recover what PostgreSQL says exists but Redis lost (DESIGN §4.5).

PostgreSQL is the truth; Redis restarts without persistence, failovers and FLUSHDB lose
messages. Each pass:
1. Committed but never published (`pending`, `published_at` NULL, older than a grace period so
   the API's own publish is not raced): publish now (`publish.publish_task`, the same publish
   that the outbox runs after a submission's commit).
2. Waiting for a message the broker no longer holds (in no queue, not in the `unacked` hash of
   reserved/running messages and retries waiting for their ETA): `pending` rows published before
   the grace period, `retry` rows well past `next_retry_at` (until then a live worker may hold the
   ETA message in memory): re-published.
3. `processing` rows whose attempt cannot still be running (started before the hard time limit
   plus a grace period) and whose message the broker no longer holds: worker alive → the hard
   limit killed it, a `timeout` error (retried per policy); worker gone → back to `pending`
   and re-published after that commit (through the outbox), or failed at the delivery cap. A
   message the broker still holds (unacked by a dead worker) is left to Redis' own redelivery
   after the visibility timeout.

What the broker holds is read once per pass (`BrokerSnapshot`: one pipelined LRANGE per queue
key and one HVALS of `unacked`, ids decoded from the kombu envelopes), never one Redis call per
task. It is read BEFORE the rows are selected: a message consumed in between has its row
claimed (`processing`), so it is not taken for lost. A re-publication racing a late message (a
prefetched copy that outlived a FLUSHDB in a worker's memory) is harmless: the claim ignores a
delivery of a finished task and the conditional save lets one delivery finish the row
(analysis/transitions.py). A Redis lock keeps two reapers from acting at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

import redis
from celery import Celery, shared_task
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from vocalborn.analysis import retry, transitions
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.outbox import after_commit
from vocalborn.analysis.progress import ProgressEvent, ProgressPublisher
from vocalborn.analysis.publish import (
    Effects,
    publish_after_commit,
    publish_task,
    send_analysis,
)
from vocalborn.analyzer.errors import ErrorType
from vocalborn.config import Settings
from vocalborn.db import utcnow
from vocalborn.redis_conn import connect
from vocalborn.worker.names import QUEUES, REAP_STUCK_TASKS
from vocalborn.worker.registry import live_workers

log = logging.getLogger(__name__)
LOCK_KEY = "vocalborn:reaper:lock"
BATCH = 500
# Lost messages re-sent per pass, oldest first (~2 ms each): a pass stays well inside its lock,
# and no worker fleet drains more than this in the minute until the next pass.
REPUBLISH_PER_PASS = 5000
# kombu's Redis transport: a message of priority p > 0 waits in "<queue>\x06\x16<p>".
UNACKED_KEY = "unacked"
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)


def queue_keys(queue: str) -> list[str]:
    return [queue if p == 0 else f"{queue}{PRIORITY_SEP}{p}" for p in PRIORITY_STEPS]


def message_task_id(raw: bytes) -> str | None:
    """The task id in one stored kombu message: a queue entry is the JSON envelope, an
    `unacked` value is `[envelope, exchange, routing_key]`; Celery puts the id in
    `headers.id` (protocol 2) and `properties.correlation_id`. Fast path, 10x cheaper than
    parsing the JSON: the first `"id": "` is `headers.id` (the body is base64, quotes inside
    strings are escaped, `root_id`/`parent_id` do not match)."""
    at = raw.find(b'"id": "')
    end = raw.find(b'"', at + 7) if at >= 0 else -1
    if end - at == 7 + 36:  # a UUID, as every task id of ours
        return raw[at + 7 : end].decode()
    try:
        data = json.loads(raw)
        data = data[0] if isinstance(data, list) else data
        found = data.get("headers", {}).get("id") or data["properties"].get("correlation_id")
    except (ValueError, AttributeError, IndexError, KeyError, TypeError):
        return None
    return str(found) if found else None


@dataclass
class BrokerSnapshot:
    """The task ids of every message Redis held at one moment (queued or unacked)."""

    ids: set[str] = field(default_factory=set)
    # Messages whose id could not be decoded: searched for the id, so never taken for "lost".
    opaque: list[bytes] = field(default_factory=list)
    queues: frozenset[str] = frozenset()

    @classmethod
    def read(cls, client: redis.Redis, queues: Iterable[str]) -> BrokerSnapshot:
        """One round trip. Queues are read before `unacked`: a message moving from one to the
        other meanwhile is seen in one of them. Raises redis errors: the reaper never acts on
        a guess."""
        names = frozenset(queues)
        pipe = client.pipeline(transaction=False)
        for queue in sorted(names):
            for key in queue_keys(queue):
                pipe.lrange(key, 0, -1)
        pipe.hvals(UNACKED_KEY)
        snapshot = cls(queues=names)
        for chunk in pipe.execute():
            for raw in chunk:
                task_id = message_task_id(raw)
                if task_id is None:
                    snapshot.opaque.append(raw)
                else:
                    snapshot.ids.add(task_id)
        return snapshot

    def holds(self, task_id: object) -> bool:
        tid = str(task_id)
        return tid in self.ids or any(tid.encode() in raw for raw in self.opaque)


class Reaper:
    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        celery: Celery,
        broker: redis.Redis,
        progress: ProgressPublisher,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.celery = celery
        self.broker = broker
        self.progress = progress
        self.effects = Effects.at_once(celery, progress, session_factory)
        self.counts = {"published": 0, "republished": 0, "retried": 0, "failed": 0}
        self._snapshot: BrokerSnapshot | None = None

    def run(self) -> dict[str, int]:
        ttl = max(5, int(self.settings.REAPER_INTERVAL_SECONDS))
        token = utcnow().isoformat()
        if not self.progress.client.set(LOCK_KEY, token, nx=True, ex=ttl):
            log.info("another reaper is running")
            return self.counts
        try:
            self.publish_unpublished()
            self.reap_lost_messages()
            self.reap_processing()
        finally:
            if self.progress.client.get(LOCK_KEY) == token.encode():
                self.progress.client.delete(LOCK_KEY)
        if any(self.counts.values()):
            log.warning("reaper: %s", self.counts)
        return self.counts

    def snapshot(self, queues: Iterable[str] = ()) -> BrokerSnapshot:
        """What the broker holds, read once per pass (again only for a queue not read yet)."""
        wanted = set(QUEUES) | set(queues)
        if self._snapshot is None or not wanted <= self._snapshot.queues:
            self._snapshot = BrokerSnapshot.read(self.broker, wanted)
        return self._snapshot

    def publish_unpublished(self) -> None:
        cutoff = utcnow() - timedelta(seconds=self.settings.REAPER_PUBLISH_GRACE_SECONDS)
        with self.session_factory() as db:
            rows = db.execute(
                select(AnalysisTask.task_id, AnalysisTask.queue)
                .where(
                    AnalysisTask.status == TaskStatus.PENDING,
                    AnalysisTask.created_at < cutoff,
                    AnalysisTask.published_at.is_(None),
                )
                .order_by(AnalysisTask.created_at)
                .limit(BATCH)
            ).all()
        for task_id, queue in rows:  # committed long ago: published directly
            if publish_task(self.effects, task_id, queue):
                self.counts["published"] += 1

    def reap_lost_messages(self) -> None:
        s = self.settings
        now = utcnow()
        published_before = now - timedelta(seconds=s.REAPER_PUBLISH_GRACE_SECONDS)
        due_before = now - timedelta(
            seconds=s.WORKER_HEARTBEAT_SECONDS * 3 + s.REAPER_PUBLISH_GRACE_SECONDS
        )
        waiting = or_(
            and_(
                AnalysisTask.status == TaskStatus.PENDING,
                AnalysisTask.published_at < published_before,
            ),
            and_(AnalysisTask.status == TaskStatus.RETRY, AnalysisTask.next_retry_at < due_before),
        )
        with self.session_factory() as db:
            if db.scalar(select(AnalysisTask.task_id).where(waiting).limit(1)) is None:
                return  # nothing waits: the broker is not read at all
        snapshot = self.snapshot()  # before the rows: see the module docstring
        with self.session_factory() as db:
            rows = db.execute(
                select(AnalysisTask.task_id, AnalysisTask.queue)
                .where(waiting)
                .order_by(AnalysisTask.created_at)
            ).all()
        snapshot = self.snapshot(queue for _, queue in rows)
        for task_id, queue in rows:
            if self.counts["republished"] >= REPUBLISH_PER_PASS:
                break  # the rest next pass
            # Only the message is made again: the row's status does not change (no event),
            # and it keeps its `published_at` (the first hand-over), which `vocalborn purge`
            # relies on to cancel rows published before a purge.
            if not snapshot.holds(task_id) and send_analysis(self.celery, task_id, queue):
                self.counts["republished"] += 1

    def reap_processing(self) -> None:
        s = self.settings
        cutoff = utcnow() - timedelta(
            seconds=s.CELERY_TASK_TIME_LIMIT + s.WORKER_HEARTBEAT_SECONDS * 3
        )
        with self.session_factory() as db:
            stuck = AnalysisTask.status == TaskStatus.PROCESSING, AnalysisTask.started_at < cutoff
            rows = list(db.scalars(select(AnalysisTask).where(*stuck).limit(BATCH)))
        if not rows:
            return
        snapshot = self.snapshot(task.queue for task in rows)
        alive = live_workers(self.progress.client, s.WORKER_HEARTBEAT_SECONDS)
        for task in rows:
            if snapshot.holds(task.task_id):
                continue  # Redis will redeliver it after the visibility timeout
            if task.worker_name in alive:
                self._timed_out(task)
            else:
                self._lost(task)

    def _timed_out(self, task: AnalysisTask) -> None:
        s = self.settings
        message = (
            f"The analysis was stopped at the hard time limit ({s.CELERY_TASK_TIME_LIMIT} s). "
            "Try a shorter recording, or ask the administrator to raise the time limit."
        )
        with self.session_factory() as db:
            decision = retry.decide(ErrorType.TIMEOUT, task.retry_count, s.TASK_RETRY_DELAY_SCALE)
            if decision is not None:
                countdown = decision.countdown
                sent = after_commit(
                    db,
                    f"retry {task.task_id}",
                    partial(send_analysis, self.celery, task.task_id, task.queue, countdown),
                )
                if (
                    transitions.schedule_retry(
                        db, task.task_id, "timeout", message, countdown, decision.max_retries
                    )
                    and sent.value
                ):
                    self.counts["retried"] += 1
                return
            after_commit(db, "failure event", partial(self._failed_event, task, "timeout", message))
            transitions.fail(db, task.task_id, "timeout", message)

    def _lost(self, task: AnalysisTask) -> None:
        with self.session_factory() as db:
            if task.delivery_count >= self.settings.TASK_MAX_DELIVERIES:
                message = (
                    f"The worker running this analysis ({task.worker_name}) disappeared "
                    f"{task.delivery_count} times; it was not tried again. Submit it again; "
                    "if this repeats, report it to the administrator."
                )
                after_commit(
                    db, "failure event", partial(self._failed_event, task, "worker_lost", message)
                )
                transitions.fail(db, task.task_id, "worker_lost", message)
                return
            done = db.execute(
                update(AnalysisTask)
                .where(
                    AnalysisTask.task_id == task.task_id,
                    AnalysisTask.status == TaskStatus.PROCESSING,
                    AnalysisTask.started_at == task.started_at,
                )
                .values(status=TaskStatus.PENDING, published_at=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                return  # claimed or finished meanwhile
            published = publish_after_commit(db, self.effects, task.task_id, task.queue)
            db.commit()
        if published.value is True:
            self.counts["republished"] += 1

    def _failed_event(self, task: AnalysisTask, kind: str, message: str) -> None:
        self.counts["failed"] += 1
        self.progress.publish(
            ProgressEvent(
                task_id=str(task.task_id),
                status="failure",
                current_step="failed",
                error_type=kind,
                error_message=message,
            )
        )


@shared_task(name=REAP_STUCK_TASKS, ignore_result=True)
def reap_stuck_tasks() -> dict[str, int]:
    from celery import current_app

    from vocalborn.worker.context import get_context

    ctx = get_context()
    broker = connect(ctx.settings.CELERY_BROKER_URL, ctx.settings.REDIS_SENTINEL_MASTER)
    try:
        return Reaper(ctx.settings, ctx.session_factory, current_app, broker, ctx.progress).run()
    finally:
        broker.close()
