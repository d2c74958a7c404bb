"""What every `vocalborn` command module shares: settings that fail with one clear line, and the
stack file through which `vocalborn up` tells the other commands where its stack is.

`up` runs a private Redis on a random port (and SQLite under the data directory); without the
stack file, `status`, `health`, `task`, `purge` ... would talk to whatever answers on the default
Redis port and report a running stack as down, or act on somebody else's queues. So `up` writes
DATA_DIR/stack.json (0600: the URLs may carry passwords) once its stack is ready and removes it
when it stops; every command adopts the variables in it that neither its environment nor `.env`
sets, exactly as `up` passed them to its children (an explicit setting always wins, so a
configured deployment never drifts to a laptop stack). A file whose `up` is gone is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from vocalborn.config import ConfigError, Settings, get_settings

EXIT_CONFIG = 2
STACK_FILE = "stack.json"
# What `up` publishes for the other commands (the rest of the file is informative).
STACK_VARIABLES = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DATABASE_URL", "ENVIRONMENT")
err = Console(stderr=True)
_adopted: dict[str, Any] | None = None


def load_settings() -> Settings:
    """The settings (with a running `vocalborn up`'s URLs where the environment has none),
    or exit 2 with the reason (never a traceback)."""
    adopt_stack()
    try:
        return get_settings()
    except ConfigError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(EXIT_CONFIG) from exc


def configured() -> dict[str, str]:
    """The variables the settings will read: `.env` (as pydantic-settings reads it, from the
    working directory) overridden by the environment."""
    values: dict[str, str] = {}
    if Path(".env").is_file():
        from dotenv import dotenv_values

        values = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    return {**values, **os.environ}


def data_dir() -> Path:
    """DATA_DIR as the settings will see it, without validating the rest of the configuration."""
    return Path(configured().get("DATA_DIR") or ".vocalborn")


def stack_path(directory: Path | None = None) -> Path:
    return (directory or data_dir()) / STACK_FILE


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def read_stack(directory: Path | None = None) -> dict[str, Any] | None:
    """The stack file of a live `vocalborn up`, or None (no file, unreadable, or stale)."""
    try:
        data = json.loads(stack_path(directory).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("pid"), int):
        return None
    if not isinstance(data.get("env"), dict) or not pid_alive(data["pid"]):
        return None
    return data


def adopt_stack() -> dict[str, Any] | None:
    """Put a running stack's variables into this process's environment where unset (once per
    process); returns the stack file's content, or None when there is no live stack."""
    global _adopted
    if _adopted is not None:
        return _adopted or None
    stack = read_stack()
    _adopted = stack or {}
    if stack is None:
        return None
    taken = []
    already = configured()
    for name in STACK_VARIABLES:
        value = stack["env"].get(name)
        if isinstance(value, str) and value and name not in already:
            os.environ[name] = value
            taken.append(name)
    if taken:
        get_settings.cache_clear()
        err.print(
            f"[dim]using the stack of `vocalborn up` (pid {stack['pid']}, "
            f"{stack_path()}): {', '.join(taken)}[/dim]"
        )
    return stack


def write_stack(directory: Path, content: dict[str, Any]) -> Path:
    """Write the stack file atomically (readers see the old file or the whole new one), 0600."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".stack-", suffix=".json", dir=directory)  # 0600
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(content, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, stack_path(directory))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return stack_path(directory)


def remove_stack(directory: Path, pid: int) -> None:
    """Remove the stack file if it is the one of `pid` (never another stack's)."""
    path = stack_path(directory)
    try:
        owner = json.loads(path.read_text()).get("pid")
    except (OSError, ValueError, AttributeError):
        return
    if owner == pid:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
