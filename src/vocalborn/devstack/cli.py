"""`vocalborn up` and `vocalborn demo`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import typer
from rich.console import Console

console = Console(stderr=True)


def up(
    host: str = typer.Option("127.0.0.1", help="API bind address"),
    port: int = typer.Option(8000, help="API port"),
    flower: bool = typer.Option(False, "--flower", help="also start Flower"),
    flower_port: int = 5555,
    concurrency: int = typer.Option(0, help="worker processes (0 = the setting)"),
    data_dir: Path = typer.Option(None, help="default: DATA_DIR or ./.vocalborn"),
) -> None:
    """Start the API, a worker and beat (and Flower) on embedded defaults; Ctrl-C stops all."""
    from vocalborn.devstack.launcher import run_stack
    from vocalborn.devstack.redis_server import EmbeddedRedisError

    env = dict(os.environ)
    directory = (data_dir or Path(env.get("DATA_DIR", ".vocalborn"))).resolve()
    try:
        code = run_stack(
            data_dir=directory,
            host=host,
            port=port,
            flower=flower,
            flower_port=flower_port,
            concurrency=concurrency or None,
            env=env,
        )
    except EmbeddedRedisError as exc:
        console.print(f"[red]Cannot start Redis:[/red] {exc}")
        raise typer.Exit(1) from exc
    raise typer.Exit(code)


def _wait_ready(url: str, timeout: float, proc: subprocess.Popen[bytes] | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the stack exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the API at {url} was not ready within {timeout:.0f} s")


def demo(
    api: str = typer.Option("http://127.0.0.1:8000", help="API base URL"),
    start: bool = typer.Option(False, "--start", help="start a stack (vocalborn up) first"),
    keep_running: bool = typer.Option(
        False, "--keep-running", help="with --start: leave the stack up afterwards"
    ),
    timeout: float = typer.Option(600.0, help="seconds to wait for the analyses"),
) -> None:
    """Analyse the bundled English and Mandarin samples end to end and print the scores."""
    from vocalborn.devstack.demo import DemoError, run_demo

    proc = None
    if start:
        os.environ.setdefault("ENVIRONMENT", "dev")
        port = api.rsplit(":", 1)[-1].split("/")[0]
        log_dir = Path(os.environ.get("DATA_DIR", ".vocalborn"))
        log_dir.mkdir(parents=True, exist_ok=True)
        log = (log_dir / "up.log").open("ab")
        console.print(f"starting the stack (logs in {log_dir / 'up.log'}) ...")
        proc = subprocess.Popen(
            [sys.executable, "-m", "vocalborn", "up", "--port", port],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ok = False
    try:
        _wait_ready(api.rstrip("/"), 180, proc)
        ok = run_demo(api, timeout=timeout)
        if ok and proc is not None and keep_running:
            console.print(f"[green]The stack keeps running: open {api}/ — Ctrl-C stops it.[/green]")
            proc.wait()
    except (DemoError, RuntimeError) as exc:
        console.print(f"[red]Demo failed:[/red] {exc}")
    except KeyboardInterrupt:
        pass
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    if not ok:
        raise typer.Exit(1)
    console.print("[green]Every analysis succeeded.[/green]")


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(demo)
