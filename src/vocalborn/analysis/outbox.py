"""After-commit outbox: what a transaction does outside the database happens once it commits.

The task domain's one rule (DESIGN §4): a row is committed before anything about it reaches
Redis. A message published before the commit could name a row that a rollback then removes (or
a worker could claim it before it is visible); a revoke or a `cancelled` event sent before a
cancel commits would announce something that may never happen. So nothing calls Celery or the
progress publisher while a transaction is open. Instead the code that changes a row registers
the side effect on the Session:

    outcome = after_commit(db, f"publish {task_id}", lambda: send(...))
    db.commit()          # COMMIT, then the action runs; outcome.value holds what it returned

- Actions run in registration order, right after a successful COMMIT, inside `db.commit()`.
- A rollback (explicit, or the session closed without a commit) drops them: nothing is sent.
- SAVEPOINTs (`begin_nested`): a released savepoint hands its actions to the enclosing level;
  one rolled back drops only the actions registered inside it. The test suite's outer
  transaction, where `db.commit()` releases a savepoint of the test's connection, is not a
  `begin_nested` for the Session: its `commit()` is the Session's commit and runs the actions.
- An action that raises is logged and skipped: the commit stands and the next actions still
  run. Crash safety does not rest on the actions at all: a committed `pending` row whose
  publish failed (or whose process died before it) keeps `published_at` NULL, and the reaper
  publishes it (analysis/publish.py, analysis/reaper.py).
- Actions must not use the Session they were registered on: SQLAlchemy forbids SQL inside its
  `after_commit` event. One that writes takes its own session (see `PublishedMarks`).

Who registers: `analysis/service.py` (publish on submit and retry; cancel flag, revoke and the
`cancelled` event on cancel, for the API, the admin API, the CLI and auto-submit alike), the
reaper (re-publish, retry delivery, `failure` event) and the worker's terminal events
(`success`, `retry`, `failure` in analysis/tasks.py). Progress events during a run are not tied
to a commit's outcome and are sent directly.

The listeners are installed on the `Session` class, so every session of the project (API,
workers, CLI, tests) honours registrations without being built in a special way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)
T = TypeVar("T")
_KEY = "vocalborn.outbox"


@dataclass
class Outcome(Generic[T]):
    """What became of one registered action: not run yet (or dropped), its value, or its error."""

    name: str
    ran: bool = False
    value: T | None = None
    error: Exception | None = None


@dataclass
class _Entry:
    outcome: Outcome[Any]
    action: Callable[[], Any]
    # The innermost SAVEPOINT open at registration (None: the session's own transaction).
    level: SessionTransaction | None = field(default=None)


def after_commit(db: Session, name: str, action: Callable[[], T]) -> Outcome[T]:
    """Run `action` once the transaction of `db` commits; never if it rolls back. `name` says
    what the action is in logs (e.g. "publish <task id>")."""
    if db.get_transaction() is None:
        db.begin()  # no I/O yet; the actions belong to a transaction whose end decides them
    outcome: Outcome[T] = Outcome(name)
    entries: list[_Entry] = db.info.setdefault(_KEY, [])
    entries.append(_Entry(outcome, action, db.get_nested_transaction()))
    return outcome


def pending(db: Session) -> list[str]:
    """Names of the actions waiting for the commit of `db`, in order (for logs and tests)."""
    return [e.outcome.name for e in db.info.get(_KEY, [])]


def _run(entries: list[_Entry]) -> None:
    for entry in entries:
        outcome = entry.outcome
        outcome.ran = True
        try:
            outcome.value = entry.action()
        except Exception as exc:  # the commit stands; the reaper covers a lost publish
            outcome.error = exc
            log.exception("after-commit action %r failed (the commit stands)", outcome.name)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    entries: list[_Entry] | None = session.info.get(_KEY)
    if not entries:
        return
    savepoint = session.get_nested_transaction()
    if savepoint is not None:  # RELEASE SAVEPOINT: nothing is durable yet
        parent = savepoint.parent
        enclosing = parent if parent is not None and parent.nested else None
        for entry in entries:
            if entry.level is savepoint:
                entry.level = enclosing
        return
    del session.info[_KEY]  # before running: an action's own commits start from scratch
    _run(entries)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    entries: list[_Entry] | None = session.info.get(_KEY)
    if not entries:
        return
    if previous.nested:  # ROLLBACK TO SAVEPOINT: only what was registered inside it
        kept = [e for e in entries if e.level is not previous]
        session.info[_KEY] = kept
        dropped = len(entries) - len(kept)
    else:
        del session.info[_KEY]
        dropped = len(entries)
    if dropped:
        log.debug("rollback: %d after-commit action(s) dropped", dropped)


@event.listens_for(Session, "after_transaction_end")
def _after_end(session: Session, transaction: SessionTransaction) -> None:
    # The session's transaction ended without a commit (closed): what it registered is dropped.
    if transaction.parent is None and session.info.get(_KEY):
        log.debug("session closed: %d after-commit action(s) dropped", len(session.info[_KEY]))
        del session.info[_KEY]
