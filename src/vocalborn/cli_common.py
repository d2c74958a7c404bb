"""What every `vocalborn` command module shares: settings that fail with one clear line."""

from __future__ import annotations

import typer
from rich.console import Console

from vocalborn.config import ConfigError, Settings, get_settings

EXIT_CONFIG = 2
err = Console(stderr=True)


def load_settings() -> Settings:
    """The settings, or exit 2 with the reason (never a traceback)."""
    try:
        return get_settings()
    except ConfigError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(EXIT_CONFIG) from exc
