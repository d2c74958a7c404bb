"""Settings from the environment and `.env` (names from DESIGN §6).

Outside dev mode the process refuses to start with a missing or default secret: a leaked
default `SECRET_KEY` lets anyone mint tokens, and default Flower credentials expose every task.
A guessable key is as bad as a default one, so production also refuses a low-entropy
`SECRET_KEY` (see `secret_key_problem`: 40 x "a" or "abab…" are refused; the output of
`secrets.token_urlsafe(48)` or `openssl rand -hex 32` passes).
"""

from __future__ import annotations

import math
import secrets
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vocalborn.analysis.retry import longest_countdown

AUDIO_FORMATS = ("wav", "mp3", "m4a", "aac", "ogg", "flac", "webm")
# Values that must never protect a production deployment.
KNOWN_DEFAULT_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "dev", "your-secret-key", "CHANGE_ME"}
)


# Floors for a production SECRET_KEY, measured on the key itself: how many different characters
# it uses, and its length times the Shannon entropy of its own character frequencies (bits).
# A random 32-character hex key scores ~110 bits (rarely below 100), token_urlsafe(48) ~330,
# 40 x "a" 0, "ab" x 20 40. A floor against typed and repeated keys, not a proof of randomness.
SECRET_MIN_DISTINCT = 10
SECRET_MIN_ENTROPY_BITS = 90.0


def shannon_bits(text: str) -> float:
    """len(text) x the Shannon entropy (bits per character) of text's character frequencies."""
    if not text:
        return 0.0
    n = len(text)
    per_char = sum(c / n * math.log2(n / c) for c in Counter(text).values())
    return n * per_char


def secret_key_problem(key: str | None) -> str | None:
    """Why `key` must not sign production tokens, or None when it may."""
    if key is None or key.strip() in KNOWN_DEFAULT_SECRETS:
        return (
            "SECRET_KEY is missing or a known default. Set SECRET_KEY to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), or set "
            "ENVIRONMENT=dev on a development machine."
        )
    if len(key) < 32:
        return "SECRET_KEY must be at least 32 characters in production."
    if len(set(key)) < SECRET_MIN_DISTINCT or shannon_bits(key) < SECRET_MIN_ENTROPY_BITS:
        return (
            f"SECRET_KEY looks guessable (it uses {len(set(key))} different character(s), "
            f"~{shannon_bits(key):.0f} bits of entropy; at least {SECRET_MIN_DISTINCT} and "
            f"{SECRET_MIN_ENTROPY_BITS:.0f} are required). Generate one: python -c 'import "
            "secrets; print(secrets.token_urlsafe(48))'."
        )
    return None


class ConfigError(RuntimeError):
    """Raised when settings cannot be used; the message tells the operator what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    ENVIRONMENT: Literal["dev", "test", "production"] = "production"
    DATA_DIR: Path = Path(".vocalborn")

    DATABASE_URL: str | None = None
    CELERY_BROKER_URL: str = "redis://127.0.0.1:6379/0"
    # With sentinel:// URLs (Redis Sentinel), the name of the master the sentinels monitor.
    REDIS_SENTINEL_MASTER: str = "mymaster"
    CELERY_RESULT_BACKEND: str = "redis://127.0.0.1:6379/1"
    CELERY_WORKER_CONCURRENCY: int = Field(default=2, ge=1)
    CELERY_WORKER_MAX_TASKS_PER_CHILD: int = Field(default=1000, ge=1)
    # KiB; a pool process above it is replaced after its current task (Celery's own unit).
    # A process holding the listener model needs ~530 MB: below ~600 MiB it reloads every task.
    CELERY_WORKER_MAX_MEMORY_PER_CHILD: int = Field(default=768 * 1024, ge=64 * 1024)
    CELERY_WORKER_PREFETCH_MULTIPLIER: int = Field(default=1, ge=1)
    CELERY_TASK_TIME_LIMIT: int = Field(default=600, ge=2)
    CELERY_TASK_SOFT_TIME_LIMIT: int = Field(default=540, ge=1)
    CELERY_LOG_LEVEL: str = "INFO"
    # Scales every retry countdown of DESIGN §4 (1.0 in production; tests shrink it).
    TASK_RETRY_DELAY_SCALE: float = Field(default=1.0, ge=0.0)
    # A message delivered more often than this is a poison message (kills its worker).
    TASK_MAX_DELIVERIES: int = Field(default=3, ge=1)
    # Seconds an unacked message stays invisible before Redis hands it to another worker. Must
    # exceed the hard time limit plus the longest retry countdown (ETA messages are held unacked).
    CELERY_VISIBILITY_TIMEOUT: int = Field(default=3600, ge=2)
    CELERY_RESULT_EXPIRES: int = Field(default=86_400, ge=60)
    # Live progress hashes in Redis expire after this long (the database keeps the truth).
    TASK_PROGRESS_TTL: int = Field(default=86_400, ge=60)
    # Workers refresh their registry entry this often; entries older than 3x are ignored.
    WORKER_HEARTBEAT_SECONDS: float = Field(default=5.0, gt=0)
    # A committed task row not published after this many seconds is re-published by the reaper.
    REAPER_PUBLISH_GRACE_SECONDS: float = Field(default=30.0, ge=0)
    REAPER_INTERVAL_SECONDS: float = Field(default=60.0, gt=0)
    # ETA fallback when no analysis has finished yet.
    ANALYSIS_DEFAULT_SECONDS: float = Field(default=30.0, gt=0)
    # Analyses one learner may have pending, processing or waiting to retry at once (429
    # beyond), so that one learner cannot fill the queue ahead of everybody else. 0: no cap.
    MAX_ACTIVE_TASKS_PER_USER: int = Field(default=5, ge=0)

    AI_SERVICE_URL: str | None = None
    AI_SERVICE_API_KEY: str | None = None
    AI_SERVICE_CONNECT_TIMEOUT: float = 5.0
    AI_SERVICE_READ_TIMEOUT: float = 120.0
    # Circuit breaker of the remote client: opens after this many consecutive failures
    # (network, 5xx, timeout) and fails fast for the cooldown, then lets one trial call through.
    AI_SERVICE_BREAKER_THRESHOLD: int = Field(default=5, ge=1)
    AI_SERVICE_BREAKER_COOLDOWN: float = Field(default=30.0, gt=0)
    # "auto": remote when AI_SERVICE_URL is set, else the built-in offline analyser.
    # A "module:attr" path loads another analyser; refused in production.
    ANALYZER: str = "auto"

    # The second listener (DESIGN §7): another CTranslate2 Whisper model directory (small,
    # medium); unset, Whisper base is joined from its wheels into DATA_DIR/models once.
    LISTENER_MODEL_DIR: Path | None = None

    MAX_AUDIO_FILE_SIZE: int = Field(default=52_428_800, ge=1)
    MAX_AUDIO_DURATION_SECONDS: float = Field(default=300.0, gt=0)
    SUPPORTED_AUDIO_FORMATS: str = ",".join(AUDIO_FORMATS)
    # Wall-clock cap on decoding one file (API upload check, worker, AI service); a file that
    # takes longer is refused as unusable. A 300 s recording decodes in <= 1.3 s (Opus, the
    # slowest; bench/README.md): ~8x headroom on a loaded host, and no upload holds a thread
    # for minutes.
    AUDIO_DECODE_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=300)

    PROMETHEUS_ENABLED: bool = True
    # Each worker serves its metrics on this port (0: no exporter); several workers on one
    # host need different ports. Pool processes share values through PROMETHEUS_MULTIPROC_DIR
    # (default DATA_DIR/metrics/<worker>), emptied when the worker starts. Loopback only by
    # default; set 0.0.0.0 where Prometheus scrapes across hosts/containers (deploy/compose).
    WORKER_METRICS_PORT: int = Field(default=9808, ge=0, le=65535)
    WORKER_METRICS_ADDR: str = "127.0.0.1"
    PROMETHEUS_MULTIPROC_DIR: Path | None = None
    # Live progress: seconds a WebSocket client has to send {"token": ...}; SSE keep-alive.
    LIVE_AUTH_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0, le=60)
    SSE_KEEPALIVE_SECONDS: float = Field(default=15.0, gt=0, le=300)
    FLOWER_BASIC_AUTH: str | None = None
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: Literal["json", "text"] = "text"
    SECRET_KEY: str | None = None
    ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(default=60 * 24, ge=1)
    # argon2id takes 64 MiB per hash: at most this many hashes or verifications run at once in
    # an API process; a register/login waiting longer than PASSWORD_HASH_WAIT_SECONDS for its
    # turn answers 503 with Retry-After (memory stays flat under a flood of registrations).
    PASSWORD_HASH_CONCURRENCY: int = Field(default=2, ge=1)
    PASSWORD_HASH_WAIT_SECONDS: float = Field(default=5.0, gt=0)
    # Registrations accepted from one client address per hour (429 beyond).
    REGISTRATIONS_PER_ADDRESS_PER_HOUR: int = Field(default=20, ge=1)
    # How long a learner's link code (shared with a therapist to be linked) stays valid.
    LINK_CODE_TTL_MINUTES: int = Field(default=24 * 60, ge=1, le=24 * 60)
    TIMEZONE: str = "Asia/Taipei"
    STORAGE_DIR: Path | None = None
    # Task bookkeeping (failed/cancelled task rows, progress keys) is deleted after this many
    # days; the results of analysed recordings are the learner's history and are not.
    TASK_RESULT_RETENTION_DAYS: int = Field(default=7, ge=0)
    # Results (and the successful task rows they hang on) older than this many days are deleted
    # by the cleanup; 0 keeps them forever (the default).
    RESULT_RETENTION_DAYS: int = Field(default=0, ge=0)

    # Periodic jobs (DESIGN §8). Only one beat fires: the leader holds a Redis lock with this
    # expiry, renewed on every tick; a follower takes over once a dead leader's lock expires.
    BEAT_LOCK_TTL_SECONDS: float = Field(default=30.0, ge=2.0)
    # How often beat looks for schedule changes made through the API/CLI (one cheap query).
    BEAT_SCHEDULE_CHECK_SECONDS: float = Field(default=5.0, gt=0)
    # Audio files nothing refers to are deleted only once older than this (an upload places
    # its file before the row that refers to it is committed).
    ORPHAN_FILE_MIN_AGE_SECONDS: float = Field(default=3600.0, ge=0)
    JOB_RUN_RETENTION_DAYS: int = Field(default=30, ge=1)
    CLEANUP_BATCH_SIZE: int = Field(default=500, ge=1)
    # auto_submit_recorded: recordings RECORDED (never analysed) for longer than this ...
    AUTO_SUBMIT_AFTER_SECONDS: float = Field(default=3600.0, ge=0)
    # ... but not older than this (older ones were left alone on purpose, or failed long ago).
    AUTO_SUBMIT_MAX_AGE_HOURS: float = Field(default=48.0, gt=0)
    ERROR_ANALYTICS_DAYS: int = Field(default=30, ge=1)

    @field_validator("DATABASE_URL")
    @classmethod
    def _psycopg3_driver(cls, value: str | None) -> str | None:
        # Operators paste plain postgresql:// URLs; we only ship psycopg 3.
        if value and value.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value or None

    @field_validator("LISTENER_MODEL_DIR", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `LISTENER_MODEL_DIR=` (as in .env.example) means "the bundled model", not the cwd.
        return None if value == "" else value

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.ENVIRONMENT == "production":
            problem = secret_key_problem(self.SECRET_KEY)
            if problem:
                raise ValueError(problem)
        if self.CELERY_TASK_SOFT_TIME_LIMIT >= self.CELERY_TASK_TIME_LIMIT:
            raise ValueError("CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT.")
        longest = self.CELERY_TASK_TIME_LIMIT + longest_countdown(self.TASK_RETRY_DELAY_SCALE)
        if longest >= self.CELERY_VISIBILITY_TIMEOUT:
            raise ValueError(
                f"CELERY_VISIBILITY_TIMEOUT ({self.CELERY_VISIBILITY_TIMEOUT}s) must exceed the "
                f"hard time limit plus the longest retry countdown ({longest:.0f}s), or Redis "
                "would hand running or waiting tasks to a second worker."
            )
        unknown = set(self.supported_formats) - set(AUDIO_FORMATS)
        if unknown:
            raise ValueError(f"SUPPORTED_AUDIO_FORMATS has unknown formats: {sorted(unknown)}")
        return self

    def require_flower_auth(self) -> str:
        """Flower's credentials; a missing or default pair is refused outside dev."""
        auth = self.FLOWER_BASIC_AUTH
        if self.ENVIRONMENT == "production":
            if not auth or ":" not in auth:
                raise ConfigError("FLOWER_BASIC_AUTH must be set to user:password in production.")
            _user, password = auth.split(":", 1)
            if len(password) < 12 or password in {"admin", "password", "vocalborn2024"}:
                raise ConfigError("FLOWER_BASIC_AUTH password is too weak or a known default.")
        return auth or "admin:dev"

    @property
    def database_url(self) -> str:
        if self.DATABASE_URL:
            return self.DATABASE_URL
        return f"sqlite:///{(self.DATA_DIR / 'vocalborn.db').resolve()}"

    @property
    def storage_dir(self) -> Path:
        return (self.STORAGE_DIR or self.DATA_DIR / "storage").resolve()

    @property
    def supported_formats(self) -> tuple[str, ...]:
        return tuple(
            f.strip().lower() for f in self.SUPPORTED_AUDIO_FORMATS.split(",") if f.strip()
        )

    @property
    def secret_key(self) -> str:
        """The signing key. In dev without one, a random key kept in DATA_DIR so that
        restarts keep tokens valid without anyone choosing a guessable value. The file is
        created owner-only (0600, in a 0700 directory if we create it) in one system call."""
        if self.SECRET_KEY:
            return self.SECRET_KEY
        from vocalborn.private_files import create_private_file

        path = self.DATA_DIR / "secret_key"
        if create_private_file(path, secrets.token_urlsafe(48).encode()):
            return path.read_text().strip()
        for _ in range(50):  # another process created it a moment ago and may still write
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise ConfigError(f"{path} is empty; delete it to have a new key made.")

    @property
    def progress_redis_url(self) -> str:
        """Live progress hashes and pub/sub live beside the Celery results (DESIGN §1, db 1)."""
        return self.CELERY_RESULT_BACKEND


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigError(str(exc)) from exc
