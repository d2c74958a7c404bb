"""A process and its descendants as Linux /proc shows them: the pids, their resident memory
(the worker registry's heartbeat) and their CPU time (the benchmarks). Elsewhere: nothing."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def tree_pids(pid: int) -> list[int]:
    """`pid` and every descendant still running (an empty list without /proc)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        tasks = Path(f"/proc/{current}/task")
        if not tasks.is_dir():
            continue  # gone meanwhile, or no /proc
        found.append(current)
        for task in tasks.iterdir():
            with contextlib.suppress(OSError, ValueError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree_rss_bytes(pid: int) -> int | None:
    """Resident memory of a process and all its descendants (None without /proc)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total, seen = 0, False
    for p in tree_pids(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page
            seen = True
    return total if seen else None


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and all its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in tree_pids(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total
