"""The compose file is checked without Docker: every service command is a real `vocalborn`
command with real options, every variable is a real setting, the image runs as non-root."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from vocalborn.cli.app import app as cli_app
from vocalborn.config import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
# Variables read by third-party images, not by our settings.
FOREIGN_VARS = {
    "postgres": {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"},
    "redis-exporter": {"REDIS_ADDR"},
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def resolve(args: list[str]) -> tuple[Any, list[str]]:
    """Walk the CLI like click would: subcommands first, then the leaf command's arguments."""
    command: Any = typer.main.get_command(cli_app)
    rest = list(args)
    while getattr(command, "commands", None) and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        assert name in command.commands, f"'{name}' is not a vocalborn command"
        command = command.commands[name]
    return command, rest


def test_every_service_command_is_a_real_vocalborn_command(compose: dict[str, Any]) -> None:
    checked = 0
    for name, service in compose["services"].items():
        cmd = service.get("command")
        if not cmd or cmd[0] != "vocalborn":
            continue
        command, rest = resolve(cmd[1:])
        options = {opt for p in command.params for opt in getattr(p, "opts", [])}
        for arg in rest:
            if arg.startswith("--"):
                assert arg.split("=")[0] in options, f"{name}: unknown option {arg}"
        checked += 1
    assert checked >= 7  # migrate, api, worker, maintenance-worker, beat, flower, ai-service


def _env_names(service: dict[str, Any]) -> set[str]:
    env = service.get("environment") or {}
    return set(env) if isinstance(env, dict) else {e.split("=")[0] for e in env}


def test_every_variable_is_a_real_setting(compose: dict[str, Any]) -> None:
    fields = set(Settings.model_fields) | {"PROMETHEUS_MULTIPROC_DIR"}
    for name, service in compose["services"].items():
        unknown = _env_names(service) - fields - FOREIGN_VARS.get(name, set())
        if service.get("image", "").startswith(("prom/", "redis:", "postgres:")):
            continue
        assert not unknown, f"{name}: not settings: {sorted(unknown)}"
    example = [
        line.split("=")[0]
        for line in (DEPLOY / ".env.example").read_text().splitlines()
        if re.match(r"^[A-Z_]+=", line)
    ]
    unknown = set(example) - fields - {"POSTGRES_PASSWORD"}
    assert not unknown, f".env.example names that are not settings: {sorted(unknown)}"
    assert {"SECRET_KEY", "DATABASE_URL", "FLOWER_BASIC_AUTH"} <= set(example) | {"DATABASE_URL"}


def test_no_secret_has_a_default(compose: dict[str, Any]) -> None:
    text = (DEPLOY / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "FLOWER_BASIC_AUTH"):
        for match in re.finditer(r"\$\{" + secret + r"([^}]*)\}", text):
            assert match.group(1).startswith(":?"), f"{secret} must be required, not defaulted"
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line.startswith(
            ("SECRET_KEY=", "POSTGRES_PASSWORD=", "FLOWER_BASIC_AUTH=", "AI_SERVICE_API_KEY=")
        ):
            assert line.split("=", 1)[1] == "", f"{line.split('=')[0]} must be left empty"


def test_services_have_health_checks_and_named_volumes(compose: dict[str, Any]) -> None:
    long_running = [
        n
        for n, s in compose["services"].items()
        if n not in ("migrate", "prometheus", "redis-exporter")
    ]
    for name in long_running:
        assert "healthcheck" in compose["services"][name], f"{name} has no health check"
    assert {"pgdata", "redisdata", "audio"} <= set(compose["volumes"])
    redis_cmd = " ".join(compose["services"]["redis"]["command"])
    assert "--appendonly yes" in redis_cmd and "noeviction" in redis_cmd


def test_dockerfile_runs_as_non_root_with_a_lock_file() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0")
    assert "HEALTHCHECK" in dockerfile
    lock = DEPLOY / "requirements.lock"
    assert lock.exists() and "celery==" in lock.read_text()
