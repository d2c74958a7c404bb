"""`vocalborn flower`: Celery's monitor, behind basic auth."""

from __future__ import annotations

import os
import sys

import typer

from vocalborn.cli.common import load_settings
from vocalborn.cli.connections import USAGE, err


def flower(
    port: int = typer.Option(5555, help="port to serve on"),
    address: str = typer.Option("127.0.0.1", help="address to bind"),
    url_prefix: str = typer.Option("", help="path prefix behind a reverse proxy"),
) -> None:
    """Serve Flower, Celery's monitor, behind basic auth. Credentials: FLOWER_BASIC_AUTH."""
    from vocalborn.config import ConfigError

    settings = load_settings()
    try:
        auth = settings.require_flower_auth()
    except ConfigError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(USAGE) from exc
    if settings.ENVIRONMENT != "production" and not settings.FLOWER_BASIC_AUTH:
        err.print("[yellow]FLOWER_BASIC_AUTH unset: dev credentials admin:dev[/yellow]")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWER_")}
    # Flower reads FLOWER_* options from the environment: the password stays off the
    # command line (and out of `ps`).
    env["FLOWER_BASIC_AUTH"] = auth
    argv = [
        sys.executable, "-m", "celery", "-A", "vocalborn.worker.celery_app", "flower",
        f"--port={port}", f"--address={address}",
    ]  # fmt: skip
    if url_prefix:
        argv.append(f"--url_prefix={url_prefix}")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)
