from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import events, live  # noqa: F401  (the pipeline's e2e fixtures)

VOCALBORN = str(Path(sys.executable).parent / "vocalborn")


@dataclass
class Run:
    code: int
    out: str
    err: str


def vocalborn(
    env: dict[str, str],
    *args: str,
    input: str | None = None,
    timeout: float = 120,
    columns: int = 200,
) -> Run:
    """Run the real `vocalborn` command, its output read through a pipe."""
    proc = subprocess.run(
        [VOCALBORN, *args],
        env={**env, "COLUMNS": str(columns), "TERM": "dumb", "NO_COLOR": "1"},
        input=input, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli_env(live):  # type: ignore[no-untyped-def]  # noqa: F811
    return dict(live.env)
