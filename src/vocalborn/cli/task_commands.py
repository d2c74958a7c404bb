"""`vocalborn task`, `cancel`, `retry`, `purge`, `cleanup` and `test` (a round trip through
the broker): the commands that act on tasks and queues."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import typer

from vocalborn.cli.connections import FAILED, USAGE, Ops, err, first_line, ops, out
from vocalborn.cli.output import format_time, progress_display, say
from vocalborn.worker.names import (
    ANALYSIS_QUEUE,
    CLEANUP_EXPIRED_TASKS,
    ECHO,
    HEALTH_QUEUE,
    QUEUES,
)

if TYPE_CHECKING:
    from vocalborn.analysis.publish import Effects


def parse_task_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        err.print(f"[red]Not a task id:[/red] {value}")
        raise typer.Exit(USAGE) from None


def test_roundtrip(
    message: str = typer.Option("ping", "--message", "-m", help="text to send and get back"),
    timeout: float = typer.Option(30.0, help="seconds to wait for a worker's reply"),
) -> None:
    """Send a message to a worker and wait for its echo. Through the broker, health queue."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    with ops() as o:
        o.broker.ping()
        start = time.perf_counter()
        result = o.celery.send_task(
            ECHO, args=[message, time.time()], queue=HEALTH_QUEUE, expires=timeout
        )
        try:
            reply = result.get(timeout=timeout, interval=0.05)
        except CeleryTimeout:
            result.revoke()
            err.print(f"[red]No worker answered on {HEALTH_QUEUE} within {timeout:g} s.[/red]")
            raise typer.Exit(FAILED) from None
        finally:
            result.forget()
        elapsed = (time.perf_counter() - start) * 1000
    if reply.get("message") != message:
        err.print(f"[red]The reply did not match: {reply!r}[/red]")
        raise typer.Exit(FAILED)
    out.print(
        f"[green]ok[/green] {reply['worker']} echoed {message!r} in {elapsed:.0f} ms "
        f"(task {result.id})"
    )


def _snapshot(o: Ops, task_id: uuid.UUID) -> dict[str, Any]:
    from vocalborn.admin.service import get_task
    from vocalborn.analysis.status_view import task_status

    with o.session() as db:
        task = get_task(db, task_id)
        # operators read the full error text (URLs and hosts included), never the learner's
        return task_status(db, o.settings, o.live, task, full_errors=True).model_dump(mode="json")


def task(
    task_id: str = typer.Argument(..., help="analysis task id"),
    follow: bool = typer.Option(True, help="follow a running task until it ends"),
    timeout: float = typer.Option(0, min=0, help="give up after N seconds (0: never)"),
) -> None:
    """Status of a task, followed live until it ends. A bar in a terminal, lines in a pipe."""
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from vocalborn.analysis.progress import TERMINAL, events_channel

    tid = parse_task_id(task_id)
    with ops() as o:
        pubsub = o.live.pubsub(ignore_subscribe_messages=False)
        try:
            if follow:  # subscribe first, then read the snapshot: no change can slip between
                pubsub.subscribe(events_channel(tid))
                pubsub.get_message(timeout=5)
            state = _snapshot(o, tid)
            columns = (
                TextColumn("[bold]{task.fields[status]}[/bold]"), BarColumn(),
                TaskProgressColumn(), TextColumn("{task.fields[step]}"), TimeElapsedColumn(),
            )  # fmt: skip
            deadline = time.monotonic() + timeout if timeout else None
            last_db = time.monotonic()
            with progress_display(out, *columns) as bar:  # plain lines in a pipe
                row = bar.add_task(
                    "task",
                    total=100,
                    completed=state["progress"],
                    status=state["status"],
                    step=state["current_step"] or "",
                )
                while follow and state["status"] not in TERMINAL:
                    if deadline and time.monotonic() > deadline:
                        break
                    message = pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "message":
                        event = json.loads(message["data"])
                        state.update({k: event[k] for k in ("status", "progress") if k in event})
                        state["current_step"] = event.get("current_step")
                        state["error_message"] = event.get("error_message")
                    elif time.monotonic() - last_db > 10:  # safety net: re-read the truth
                        state = _snapshot(o, tid)
                        last_db = time.monotonic()
                    bar.update(row, completed=state["progress"], status=state["status"],
                               step=state["current_step"] or "")  # fmt: skip
        finally:
            pubsub.close()
        if state["status"] in TERMINAL:
            state = _snapshot(o, tid)  # the row has everything (error message, times)
    final = state["status"]
    out.print(f"task {tid}: [bold]{final}[/bold] ({state['progress']}%)")
    if state.get("worker_name"):
        say(out, f"worker: {state['worker_name']}")
    zone = o.settings.TIMEZONE
    for label, key in (("created", "created_at"), ("started", "started_at"),
                       ("finished", "completed_at")):  # fmt: skip
        if state.get(key):
            say(out, f"{label}: {format_time(state[key], zone)}")
    if state.get("error_message"):
        out.print(f"[red]{state.get('error_type') or 'error'}: {state['error_message']}[/red]")
    if final == "success":
        return
    if final not in TERMINAL and not follow:
        return
    if final not in TERMINAL:
        err.print(f"[yellow]gave up after {timeout:g} s; the task is still {final}[/yellow]")
    raise typer.Exit(FAILED)


def cancel(task_id: str = typer.Argument(..., help="analysis task id")) -> None:
    """Cancel an active task (revokes a running one)."""
    from vocalborn.admin.service import cancel_task

    tid = parse_task_id(task_id)
    with ops() as o, o.session() as db:
        cancelled = cancel_task(db, _effects(o), tid)
    out.print(f"[green]cancelled[/green] task {tid} (was {cancelled.previous.value})")


def retry(task_id: str = typer.Argument(..., help="analysis task id")) -> None:
    """Run a failed task again (same task, new delivery)."""
    from vocalborn.admin.service import retry_task

    tid = parse_task_id(task_id)
    with ops() as o, o.session() as db:
        row, published = retry_task(db, _effects(o), tid)
        retries = row.retry_count
    if published:
        out.print(f"[green]queued[/green] task {tid} again (retries so far: {retries})")
    else:
        out.print(f"[yellow]task {tid} is pending; the broker did not take it, the reaper "
                  "will publish it[/yellow]")  # fmt: skip


def purge(
    queue: str = typer.Option(..., "--queue", "-q", help="ai_analysis, maintenance or health"),
    yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation"),
) -> None:
    """Drop every waiting message of one of our queues. Pending analyses whose message was
    dropped are marked cancelled (their recordings can be submitted again)."""
    if queue not in QUEUES:
        err.print(f"[red]Unknown queue {queue!r}; ours are: {', '.join(QUEUES)}.[/red]")
        raise typer.Exit(USAGE)
    with ops() as o:
        waiting = int(o.broker.llen(queue))
        if not yes and not typer.confirm(
            f"Purge {waiting} waiting message(s) from {queue!r}?", default=False
        ):
            err.print("Not purged.")
            raise typer.Exit(FAILED)
        before = _now()
        with o.celery.connection_for_write() as conn:
            purged = int(o.celery.amqp.queues[queue](conn.default_channel).purge() or 0)
        cancelled = _cancel_purged(o, before) if queue == ANALYSIS_QUEUE else 0
    out.print(f"purged {purged} message(s) from {queue}")
    if cancelled:
        out.print(f"cancelled {cancelled} pending task(s) whose message was purged")


def _effects(o: Ops) -> Effects:
    """The after-commit side effects of a command (`published_at` written at once)."""
    from vocalborn.analysis.publish import Effects

    return Effects.at_once(o.celery, o.progress, o.session)


def _now() -> Any:
    from vocalborn.db import utcnow

    return utcnow()


def _cancel_purged(o: Ops, before: Any) -> int:
    """Pending rows published before the purge lost their message: cancel them (as a user's
    cancel would), so neither the database nor the learner waits for them forever."""
    from sqlalchemy import select

    from vocalborn.analysis import service
    from vocalborn.analysis.models import AnalysisTask, TaskStatus
    from vocalborn.errors import Conflict

    count = 0
    effects = _effects(o)
    with o.session() as db:
        rows = db.scalars(
            select(AnalysisTask).where(
                AnalysisTask.status == TaskStatus.PENDING,
                AnalysisTask.queue == ANALYSIS_QUEUE,
                AnalysisTask.published_at <= before,
            )
        ).all()
        for row in rows:
            try:
                service.mark_cancelled(db, effects, row)
            except Conflict:  # a worker claimed it meanwhile
                continue
            db.commit()  # then the outbox raises the flag, revokes and announces
            count += 1
    return count


def cleanup(
    wait: bool = typer.Option(False, help="wait for the maintenance worker's result"),
    timeout: float = typer.Option(120.0, help="seconds to wait with --wait"),
) -> None:
    """Clean up expired tasks, results and orphaned files now. Queued for a worker."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    from vocalborn.admin.service import request_cleanup

    with ops() as o:
        o.broker.ping()
        celery_id = request_cleanup(o.celery)
        out.print(f"queued {CLEANUP_EXPIRED_TASKS} (task {celery_id})")
        if not wait:
            return
        try:
            result = o.celery.AsyncResult(celery_id).get(timeout=timeout, interval=0.2)
        except CeleryTimeout:
            err.print(f"[red]No result within {timeout:g} s (is a maintenance worker up?)[/red]")
            raise typer.Exit(FAILED) from None
        except Exception as exc:  # the job itself failed: its error, not a traceback
            err.print(f"[red]cleanup failed: {type(exc).__name__}: {first_line(exc)}[/red]")
            raise typer.Exit(FAILED) from None
    out.print(json.dumps(result, default=str))
