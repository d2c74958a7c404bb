"""The models and the migrations describe the same schema (PostgreSQL and SQLite), and the
periodic-jobs revision downgrades cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from vocalborn.db import make_engine
from vocalborn.migrate import downgrade, upgrade
from vocalborn.models import Base


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", ["postgresql", "sqlite"])
def test_models_match_migrations(backend_name: str, pg_url: str, tmp_path: Path) -> None:
    url = pg_url if backend_name == "postgresql" else f"sqlite:///{tmp_path / 'm.db'}"
    if backend_name == "sqlite":
        upgrade(url)
    assert _diff(url) == []


def test_periodic_jobs_revision_round_trips(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(url)
    downgrade(url, "20261125_0010-1")
    upgrade(url)
    assert _diff(url) == []
