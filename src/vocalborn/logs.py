"""Structured logs for the API, workers and commands.

`configure_logging(settings)` installs one handler on the root logger: JSON lines when
`LOG_FORMAT=json` (timestamp, level, logger, message, process, plus `task_id`, `task_name` and
`worker` on every line logged while a task runs, and `exc_info` as text), plain text otherwise.
The task context lives in contextvars set by the worker's `task_prerun` hook
(`monitoring/worker_hooks.py`), so analyser and library log lines carry it too.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

from vocalborn.config import Settings

task_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)
task_name_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "task_name", default=None
)
_worker_name: str | None = None
_HANDLER_FLAG = "_vocalborn_handler"
_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {
    "message", "asctime", "task_id", "task_name", "worker", "color_message",
}  # fmt: skip


def set_worker_name(name: str | None) -> None:
    global _worker_name
    _worker_name = name


def bind_task(task_id: str | None, task_name: str | None) -> tuple[Any, Any]:
    return task_id_var.set(task_id), task_name_var.set(task_name)


def unbind_task(tokens: tuple[Any, Any]) -> None:
    task_id_var.reset(tokens[0])
    task_name_var.reset(tokens[1])


# One query parameter: its separator, its (still percent-encoded) name, its value.
_PARAM = re.compile(r"(?P<sep>[?&;])(?P<name>[^=&;\s\"#?]*)=(?P<value>[^&;\s\"#]*)")


def _decoded(name: str) -> str:
    """A parameter name as the server reads it: `tok%65n` and `%74oken` are `token` (decoded
    until stable, so double encoding cannot hide one either)."""
    for _ in range(3):
        plain = unquote_plus(name)
        if plain == name:
            break
        name = plain
    return name.strip().lower()


def redact(text: str) -> str:
    """Access tokens sent as `?token=` (WebSocket, EventSource) never reach the logs, however
    the parameter's name is percent-encoded: the name is compared after decoding (issue 13).
    Any parameter whose name contains "token" is masked."""

    def mask(m: re.Match[str]) -> str:
        if "token" not in _decoded(m.group("name")):
            return m.group(0)
        return f"{m.group('sep')}{m.group('name')}=***"

    return _PARAM.sub(mask, text)


class TaskContextFilter(logging.Filter):
    """Puts `task_id`, `task_name` and `worker` on every record (None outside a task), and
    redacts token query parameters from uvicorn's lines (access log: the path is an argument;
    errors may quote it in the message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("uvicorn"):
            if isinstance(record.args, tuple):
                record.args = tuple(
                    redact(a) if isinstance(a, str) and "=" in a else a for a in record.args
                )
            if isinstance(record.msg, str) and "=" in record.msg:
                record.msg = redact(record.msg)
        if getattr(record, "task_id", None) is None:
            record.task_id = task_id_var.get() or _celery_task_id(record)
        if getattr(record, "task_name", None) is None:
            record.task_name = task_name_var.get()
        if getattr(record, "worker", None) is None:
            record.worker = _worker_name
        return True


def _celery_task_id(record: logging.LogRecord) -> str | None:
    """Celery's own task lines logged outside the task (e.g. "Task … received" in the main
    process) carry the id in their arguments."""
    args = record.args
    if record.name.startswith("celery") and isinstance(args, dict):
        value = args.get("id")
        return str(value) if value else None
    return None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.processName,
            "pid": record.process,
        }
        for name in ("task_id", "task_name", "worker"):
            value = getattr(record, name, None)
            if value is not None:
                body[name] = value
        # fields passed with `extra={...}`
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in body and not key.startswith("_"):
                body[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            body["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            body["stack_info"] = record.stack_info
        return json.dumps(body, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """One line per record; its time in `zone` with the UTC offset, as the CLI prints times
    (cli_output.format_time): `2026-12-03 03:30:00.123 +08:00`."""

    def __init__(self, zone: str = "UTC") -> None:
        super().__init__("%(asctime)s %(levelname)s [%(processName)s] %(name)s: %(message)s")
        self.zone = ZoneInfo(zone)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        local = datetime.fromtimestamp(record.created, self.zone)
        offset = local.strftime("%z")
        millis = local.microsecond // 1000
        return f"{local:%Y-%m-%d %H:%M:%S}.{millis:03d} {offset[:3]}:{offset[3:]}"

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        task_id = getattr(record, "task_id", None)
        if task_id:
            text += f" [task_id={task_id} worker={getattr(record, 'worker', None)}]"
        return text


def configure_logging(
    settings: Settings, level: str | int | None = None, stream: TextIO | None = None
) -> logging.Handler:
    """(Re)install our root handler; idempotent (a previous one of ours is replaced)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, _HANDLER_FLAG, False):
            root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _HANDLER_FLAG, True)
    handler.addFilter(TaskContextFilter())
    text = TextFormatter(settings.TIMEZONE)
    handler.setFormatter(JsonFormatter() if settings.LOG_FORMAT == "json" else text)
    root.addHandler(handler)
    root.setLevel(level or settings.LOG_LEVEL.upper())
    # uvicorn's loggers go through the root handler too (one format for everything)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler
