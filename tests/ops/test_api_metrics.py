"""The API's /metrics in process: route templates, unmatched paths, queue sizes read at scrape
time, and PROMETHEUS_ENABLED=false."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import make_settings
from vocalborn.app import create_app


def scrape(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    resp = client.get("/metrics")
    assert resp.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(resp.text)
        for s in family.samples
    }


@pytest.fixture
def queues(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.delete("ai_analysis", "maintenance", "health")
    try:
        yield client
    finally:
        client.delete("ai_analysis", "maintenance", "health")
        client.close()


def test_requests_are_counted_by_route_template(client: TestClient, queues: redis.Redis) -> None:
    task = uuid.uuid4()
    for _ in range(2):
        client.get(f"/api/v1/tasks/analysis/{task}/status")
    client.get(f"/api/v1/tasks/analysis/{str(task).upper()}/status")
    client.get("/no/such/page/42")
    client.get("/healthz")
    queues.rpush("ai_analysis", "a", "b", "c")
    queues.rpush("maintenance", "x")

    values = scrape(client)
    route = "/api/v1/tasks/analysis/{task_id}/status"
    key = frozenset({"method": "GET", "route": route, "status": "401"}.items())
    assert values[("vocalborn_http_requests_total", key)] == 3
    unmatched = frozenset({"method": "GET", "route": "<unmatched>", "status": "404"}.items())
    assert values[("vocalborn_http_requests_total", unmatched)] == 1
    latency = frozenset({"method": "GET", "route": "/healthz"}.items())
    assert values[("vocalborn_http_request_duration_seconds_count", latency)] == 1
    assert not any(str(task) in str(labels) for _, labels in values)
    size = {
        dict(labels)["queue_name"]: v for (name, labels), v in values.items()
        if name == "celery_queue_size"
    }  # fmt: skip
    assert size == {"ai_analysis": 3, "maintenance": 1, "health": 0}
    assert values[("vocalborn_redis_up", frozenset())] == 1
    assert values[("vocalborn_live_clients", frozenset())] == 0


def test_metrics_without_redis_say_so(tmp_path: Path, sqlite_template: Path) -> None:
    url = "redis://127.0.0.1:1/0"
    settings = make_settings(tmp_path, f"sqlite:///{sqlite_template}", url)
    with TestClient(create_app(settings)) as client:
        values = scrape(client)
    assert values[("vocalborn_redis_up", frozenset())] == 0
    assert not any(name == "celery_queue_size" for name, _ in values)


def test_prometheus_disabled_means_no_metrics_route(tmp_path: Path, sqlite_template: Path) -> None:
    settings = make_settings(
        tmp_path, f"sqlite:///{sqlite_template}", "redis://127.0.0.1:1/0",
        PROMETHEUS_ENABLED=False,
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        resp = client.get("/metrics")
        assert resp.status_code == 404
        assert resp.json()["error"]["code"] == "not_found"
        assert client.get("/healthz").status_code == 200
