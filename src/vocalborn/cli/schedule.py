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
from sqlalchemy.orm import Session

from vocalborn.cli.common import load_settings
from vocalborn.cli.output import Grid, format_time, help_markup, make_console, print_grids
from vocalborn.config import Settings
from vocalborn.errors import AppError
from vocalborn.schedules import entries as svc

ON_OFF = {"yes": "green", "no": "yellow"}
OUTCOMES = {"success": "green", "failure": "red", "running": "yellow"}
schedule_app = typer.Typer(
    help="The periodic job schedule (Celery Beat, kept in the database).",
    no_args_is_help=True,
    rich_markup_mode=help_markup(),
)
err = make_console(stderr=True)
out = make_console()


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
    """Every entry with its schedule, last and next run. Times in TIMEZONE (Asia/Taipei)."""
    settings = load_settings()
    celery = _celery()
    with _db(settings) as db:
        rows = [svc.entry_out(r, celery) for r in svc.list_entries(db)]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    zone = settings.TIMEZONE
    table = [
        (
            r["name"],
            r["task"],
            r["crontab"] or f"every {r['interval_seconds']:g}s",
            "yes" if r["enabled"] else "no",
            format_time(r["last_run_at"], zone),
            format_time(r["next_run_at"], zone),
            str(r["total_run_count"]),
        )
        for r in rows
    ]
    columns = ("name", "task", "schedule", "enabled", "last run", "next run", "runs")
    title = f"Schedule (crontab and times in {zone})"
    print_grids(out, Grid(title, columns, table, numeric=frozenset({"runs"}), styles=ON_OFF))


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
DESCRIPTION = typer.Option(None, "--description", help="what the entry is for")
NAME = typer.Argument(..., help="the entry's name (see `vocalborn schedule list`)")


@schedule_app.command("add")
def add_cmd(
    name: str = typer.Argument(..., help="a new entry's name"),
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
    name: str = NAME,
    task: str | None = typer.Option(None, "--task", help="registered maintenance/health task"),
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
def enable_cmd(name: str = NAME) -> None:
    """Enable an entry (beat runs it again)."""
    with _db(load_settings()) as db:
        svc.set_enabled(db, name, True)
    out.print(f"enabled {name}")


@schedule_app.command("disable")
def disable_cmd(name: str = NAME) -> None:
    """Disable an entry (kept, but beat does not run it)."""
    with _db(load_settings()) as db:
        svc.set_enabled(db, name, False)
    out.print(f"disabled {name}")


@schedule_app.command("remove")
def remove_cmd(name: str = NAME) -> None:
    """Delete an entry (`schedule seed` brings a default entry back)."""
    with _db(load_settings()) as db:
        svc.delete_entry(db, name)
    out.print(f"removed {name}")


@schedule_app.command("run-now")
def run_now_cmd(name: str = NAME) -> None:
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
    """Insert the missing default entries. Operator changes are kept."""
    added = seed(load_settings())
    out.print(f"added: {', '.join(added)}" if added else "all default entries present")


@schedule_app.command("runs")
def runs_cmd(
    job: str | None = typer.Option(None, "--job", help="only this task name"),
    limit: int = typer.Option(20, min=1, help="how many runs, newest first"),
) -> None:
    """Recent job runs (outcome, duration, summary)."""
    from vocalborn.schedules.runs import recent_runs

    settings = load_settings()
    zone = settings.TIMEZONE
    with _db(settings) as db:
        rows = [
            (
                r.job_name,
                format_time(r.started_at, zone),
                f"{r.duration_seconds:.2f}s" if r.duration_seconds is not None else "-",
                r.outcome,
                (r.error or "").strip().split("\n")[0] or json.dumps(r.summary, ensure_ascii=False),
            )
            for r in recent_runs(db, job, limit)
        ]
    columns = ("job", "started", "duration", "outcome", "summary / error")
    print_grids(out, Grid(f"Job runs (times in {zone})", columns, rows, styles=OUTCOMES))


def beat(
    loglevel: str = typer.Option("INFO", "--loglevel", "-l", help="DEBUG, INFO, WARNING, ERROR"),
    seed_defaults: bool = typer.Option(True, help="insert missing default entries first"),
) -> None:
    """Run Celery Beat on the database schedule. One leader across processes."""
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
