"""The rendering rules every `vocalborn` command prints by (vocalborn.cli.output), without a stack:
narrow terminals, pipes, times with their zone, progress without bars, help for everything.
The commands themselves are read through a pipe at 80 columns in tests/ops/test_cli.py and
tests/beat/test_cli.py."""

from __future__ import annotations

import io
import os
import subprocess
from datetime import UTC, datetime, timedelta, timezone

import pytest
from rich.console import Console
from rich.progress import BarColumn, TextColumn
from typer.testing import CliRunner

from tests.support.procs import vocalborn_cmd
from tests.support.readable import BOX_AND_BARS, assert_readable_in_pipe
from vocalborn.cli.app import app
from vocalborn.cli.output import Grid, LineProgress, format_time, print_grids, progress_display
from vocalborn.cli.status import _status_grids

TASK_ID = "6f1c2d7e-9a0b-4c3d-8e5f-0123456789ab"
WORKER = "worker-analysis-1@vocalborn-prod-node-01.internal"
JOB = "vocalborn.maintenance.auto_submit_unanalysed"
STATUS = {
    "workers": [{
        "worker_name": WORKER, "status": "online", "active": 2, "processed": 1234, "failed": 3,
        "concurrency": 4, "load_avg": [0.5, 0.4, 0.3], "memory_rss_mb": 312.4,
        "queues": ["ai_analysis", "maintenance", "health"],
    }],
    "queues": [{"queue_name": "ai_analysis", "pending": 3, "active": 2, "workers": 1,
                "throughput_per_minute": 1.5}],
    "counts": {"pending": 1, "processing": 2, "success": 10, "failure": 0, "cancelled": 0},
    "active_tasks": [{
        "task_id": TASK_ID, "state": "processing", "progress": 40, "current_step": "pitch",
        "worker": WORKER, "started_at": "2026-12-03T03:30:00+00:00",
        "created_at": "2026-12-03T03:29:00.123456+00:00",
    }],
}  # fmt: skip


def _console(terminal: bool, width: int = 80) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=terminal, color_system=None)
    console.soft_wrap = not terminal
    return console, buffer


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 12, 2, 19, 30),  # naive: UTC, as the database stores it
        datetime(2026, 12, 2, 19, 30, tzinfo=UTC),
        datetime(2026, 12, 3, 4, 30, tzinfo=timezone(timedelta(hours=9))),
        "2026-12-02T19:30:00Z",
        "2026-12-03T03:30:00+08:00",
        datetime(2026, 12, 2, 19, 30, tzinfo=UTC).timestamp(),
    ],
)
def test_every_time_is_taipei_with_its_offset(value: object) -> None:
    assert format_time(value, "Asia/Taipei") == "2026-12-03 03:30:00 +08:00"  # type: ignore[arg-type]
    assert format_time(None, "Asia/Taipei") == "-"


def test_a_narrow_terminal_gets_key_value_blocks_never_an_ellipsis() -> None:
    grids = _status_grids(STATUS, "Asia/Taipei")
    console, buffer = _console(terminal=True, width=80)
    print_grids(console, *grids)
    narrow = buffer.getvalue()
    assert "…" not in narrow
    for value in (TASK_ID, WORKER, "2026-12-03 11:30:00 +08:00", "ai_analysis,maintenance,health"):
        assert value in narrow, narrow
    assert f"Worker:    {WORKER}" in narrow  # the wide workers table became a vertical block
    wide_console, wide = _console(terminal=True, width=250)
    print_grids(wide_console, *grids)
    assert BOX_AND_BARS.search(wide.getvalue()) and "Worker:" not in wide.getvalue()


def test_a_pipe_gets_plain_aligned_rows() -> None:
    console, buffer = _console(terminal=False, width=80)
    rows = [(JOB, "2026-12-03 03:30:00 +08:00", "ok"), ("x", "-", "DOWN [red]")]
    print_grids(
        console, *_status_grids(STATUS, "Asia/Taipei"), Grid("Jobs", ("job", "at", "x"), rows)
    )
    text = buffer.getvalue()
    assert_readable_in_pipe(text, TASK_ID, WORKER, JOB, "DOWN [red]")  # data, never markup
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("Task ID"))
    row = next(line for line in lines if line.startswith(TASK_ID))
    assert len(row) > 80  # one line per row even past the width: grep finds whole rows
    assert row.index(WORKER) == header.index("Worker")  # aligned columns
    assert "  (none)" in _plain(Grid("Empty", ("a",), []))


def _plain(grid: Grid) -> str:
    console, buffer = _console(terminal=False)
    print_grids(console, grid)
    return buffer.getvalue()


def test_progress_in_a_pipe_is_one_line_per_change_without_bars() -> None:
    console, buffer = _console(terminal=False)
    bar = progress_display(console, TextColumn("{task.description}"), BarColumn())
    assert isinstance(bar, LineProgress)
    with bar:
        row = bar.add_task("我今天很好", total=100, step="queued")
        bar.update(row, completed=0, step="queued")  # no change: no line
        bar.update(row, completed=40, step="pitch")
        bar.update(row, completed=100, step="done")
    assert buffer.getvalue().splitlines() == [
        "我今天很好  0%  queued",
        "我今天很好  40%  pitch",
        "我今天很好  100%  done",
    ]
    terminal, _ = _console(terminal=True)
    assert not isinstance(progress_display(terminal), LineProgress)


def _commands() -> list[tuple[list[str], object]]:
    import typer

    found: list[tuple[list[str], object]] = []

    def walk(cmd: object, path: list[str]) -> None:
        found.append((path, cmd))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_and_option_has_help_text_that_fits() -> None:
    commands = _commands()
    assert len(commands) > 25
    runner = CliRunner()
    for path, cmd in commands:
        assert (getattr(cmd, "help", None) or "").strip(), path
        for param in getattr(cmd, "params", []):
            assert (getattr(param, "help", None) or "").strip(), (path, param.name)
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
        assert shown.exit_code == 0, (path, shown.output)
        first_line = (getattr(cmd, "help", None) or "").strip().split(".")[0]
        assert first_line in " ".join(shown.output.split()), (path, shown.output)
        described = [line for line in shown.output.splitlines() if not line.startswith("Usage:")]
        assert "..." not in "\n".join(described), shown.output  # no summary cut short
    piped = subprocess.run(
        vocalborn_cmd("schedule", "--help"), env={**os.environ, "COLUMNS": "80"},
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "runs" in piped and not BOX_AND_BARS.search(piped), piped  # typer's panels: terminals
