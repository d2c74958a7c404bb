from __future__ import annotations

import pytest
from pydantic import ValidationError

from vocalborn.config import ConfigError, Settings

# A production-grade key (what `secrets.token_urlsafe(48)` gives); "x" * 40 is refused now.
STRONG = "kJ3v9Qm_2xTz8LpW-4rNc7YbH1uSgE6oAiD0fVhR5tMwKqZyBnXa"


def test_production_refuses_missing_or_default_secret() -> None:
    for secret in (None, "changeme", "secret", "short-but-not-default"):
        with pytest.raises(ValidationError, match="SECRET_KEY"):
            Settings(_env_file=None, ENVIRONMENT="production", SECRET_KEY=secret)  # type: ignore[call-arg]
    ok = Settings(_env_file=None, ENVIRONMENT="production", SECRET_KEY=STRONG)  # type: ignore[call-arg]
    assert ok.secret_key == STRONG


def test_dev_generates_and_keeps_a_random_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = Settings(_env_file=None, ENVIRONMENT="dev", DATA_DIR=tmp_path)  # type: ignore[call-arg]
    second = Settings(_env_file=None, ENVIRONMENT="dev", DATA_DIR=tmp_path)  # type: ignore[call-arg]
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key


def test_embedded_defaults_and_url_normalisation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = Settings(_env_file=None, ENVIRONMENT="dev", DATA_DIR=tmp_path)  # type: ignore[call-arg]
    assert s.database_url == f"sqlite:///{tmp_path.resolve() / 'vocalborn.db'}"
    assert s.storage_dir == (tmp_path / "storage").resolve()
    pg = Settings(
        _env_file=None,
        ENVIRONMENT="dev",  # type: ignore[call-arg]
        DATABASE_URL="postgresql://u:p@db:5432/vb",
    )
    assert pg.database_url == "postgresql+psycopg://u:p@db:5432/vb"


def test_flower_auth_refused_in_production_without_strong_password() -> None:
    base = {"ENVIRONMENT": "production", "SECRET_KEY": STRONG}
    for auth in (None, "admin:vocalborn2024", "admin:short"):
        with pytest.raises(ConfigError):
            Settings(_env_file=None, FLOWER_BASIC_AUTH=auth, **base).require_flower_auth()  # type: ignore[call-arg, arg-type]
    good = Settings(_env_file=None, FLOWER_BASIC_AUTH="ops:a-long-random-pass", **base)  # type: ignore[call-arg, arg-type]
    assert good.require_flower_auth() == "ops:a-long-random-pass"


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValidationError, match="SOFT_TIME_LIMIT"):
        Settings(
            _env_file=None,
            ENVIRONMENT="dev",
            CELERY_TASK_TIME_LIMIT=10,  # type: ignore[call-arg]
            CELERY_TASK_SOFT_TIME_LIMIT=20,
        )
    with pytest.raises(ValidationError, match="unknown formats"):
        Settings(_env_file=None, ENVIRONMENT="dev", SUPPORTED_AUDIO_FORMATS="wav,exe")  # type: ignore[call-arg]


def test_an_empty_listener_model_dir_means_the_bundled_model(monkeypatch) -> None:
    # .env.example leaves it empty; read as a path it would be the working directory.
    monkeypatch.setenv("LISTENER_MODEL_DIR", "")
    assert Settings(_env_file=None, ENVIRONMENT="dev").LISTENER_MODEL_DIR is None  # type: ignore[call-arg]
    monkeypatch.setenv("LISTENER_MODEL_DIR", "/opt/whisper-small")
    assert (
        str(Settings(_env_file=None, ENVIRONMENT="dev").LISTENER_MODEL_DIR) == "/opt/whisper-small"
    )  # type: ignore[call-arg]
