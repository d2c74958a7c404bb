"""`vocalborn status`, `health` and `monitor`: what is up, what is queued, what runs."""

from __future__ import annotations

import time
from typing import Any

import typer

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
from vocalborn.cli.output import Grid, format_time, now_text, print_grids, renderable, say
from vocalborn.config import Settings
from vocalborn.worker.names import ANALYSIS_QUEUE

WORKER_STYLES = {"online": "green", "offline": "red", "unknown": "yellow"}
HEALTH_STYLES = {"ok": "green", "DOWN": "red"}


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


def _status_grids(data: dict[str, Any], zone: str) -> list[Grid]:
    online = [w for w in data["workers"] if w["status"] == "online"]
    workers = Grid(
        "Workers",
        ("Worker", "Status", "Active", "Processed", "Failed", "Slots", "Load avg", "Memory",
         "Queues"),
        [
            (
                w["worker_name"], w["status"], str(w["active"]), str(w["processed"]),
                str(w["failed"]), str(w["concurrency"] or "-"),
                " ".join(f"{x:.2f}" for x in w["load_avg"]) if w.get("load_avg") else "-",
                f"{w['memory_rss_mb']:.0f} MB" if w.get("memory_rss_mb") is not None else "-",
                ",".join(w["queues"]) or "-",
            )
            for w in online or data["workers"][:10]
        ],
        numeric=frozenset({"Active", "Processed", "Failed", "Slots", "Memory"}),
        styles=WORKER_STYLES,
    )  # fmt: skip
    queues = Grid(
        "Queues",
        ("Queue", "Pending", "Active", "Workers", "Throughput/min"),
        [
            (q["queue_name"], str(q["pending"]), str(q["active"]), str(q["workers"]),
             f"{q['throughput_per_minute']:g}")
            for q in data["queues"]
        ],
        numeric=frozenset({"Pending", "Active", "Workers", "Throughput/min"}),
    )  # fmt: skip
    counts = Grid(
        "Tasks",
        tuple(data["counts"]),
        [tuple(str(v) for v in data["counts"].values())],
        numeric=frozenset(data["counts"]),
    )
    grids = [workers, queues, counts]
    if data.get("active_tasks"):
        active = Grid(
            f"Active tasks (times in {zone})",
            ("Task ID", "State", "Progress", "Step", "Worker", "Queued", "Started"),
            [
                (
                    t["task_id"], t["state"], f"{t['progress']}%", t["current_step"] or "-",
                    t["worker"] or "-", format_time(t.get("created_at"), zone),
                    format_time(t["started_at"], zone),
                )
                for t in data["active_tasks"]
            ],
            numeric=frozenset({"Progress"}),
        )  # fmt: skip
        grids.append(active)
    return grids


def status(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Workers online, queue lengths and task counts."""
    with ops() as o:
        data = _status_data(o)
    if as_json:
        emit_json(data)
        return
    print_grids(out, *_status_grids(data, o.settings.TIMEZONE))


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
    """Check the database, Redis, workers and the AI service. Exit code 1 if one is down."""
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
        rows = [(r["name"], "ok" if r["ok"] else "DOWN", r["detail"]) for r in results]
        print_grids(out, Grid("Health", ("Check", "OK", "Detail"), rows, styles=HEALTH_STYLES))
    if not healthy:
        raise typer.Exit(FAILED)


def monitor(
    interval: float = typer.Option(2.0, min=0.1, help="seconds between refreshes"),
    iterations: int = typer.Option(0, min=0, help="stop after N refreshes (0: until Ctrl-C)"),
) -> None:
    """Live view of workers, queues, counts and running tasks. Refreshed until Ctrl-C (in a
    pipe: one plain snapshot per refresh)."""
    with ops() as o:
        o.broker.ping()
        zone = o.settings.TIMEZONE
        try:
            if out.is_terminal:
                _monitor_live(o, zone, interval, iterations)
            else:
                _monitor_plain(o, zone, interval, iterations)
        except KeyboardInterrupt:
            pass


def _snapshot(o: Ops, zone: str) -> tuple[list[Grid], str | None]:
    try:
        return _status_grids(_status_data(o), zone), None
    except Unreachable as exc:
        return [], str(exc)


def _monitor_live(o: Ops, zone: str, interval: float, iterations: int) -> None:
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    def render() -> Group:
        grids, error = _snapshot(o, zone)
        footer = Text(f"refreshed {now_text(zone)} — Ctrl-C to quit", style="dim")
        if error:
            return Group(Text(error, style="red"), footer)
        return Group(*(renderable(out, g) for g in grids), footer)

    # "visible": a screen too short shows the top scrolled away, never a cut-off "..."
    with Live(render(), console=out, auto_refresh=False, vertical_overflow="visible") as live:
        count = 1
        while not iterations or count < iterations:
            time.sleep(interval)
            live.update(render(), refresh=True)
            count += 1


def _monitor_plain(o: Ops, zone: str, interval: float, iterations: int) -> None:
    count = 0
    while True:
        grids, error = _snapshot(o, zone)
        say(out, f"== refreshed {now_text(zone)} ==")
        if error:
            say(out, error)
        print_grids(out, *grids)
        out.file.flush()
        count += 1
        if iterations and count >= iterations:
            return
        time.sleep(interval)
        say(out, "")
