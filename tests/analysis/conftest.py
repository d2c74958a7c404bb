"""The analysis tests' `make_record` fixture (also used by tests/security)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from tests.support import rows
from vocalborn.practice.models import PracticeRecord


@pytest.fixture
def make_record(db: Session) -> Callable[..., PracticeRecord]:
    """A committed practice record of `user_id` (with audio unless `audio=False`)."""

    def _make(user_id: str, audio: bool = True) -> PracticeRecord:
        return rows.recorded(db, user_id, audio)

    return _make
