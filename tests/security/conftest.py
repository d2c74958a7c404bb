"""Security and bad-input tests: the committing `live` harness of tests/e2e (no workers) and
the in-process fixtures of tests/conftest.py."""

from __future__ import annotations

from tests.analysis.conftest import make_record
from tests.e2e.conftest import events, live

__all__ = ["events", "live", "make_record"]
