"""`vocalborn schedule list|add|set|enable|disable|remove|run-now|seed|runs` and `vocalborn beat`.

Every change goes to the database; a running beat picks it up within
`BEAT_SCHEDULE_CHECK_SECONDS` without a restart. Times are shown in `TIMEZONE` (Asia/Taipei).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from vocalborn.cli.common import load_settings
from vocalborn.config import Settings
from vocalborn.errors import AppError
from vocalborn.schedules import entries as svc

schedule_app = typer.Typer(
    help="The periodic job schedule (Celery Beat, kept in the database).", no_args_is_help=True
)
err = Console(stderr=True)
out = Console()


@contextmanager
def _db(settings: Settings) -> Iterator[Session]:
    from vocalborn.db import make_engine, make_session_factory, session_scope

    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as db:
            yield db
    except AppError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


def _celery() -> Any:
    from vocalborn.worker.celery_app import get_celery

    return get_celery()


def _json(text: str | None, kind: type, what: str) -> Any:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        err.print(f"[red]{what} must be JSON: {exc}[/red]")
        raise typer.Exit(2) from exc
    if not isinstance(value, kind):
        err.print(f"[red]{what} must be a JSON {kind.__name__}[/red]")
        raise typer.Exit(2)
    return value


def seed(settings: Settings) -> list[str]:
    """Insert missing default entries (never overwrites operator changes)."""
    with _db(settings) as db:
        return svc.seed_defaults(db)


@schedule_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Every entry with its schedule, last and next run (Asia/Taipei time)."""
    settings = load_settings()
    celery = _celery()
    with _db(settings) as db:
        rows = [svc.entry_out(r, celery) for r in svc.list_entries(db)]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"Schedule ({settings.TIMEZONE})")
    for col in ("name", "task", "schedule", "enabled", "last run", "next run", "runs"):
        table.add_column(col)
    for r in rows:
        when = r["crontab"] or f"every {r['interval_seconds']:g}s"
        table.add_row(
            r["name"],
            r["task"],
            when,
            "yes" if r["enabled"] else "no",
            (r["last_run_at"] or "-")[:19],
            (r["next_run_at"] or "-")[:19],
            str(r["total_run_count"]),
        )
    out.print(table)


def _spec_options(
    task: str | None,
    every: float | None,
    cron: str | None,
    args: str | None,
    kwargs: str | None,
    queue: str | None,
    expires: float | None,
    description: str | None,
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if task is not None:
        changes["task"] = task
    if every is not None:
        changes["interval_seconds"] = every
    if cron is not None:
        changes["crontab"] = cron
    if args is not None:
        changes["args"] = _json(args, list, "--args")
    if kwargs is not None:
        changes["kwargs"] = _json(kwargs, dict, "--kwargs")
    if queue is not None:
        changes["queue"] = queue or None
    if expires is not None:
        changes["expires_seconds"] = expires or None
    if description is not None:
        changes["description"] = description
    return changes


EVERY = typer.Option(None, "--every", help="interval in seconds")
CRON = typer.Option(None, "--cron", help="'minute hour day-of-month month day-of-week'")
ARGS = typer.Option(None, "--args", help="JSON list")
KWARGS = typer.Option(None, "--kwargs", help="JSON object")
QUEUE = typer.Option(None, "--queue", help="maintenance or health ('' = routed default)")
EXPIRES = typer.Option(None, "--expires", help="seconds after which an unrun message is dropped")
DESCRIPTION = typer.Option(None, "--description")


@schedule_app.command("add")
def add_cmd(
    name: str,
    task: str = typer.Option(..., "--task", help="registered maintenance/health task name"),
    every: float | None = EVERY,
    cron: str | None = CRON,
    args: str | None = ARGS,
    kwargs: str | None = KWARGS,
    queue: str | None = QUEUE,
    expires: float | None = EXPIRES,
    description: str | None = DESCRIPTION,
    disabled: bool = typer.Option(False, "--disabled", help="create it disabled"),
) -> None:
    """Add an entry."""
    settings = load_settings()
    changes = _spec_options(task, every, cron, args, kwargs, queue, expires, description)
    spec = svc.ScheduleSpec(**changes, enabled=not disabled)
    known = svc.registered_task_names(_celery())
    with _db(settings) as db:
        svc.create_entry(db, name, spec, known)
    out.print(f"added {name}")


@schedule_app.command("set")
def set_cmd(
    name: str,
    task: str | None = typer.Option(None, "--task"),
    every: float | None = EVERY,
    cron: str | None = CRON,
    args: str | None = ARGS,
    kwargs: str | None = KWARGS,
    queue: str | None = QUEUE,
    expires: float | None = EXPIRES,
    description: str | None = DESCRIPTION,
) -> None:
    """Change an entry (only the options given)."""
    settings = load_settings()
    changes = _spec_options(task, every, cron, args, kwargs, queue, expires, description)
    if not changes:
        err.print("[red]nothing to change: give at least one option[/red]")
        raise typer.Exit(2)
    known = svc.registered_task_names(_celery())
    with _db(settings) as db:
        row = svc.get_entry(db, name)
        svc.update_entry(db, name, svc.merged_spec(row, changes), known)
    out.print(f"changed {name}")


@schedule_app.command("enable")
def enable_cmd(name: str) -> None:
    with _db(load_settings()) as db:
        svc.set_enabled(db, name, True)
    out.print(f"enabled {name}")


@schedule_app.command("disable")
def disable_cmd(name: str) -> None:
    with _db(load_settings()) as db:
        svc.set_enabled(db, name, False)
    out.print(f"disabled {name}")


@schedule_app.command("remove")
def remove_cmd(name: str) -> None:
    with _db(load_settings()) as db:
        svc.delete_entry(db, name)
    out.print(f"removed {name}")


@schedule_app.command("run-now")
def run_now_cmd(name: str) -> None:
    """Send the entry's task once, now (the schedule is unchanged)."""
    settings = load_settings()
    celery = _celery()
    with _db(settings) as db:
        row = svc.get_entry(db, name)
        try:
            task_id = svc.run_now(celery, row)
        except Exception as exc:
            err.print(f"[red]not sent, the broker is unavailable: {exc}[/red]")
            raise typer.Exit(1) from exc
    print(task_id)


@schedule_app.command("seed")
def seed_cmd() -> None:
    """Insert the default entries that are missing (operator changes are kept)."""
    added = seed(load_settings())
    out.print(f"added: {', '.join(added)}" if added else "all default entries present")


@schedule_app.command("runs")
def runs_cmd(job: str | None = typer.Option(None, "--job"), limit: int = 20) -> None:
    """Recent job runs (outcome, duration, summary)."""
    from vocalborn.schedules.runs import recent_runs

    with _db(load_settings()) as db:
        runs = recent_runs(db, job, limit)
        table = Table()
        for col in ("job", "started", "duration", "outcome", "summary / error"):
            table.add_column(col)
        for r in runs:
            table.add_row(
                r.job_name,
                r.started_at.isoformat()[:19],
                f"{r.duration_seconds:.2f}s" if r.duration_seconds is not None else "-",
                r.outcome,
                (r.error or json.dumps(r.summary, ensure_ascii=False))[:80],
            )
    out.print(table)


def beat(
    loglevel: str = typer.Option("INFO", "--loglevel", "-l"),
    seed_defaults: bool = typer.Option(True, help="insert missing default entries first"),
) -> None:
    """Run Celery Beat on the database schedule (one leader across processes)."""
    settings = load_settings()
    if seed_defaults:
        added = seed(settings)
        if added:
            err.print(f"seeded default schedule entries: {', '.join(added)}")
    celery = _celery()
    celery.Beat(
        scheduler="vocalborn.schedules.scheduler:DatabaseScheduler",
        loglevel=loglevel,
        max_interval=min(settings.BEAT_SCHEDULE_CHECK_SECONDS, settings.BEAT_LOCK_TTL_SECONDS / 3),
    ).run()
