"""Operator commands: flower, status, health, test, monitor, task, cancel, retry, purge, cleanup.

Exit codes (every command):
  0  done / healthy / the task succeeded
  1  the operation failed: unhealthy component, task failed or was cancelled, no such task,
     conflict (e.g. cancelling a finished task), timeout, purge not confirmed
  2  usage or configuration error (bad option, unknown queue, missing FLOWER_BASIC_AUTH)
  3  Redis or the database cannot be reached (one line on stderr, never a traceback)
"""

from __future__ import annotations

import typer

from vocalborn.cli.flower import flower
from vocalborn.cli.status import health, monitor, status
from vocalborn.cli.task_commands import cancel, cleanup, purge, retry, task, test_roundtrip


def register(app: typer.Typer) -> None:
    """Add the operator commands to the `vocalborn` CLI."""
    app.command()(flower)
    app.command()(status)
    app.command()(health)
    app.command("test")(test_roundtrip)
    app.command()(monitor)
    app.command()(task)
    app.command()(cancel)
    app.command()(retry)
    app.command()(purge)
    app.command()(cleanup)
