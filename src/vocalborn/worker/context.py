"""Per-process resources of a worker: settings, database, Redis, storage and the analyser.

Built once per pool process (`worker_process_init`, i.e. after the fork, so no connection is
shared between processes) and lazily on first use in pools without that signal (solo, threads).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from vocalborn.analysis.progress import ProgressPublisher
from vocalborn.analyzer.types import Analyser
from vocalborn.config import Settings, get_settings
from vocalborn.db import make_engine, make_session_factory
from vocalborn.practice.storage import Storage
from vocalborn.redis_conn import connect

log = logging.getLogger(__name__)


@dataclass
class WorkerContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis: redis.Redis
    progress: ProgressPublisher
    storage: Storage
    analyser: Analyser | None = None

    def get_analyser(self) -> Analyser:
        """The analyser, loaded on first use. Its load errors propagate: a worker must never
        fall back to fake scores (`load_analyser` refuses custom analysers in production)."""
        if self.analyser is None:
            from vocalborn.analyzer.factory import load_analyser

            analyser = load_analyser(self.settings)
            analyser.warm_up()
            self.analyser = analyser
        return self.analyser

    def close(self) -> None:
        self.engine.dispose()
        self.redis.close()


_lock = threading.Lock()
_context: WorkerContext | None = None


def build_context(settings: Settings) -> WorkerContext:
    client = connect(settings.progress_redis_url, settings.REDIS_SENTINEL_MASTER)
    engine = make_engine(settings.database_url, pool_size=2, max_overflow=2)
    return WorkerContext(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        redis=client,
        progress=ProgressPublisher(client, settings.TASK_PROGRESS_TTL),
        storage=Storage(settings.storage_dir),
    )


def current_settings() -> Settings:
    from celery import current_app

    settings = getattr(current_app, "vocalborn_settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def get_context() -> WorkerContext:
    global _context
    with _lock:
        if _context is None:
            _context = build_context(current_settings())
        return _context


def reset_context() -> None:
    """Drop inherited resources (after a fork) or release them (at shutdown)."""
    global _context
    with _lock:
        if _context is not None:
            try:
                _context.close()
            except Exception:  # closing a forked copy may fail; it is discarded either way
                log.debug("context close failed", exc_info=True)
        _context = None
