"""`vocalborn up` and `vocalborn demo`.

`demo` talks to the stack `up` published in DATA_DIR/stack.json when there is one, and fails
within seconds with a hint when nothing listens at its API URL: waiting minutes for a server
nobody started helps nobody.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import typer

from vocalborn.cli.output import make_console

console = make_console(stderr=True)
DEFAULT_API = "http://127.0.0.1:8000"
# Without --start, how long nothing may listen at the API URL before the demo gives up.
NO_API_GRACE_SECONDS = 5.0


def up(
    host: str = typer.Option("127.0.0.1", help="API bind address"),
    port: int = typer.Option(8000, help="API port"),
    flower: bool = typer.Option(False, "--flower", help="also start Flower"),
    flower_port: int = typer.Option(5555, help="Flower's port (with --flower)"),
    concurrency: int = typer.Option(0, help="worker processes (0 = the setting)"),
    data_dir: Path = typer.Option(None, help="default: DATA_DIR or ./.vocalborn"),
) -> None:
    """Start the API, a worker and beat on embedded defaults. Flower with --flower; Ctrl-C
    stops all."""
    from vocalborn.cli.common import configured
    from vocalborn.devstack.launcher import run_stack
    from vocalborn.devstack.redis_server import EmbeddedRedisError

    env = configured()  # `.env` counts: a broker set there is used, not replaced by a private one
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
    """Until the API is ready. With no stack of ours starting (`proc` None), an API that does not
    even accept connections within a few seconds is an error with a hint, not a long wait."""
    start = time.monotonic()
    deadline = start + timeout
    answered = False
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the stack exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
            answered = True  # up but not ready yet (database or Redis): worth waiting for
        except httpx.HTTPError as exc:
            nothing_listens = proc is None and not answered
            if nothing_listens and time.monotonic() - start >= NO_API_GRACE_SECONDS:
                raise RuntimeError(
                    f"no API at {url} ({type(exc).__name__}); start one with "
                    "`vocalborn up` or run `vocalborn demo --start`"
                ) from None
        time.sleep(0.5)
    raise RuntimeError(f"the API at {url} was not ready within {timeout:.0f} s")


def demo(
    api: str | None = typer.Option(
        None, help=f"API base URL (default: the running `vocalborn up`'s, else {DEFAULT_API})"
    ),
    start: bool = typer.Option(False, "--start", help="start a stack (vocalborn up) first"),
    keep_running: bool = typer.Option(
        False, "--keep-running", help="with --start: leave the stack up afterwards"
    ),
    timeout: float = typer.Option(600.0, help="seconds to wait for the analyses"),
) -> None:
    """Analyse the bundled English and Mandarin samples end to end. Prints the scores."""
    from vocalborn.cli.common import adopt_stack
    from vocalborn.devstack.demo import DemoError, run_demo

    proc = None
    stack = None if start else adopt_stack()
    api = (api or (stack["api_url"] if stack else DEFAULT_API)).rstrip("/")
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
        _wait_ready(api, 180, proc)
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
