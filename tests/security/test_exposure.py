"""Worker metrics listen on loopback unless told otherwise (issue 13); the compose file opens
them to the compose network only for the containers Prometheus scrapes, without publishing
them on the host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.procs import free_port
from vocalborn.config import Settings
from vocalborn.monitoring import worker_hooks

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_worker_metrics_default_to_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings(_env_file=None, ENVIRONMENT="test").WORKER_METRICS_ADDR == "127.0.0.1"  # type: ignore[call-arg]
    port = free_port()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        ENVIRONMENT="test",
        DATA_DIR=tmp_path,
        WORKER_METRICS_PORT=port,
    )
    worker_hooks.metrics_dir(settings, "worker").mkdir(parents=True)  # the sender-less name
    monkeypatch.setattr(worker_hooks, "_settings", lambda: settings)
    monkeypatch.setattr(worker_hooks, "_enabled", True)
    worker_hooks._start_exporter(sender=None)
    try:
        server, _thread = worker_hooks._exporter
        assert server.server_address[0] == "127.0.0.1"
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 200
    finally:
        worker_hooks._stop_exporter()


def test_compose_opens_worker_metrics_to_the_network_only() -> None:
    compose: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    prometheus = (DEPLOY / "prometheus" / "prometheus.yml").read_text()
    for name in ("worker", "maintenance-worker"):
        service = compose["services"][name]
        assert service["environment"]["WORKER_METRICS_ADDR"] == "0.0.0.0"
        assert "ports" not in service  # reachable from Prometheus's container, not the host
        assert f"{name}:{service['environment']['WORKER_METRICS_PORT']}" in prometheus
    example = (DEPLOY / ".env.example").read_text().splitlines()
    assert "WORKER_METRICS_ADDR=127.0.0.1" in example
