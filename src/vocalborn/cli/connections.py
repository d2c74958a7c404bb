"""What every operator command shares: exit codes, consoles, and the connections of one
command (`ops()`), which turns an unreachable Redis or database into one line and exit code 3.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import redis
    from celery import Celery
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

from vocalborn.cli.common import load_settings
from vocalborn.cli.output import make_console
from vocalborn.config import Settings

OK, FAILED, USAGE, UNREACHABLE = 0, 1, 2, 3
out = make_console()
err = make_console(stderr=True)


class Unreachable(Exception):
    """Redis or the database did not answer."""


def mask(url: str) -> str:
    """The URL with its password hidden, fit for a terminal or a log."""
    return re.sub(r"://([^:@/]*):([^@/]*)@", r"://\1:***@", url)


@dataclass
class Ops:
    """Connections of one command, opened on first use and closed at the end."""

    settings: Settings
    _engine: Engine | None = None
    _factory: sessionmaker[Session] | None = None
    _clients: dict[str, redis.Redis] = field(default_factory=dict)
    _celery: Celery | None = None

    def session(self) -> Session:
        from vocalborn.db import make_engine, make_session_factory

        if self._factory is None:
            self._engine = make_engine(self.settings.database_url, pool_size=2, max_overflow=2)
            self._factory = make_session_factory(self._engine)
        return self._factory()

    def client(self, url: str) -> redis.Redis:
        from vocalborn.redis_conn import connect

        if url not in self._clients:
            self._clients[url] = connect(url, self.settings.REDIS_SENTINEL_MASTER, timeout=10)
        return self._clients[url]

    @property
    def broker(self) -> redis.Redis:
        return self.client(self.settings.CELERY_BROKER_URL)

    @property
    def live(self) -> redis.Redis:
        return self.client(self.settings.progress_redis_url)

    @property
    def celery(self) -> Celery:
        if self._celery is None:
            from vocalborn.monitoring import worker_hooks  # noqa: F401  (publish timestamps)
            from vocalborn.worker.celery_app import create_celery

            self._celery = create_celery(self.settings)
        return self._celery

    @property
    def progress(self) -> Any:
        from vocalborn.analysis.progress import ProgressPublisher

        return ProgressPublisher(self.live, self.settings.TASK_PROGRESS_TTL)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        if self._engine is not None:
            self._engine.dispose()
        if self._celery is not None:
            self._celery.close()


@contextmanager
def ops() -> Iterator[Ops]:
    """Settings and connections; infrastructure errors become one line and exit code 3,
    AppErrors (not found, conflict) their message and exit code 1."""
    import kombu.exceptions
    import redis
    from sqlalchemy.exc import DBAPIError

    from vocalborn.errors import AppError

    settings = load_settings()
    context = Ops(settings)
    try:
        yield context
    except (redis.ConnectionError, redis.TimeoutError, kombu.exceptions.OperationalError) as exc:
        err.print(
            f"[red]Redis unreachable[/red] ({mask(settings.CELERY_BROKER_URL)}): {first_line(exc)}"
        )
        raise typer.Exit(UNREACHABLE) from None
    except DBAPIError as exc:
        err.print(f"[red]Database unreachable or failing:[/red] {first_line(exc.orig or exc)}")
        raise typer.Exit(UNREACHABLE) from None
    except Unreachable as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(UNREACHABLE) from None
    except AppError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(FAILED) from None
    finally:
        context.close()


def first_line(exc: BaseException) -> str:
    """The first line of an error, short enough for a terminal."""
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str, indent=2) + "\n")
