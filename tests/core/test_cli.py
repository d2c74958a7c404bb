"""The README path for a new user, through real processes: migrate, create an admin, serve the API
on embedded SQLite, register, log in, start a session, upload a real recording."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from tests.support.audio import tone_wav
from tests.support.procs import child_env, free_port, http_ready, running, vocalborn_cmd, wait_for
from vocalborn.accounts.schemas import LoginIn

CREATE_ADMIN = [
    "user", "create", "--email", "boss@vocalborn.tw", "--name", "Boss", "--role", "admin",
    "--password", "admin-password-1",
]  # fmt: skip


def run_cli(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        vocalborn_cmd(*args),
        env=env,
        cwd=cwd,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def embedded_env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    return child_env(
        {
            "ENVIRONMENT": "dev",
            "DATA_DIR": str(tmp_path / "data"),
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
        }
    )


def test_production_start_without_secret_fails_clearly(tmp_path: Path) -> None:
    env = child_env({"ENVIRONMENT": "production", "DATA_DIR": str(tmp_path)})
    env.pop("SECRET_KEY", None)
    result = run_cli(["db", "upgrade"], env, tmp_path)
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_user_create_and_api_on_embedded_sqlite(
    tmp_path: Path, embedded_env: dict[str, str]
) -> None:
    up = run_cli(["db", "upgrade"], embedded_env, tmp_path)
    assert up.returncode == 0, up.stderr
    assert (tmp_path / "data" / "vocalborn.db").exists()
    created = run_cli(CREATE_ADMIN, embedded_env, tmp_path)
    assert created.returncode == 0, created.stderr
    dup = run_cli(CREATE_ADMIN, embedded_env, tmp_path)
    assert dup.returncode == 1 and "already exists" in dup.stderr

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(
        vocalborn_cmd("api", "--port", str(port)), embedded_env, tmp_path / "api.log", cwd=tmp_path
    ):
        wait_for("the API", http_ready(f"{base}/healthz"), 60)
        with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as http:
            boss = http.post(
                "/auth/login", json={"email": "boss@vocalborn.tw", "password": "admin-password-1"}
            )
            assert boss.status_code == 200
            admin_headers = {"Authorization": f"Bearer {boss.json()['access_token']}"}
            sentence = http.post(
                "/practice/sentences",
                headers=admin_headers,
                json={"text": "the quick brown fox", "language": "en"},
            ).json()
            assert (
                http.post(
                    "/auth/register",
                    json={"email": "amy@vocalborn.tw", "password": "amy-password", "name": "Amy"},
                ).status_code
                == 201
            )
            token = http.post(
                "/auth/login", json={"email": "amy@vocalborn.tw", "password": "amy-password"}
            ).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            sid = http.post("/practice/sessions", headers=headers).json()["practice_session_id"]
            wav = tone_wav(tmp_path / "take.wav", seconds=2.0)
            resp = http.put(
                f"/practice/sessions/{sid}/recordings/{sentence['sentence_id']}",
                headers=headers,
                files={"file": ("take.wav", wav.read_bytes())},
            )
            assert resp.status_code == 200, resp.text
            assert resp.json()["record_status"] == "RECORDED"
            assert abs(resp.json()["audio_duration"] - 2.0) < 0.05
    stored = list((tmp_path / "data" / "storage" / "recordings").rglob("*.wav"))
    assert len(stored) == 1

    # an operator links Amy to a therapist by e-mail, and ends it
    therapist = ["user", "create", "--email", "lin@vocalborn.tw", "--name", "Dr Lin",
                 "--role", "therapist", "--password", "therapist-pass"]  # fmt: skip
    made = run_cli(therapist, embedded_env, tmp_path)
    assert made.returncode == 0, made.stderr
    pair = ["--therapist", "lin@vocalborn.tw", "--client", "AMY@vocalborn.tw"]
    linked = run_cli(["user", "link", *pair], embedded_env, tmp_path)
    assert linked.returncode == 0 and "linked" in linked.stdout, linked.stderr
    unlinked = run_cli(["user", "unlink", *pair], embedded_env, tmp_path)
    assert unlinked.returncode == 0, unlinked.stderr
    again = run_cli(["user", "unlink", *pair], embedded_env, tmp_path)
    assert again.returncode == 1 and "No such link" in again.stderr
    assert "Traceback" not in again.stderr
    nobody = run_cli(["user", "link", "--therapist", "x@vocalborn.tw", "--client",
                      "amy@vocalborn.tw"], embedded_env, tmp_path)  # fmt: skip
    assert nobody.returncode == 1 and "x@vocalborn.tw" in nobody.stderr


def test_user_create_refuses_an_address_that_login_refuses(
    tmp_path: Path, embedded_env: dict[str, str]
) -> None:
    assert run_cli(["db", "upgrade"], embedded_env, tmp_path).returncode == 0
    with pytest.raises(ValidationError):  # the API's login schema refuses this address ...
        LoginIn(email="admin@x.test", password="whatever")
    args = [a if a != "boss@vocalborn.tw" else "admin@x.test" for a in CREATE_ADMIN]
    refused = run_cli(args, embedded_env, tmp_path)  # ... so the CLI must not create it
    assert refused.returncode == 2, refused.stdout + refused.stderr
    message = " ".join(refused.stderr.split())
    assert "invalid e-mail 'admin@x.test'" in message and "special-use" in message
    assert "Traceback" not in refused.stderr
    with sqlite3.connect(tmp_path / "data" / "vocalborn.db") as db:
        assert db.execute("SELECT count(*) FROM users").fetchone() == (0,)
