"""`vocalborn status`, `health` and `monitor`: what is up, what is queued, what runs."""

from __future__ import annotations

import time
from typing import Any

import typer
from rich.table import Table

from vocalborn.cli.common import load_settings
from vocalborn.cli.connections import (
    FAILED,
    Ops,
    Unreachable,
    emit_json,
    first_line,
    mask,
    ops,
    out,
)
from vocalborn.config import Settings
from vocalborn.worker.names import ANALYSIS_QUEUE


def _status_data(o: Ops) -> dict[str, Any]:
    from vocalborn.admin import stats

    view = stats.redis_view(o.broker, o.live, o.settings.WORKER_HEARTBEAT_SECONDS)
    if view.error:
        raise Unreachable(f"Redis unreachable ({mask(o.settings.CELERY_BROKER_URL)}): "
                          f"{view.error}")  # fmt: skip
    with o.session() as db:
        return {
            "counts": stats.task_counts(db),
            "queues": stats.queues_table(db, view),
            "workers": stats.workers_table(db, view),
            "active_tasks": stats.active_tasks(db, o.live, limit=10),
        }


def _status_tables(data: dict[str, Any]) -> list[Table]:
    workers = Table(title="Workers", title_justify="left")
    cols = ("Worker", "Status", "Active", "Processed", "Failed", "Slots", "Load avg", "Memory",
            "Queues")  # fmt: skip
    for col in cols:
        workers.add_column(col)
    online = [w for w in data["workers"] if w["status"] == "online"]
    for w in online or data["workers"][:10]:
        color = "green" if w["status"] == "online" else "red"
        load = " ".join(f"{x:.2f}" for x in w["load_avg"]) if w.get("load_avg") else "-"
        memory = f"{w['memory_rss_mb']:.0f} MB" if w.get("memory_rss_mb") is not None else "-"
        workers.add_row(
            w["worker_name"], f"[{color}]{w['status']}[/{color}]", str(w["active"]),
            str(w["processed"]), str(w["failed"]), str(w["concurrency"] or "-"), load, memory,
            ",".join(w["queues"]) or "-",
        )  # fmt: skip
    queues = Table(title="Queues", title_justify="left")
    for col in ("Queue", "Pending", "Active", "Workers", "Throughput/min"):
        queues.add_column(col)
    for q in data["queues"]:
        queues.add_row(
            q["queue_name"], str(q["pending"]), str(q["active"]), str(q["workers"]),
            f"{q['throughput_per_minute']:g}",
        )  # fmt: skip
    counts = Table(title="Tasks", title_justify="left")
    for name in data["counts"]:
        counts.add_column(name)
    counts.add_row(*(str(v) for v in data["counts"].values()))
    tables = [workers, queues, counts]
    if data.get("active_tasks"):
        active = Table(title="Active tasks", title_justify="left")
        for col in ("Task ID", "State", "Progress", "Step", "Worker", "Started"):
            active.add_column(col)
        for t in data["active_tasks"]:
            active.add_row(
                t["task_id"], t["state"], f"{t['progress']}%", t["current_step"] or "-",
                t["worker"] or "-", (t["started_at"] or "-")[:19],
            )  # fmt: skip
        tables.append(active)
    return tables


def status(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Workers online, queue lengths and task counts."""
    with ops() as o:
        data = _status_data(o)
    if as_json:
        emit_json(data)
        return
    for table in _status_tables(data):
        out.print(table)


def _check_ai_service(settings: Settings) -> tuple[bool, str]:
    if not settings.AI_SERVICE_URL:
        return True, f"built-in analyser in the workers (ANALYZER={settings.ANALYZER})"
    import httpx

    url = settings.AI_SERVICE_URL.rstrip("/") + "/health"
    try:
        resp = httpx.get(url, timeout=settings.AI_SERVICE_CONNECT_TIMEOUT)
    except httpx.HTTPError as exc:
        return False, f"{url}: {type(exc).__name__}: {first_line(exc)}"
    return resp.status_code == 200, f"{url}: HTTP {resp.status_code}"


def health(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Check the database, Redis, workers and the AI service; exit 1 if any is down."""
    from vocalborn.db import make_engine
    from vocalborn.monitoring.health import check_database, check_redis
    from vocalborn.worker.registry import live_workers

    settings = load_settings()
    results: list[dict[str, Any]] = []
    engine = make_engine(settings.database_url, pool_size=1, max_overflow=0)
    try:
        db = check_database(engine)
    finally:
        engine.dispose()
    results.append({"name": "database", "ok": db.ok, "detail": db.detail})
    with ops() as o:
        broker = check_redis(o.broker)
        detail = f"{mask(settings.CELERY_BROKER_URL)}: {broker.detail}"
        results.append({"name": "redis", "ok": broker.ok, "detail": detail})
        if settings.progress_redis_url != settings.CELERY_BROKER_URL:
            live = check_redis(o.live)
            detail = f"{mask(settings.progress_redis_url)}: {live.detail}"
            results.append({"name": "redis (results, progress)", "ok": live.ok, "detail": detail})
        if broker.ok:
            workers = live_workers(o.live, settings.WORKER_HEARTBEAT_SECONDS)
            analysing = [w for w in workers.values() if ANALYSIS_QUEUE in w.queues]
            detail = ", ".join(sorted(workers)) or "no worker has a fresh heartbeat"
            results.append({"name": "workers", "ok": bool(analysing), "detail": detail})
        else:
            results.append({"name": "workers", "ok": False, "detail": "unknown (Redis down)"})
    ai_ok, ai_detail = _check_ai_service(settings)
    results.append({"name": "ai service", "ok": ai_ok, "detail": ai_detail})
    healthy = all(r["ok"] for r in results)
    if as_json:
        emit_json({"healthy": healthy, "checks": results})
    else:
        table = Table(title="Health", title_justify="left")
        for col in ("Check", "OK", "Detail"):
            table.add_column(col)
        for r in results:
            mark = "[green]ok[/green]" if r["ok"] else "[red]DOWN[/red]"
            table.add_row(r["name"], mark, r["detail"])
        out.print(table)
    if not healthy:
        raise typer.Exit(FAILED)


def monitor(
    interval: float = typer.Option(2.0, min=0.1, help="seconds between refreshes"),
    iterations: int = typer.Option(0, min=0, help="stop after N refreshes (0: until Ctrl-C)"),
) -> None:
    """A live table of workers, queues, counts and running tasks, refreshed until Ctrl-C."""
    from rich.console import Group
    from rich.live import Live

    def render(o: Ops) -> Group:
        try:
            data = _status_data(o)
        except Unreachable as exc:
            return Group(f"[red]{exc}[/red]", f"[dim]{time.strftime('%X')}[/dim]")
        return Group(*_status_tables(data), f"[dim]{time.strftime('%X')} — Ctrl-C to quit[/dim]")

    with ops() as o:
        o.broker.ping()
        count = 0
        try:
            with Live(render(o), console=out, auto_refresh=False) as live:
                count = 1
                while not iterations or count < iterations:
                    time.sleep(interval)
                    live.update(render(o), refresh=True)
                    count += 1
        except KeyboardInterrupt:
            pass
