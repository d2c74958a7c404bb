"""How every `vocalborn` command prints for a person (issue 14, item 6): one set of rules.

Why one module: operators read these commands at 80 columns, through `| less` or `| grep` and in
log files. With each command building its own rich table, the columns they need were cut
(`auto-sub…`, `2026-12-…`), pipes got box drawing and progress bars, and times came in UTC or
Asia/Taipei without saying which. The rules, applied by every command through this module:

- Identifiers, names and times are never cut. In a terminal a table that fits is drawn with a
  box; one that does not fit becomes one "key: value" block per row (long values wrap).
- When stdout is not a terminal (pipe, file, CliRunner): plain text, no box, no colour, no
  progress bar and no line wrapping; a title line, a header and one line per row, columns
  aligned with spaces (a line may be wider than the terminal, so `grep` still finds whole rows).
  `--json` stays the format for programs.
- Every time goes through `format_time`: in the configured TIMEZONE (Asia/Taipei) with its UTC
  offset, "2026-12-03 03:30:00 +08:00". A time stored without a zone is UTC (db.py's rule).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.progress import Progress, ProgressColumn, TaskID
from rich.table import Table
from rich.text import Text

NONE = "(none)"
UNBOUNDED = 100_000


def make_console(stderr: bool = False) -> Console:
    """A console that never wraps lines when it writes to a pipe or a file."""
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.soft_wrap = True
    return console


def help_markup() -> Literal["rich"] | None:
    """Typer's help and usage errors: rich panels in a terminal, plain click text elsewhere
    (given to every `typer.Typer` of the CLI)."""
    return "rich" if sys.stdout.isatty() else None


def format_time(value: datetime | str | float | None, zone: str) -> str:
    """A time as an operator reads it, with its zone: `2026-12-03 03:30:00 +08:00`.
    `value`: an aware or naive-UTC datetime, an ISO 8601 string, or a Unix timestamp."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")  # "+0800"
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def now_text(zone: str) -> str:
    return format_time(datetime.now(UTC), zone)


@dataclass(frozen=True)
class Grid:
    """Rows of text under a title. `numeric` columns are right-aligned; `styles` colours whole
    cells in a terminal (e.g. {"online": "green"}); cells are plain text, never markup."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: frozenset[str] = frozenset()
    styles: Mapping[str, str] = field(default_factory=dict)


def plain_lines(grid: Grid) -> list[str]:
    """The grid as aligned plain text (no box, no colour), one line per row."""
    lines = [grid.title] if grid.title else []
    if not grid.rows:
        return [*lines, f"  {NONE}"]
    table = [list(grid.columns), *([str(c) for c in row] for row in grid.rows)]
    widths = [max(cell_len(row[i]) for row in table) for i in range(len(grid.columns))]
    for row in table:
        cells = []
        for i, (cell, width) in enumerate(zip(row, widths, strict=True)):
            pad = " " * (width - cell_len(cell))
            right = grid.columns[i] in grid.numeric
            cells.append(pad + cell if right else cell + pad)
        lines.append("  ".join(cells).rstrip())
    return lines


def _cell(grid: Grid, value: str) -> Text:
    return Text(value, style=grid.styles.get(value, ""))


def _boxed(grid: Grid) -> Table:
    table = Table(title=grid.title or None, title_justify="left")
    for name in grid.columns:
        right = name in grid.numeric
        table.add_column(name, justify="right" if right else "left", no_wrap=True, overflow="fold")
    for row in grid.rows:
        table.add_row(*(_cell(grid, str(c)) for c in row))
    return table


def _vertical(grid: Grid) -> Group:
    """One "key: value" block per row, for a terminal too narrow for the table."""
    parts: list[RenderableType] = []
    if grid.title:
        parts.append(Text(grid.title, style="bold italic"))
    for row in grid.rows:
        block = Table.grid(padding=(0, 1))
        block.add_column(style="dim", no_wrap=True)
        block.add_column(overflow="fold")
        for name, value in zip(grid.columns, row, strict=True):
            block.add_row(f"{name}:", _cell(grid, str(value)))
        parts.extend([block, Text("")])
    return Group(*parts)


def renderable(console: Console, grid: Grid) -> RenderableType:
    """What a terminal shows for the grid: the boxed table if it fits, else vertical blocks."""
    if not grid.rows:
        return Group(Text(grid.title, style="bold italic"), Text(f"  {NONE}"))
    table = _boxed(grid)
    unbounded = console.options.update(max_width=UNBOUNDED)  # the table's natural width
    if Measurement.get(console, unbounded, table).maximum <= console.width:
        return table
    return _vertical(grid)


def print_grids(console: Console, *grids: Grid) -> None:
    """Print each grid by the rules of this module (terminal or not)."""
    for i, grid in enumerate(grids):
        if console.is_terminal:
            console.print(renderable(console, grid))
        else:
            if i:
                console.print()
            for line in plain_lines(grid):
                console.print(Text(line), soft_wrap=True)


def say(console: Console, text: str, style: str = "") -> None:
    """One line of data (never parsed as markup: names may contain brackets)."""
    console.print(Text(text, style=style), soft_wrap=not console.is_terminal)


class LineProgress(Progress):
    """A progress display for pipes: no bar, one plain line whenever a task's state changes."""

    def __init__(self, console: Console) -> None:
        super().__init__(console=console, disable=True)
        self._said: dict[TaskID, str] = {}

    def add_task(self, description: str, *args: Any, **kwargs: Any) -> TaskID:
        task_id = super().add_task(description, *args, **kwargs)
        self._say(task_id)
        return task_id

    def update(self, task_id: TaskID, **kwargs: Any) -> None:
        super().update(task_id, **kwargs)
        self._say(task_id)

    def _say(self, task_id: TaskID) -> None:
        task = self._tasks[task_id]
        words = [task.description, f"{task.percentage:.0f}%"]
        words += [str(v) for v in task.fields.values() if v not in (None, "")]
        line = "  ".join(w for w in words if w)
        if self._said.get(task_id) != line:
            self._said[task_id] = line
            say(self.console, line)


def progress_display(console: Console, *columns: str | ProgressColumn) -> Progress:
    """Bars in a terminal; `LineProgress` (plain lines) anywhere else."""
    if console.is_terminal:
        return Progress(*columns, console=console)
    return LineProgress(console)
