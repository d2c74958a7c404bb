"""Prometheus: the API's /metrics, the workers' exporter after real tasks, a real Prometheus
server scraping both with our alert rules loaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import Live, wait_for
from tests.live.servers import ApiServer, start, wait_http
from tests.support.procs import free_port

REPO = Path(__file__).resolve().parents[2]
ANALYZE = "vocalborn.analysis.analyze_audio"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


def test_worker_exporter_counts_outcomes_errors_durations_and_queue_wait(
    live: Live, api_server: ApiServer
) -> None:
    port = free_port()
    worker = live.start_worker("w1", concurrency=2, WORKER_METRICS_PORT=str(port))
    url = f"http://127.0.0.1:{port}/metrics"
    _, headers = live.account()
    ok = [live.submit(headers, live.recording(headers)["record_id"], sleep=0.3)["task_id"]
          for _ in range(2)]  # fmt: skip
    attempts = str(live.tmp / "attempts.jsonl")
    flaky = live.submit(
        headers, live.recording(headers)["record_id"], fail=["network"], record_to=attempts
    )
    broken = live.submit(headers, live.recording(headers)["record_id"], fail=["file"])
    for task_id in [*ok, flaky["task_id"]]:
        assert live.wait_status(headers, task_id, {"success", "failure"})["status"] == "success"
    assert live.wait_status(headers, broken["task_id"], {"failure"})["error_type"] == "file"

    def scraped() -> str | None:
        text = httpx.get(url, timeout=5).text
        done = value(text, "celery_tasks_total", task_name=ANALYZE, status="success")
        return text if done == 3 else None

    text = wait_for("the worker's metrics", scraped, timeout=30)
    assert value(text, "celery_tasks_total", task_name=ANALYZE, status="failure") == 1
    assert value(text, "celery_tasks_total", task_name=ANALYZE, status="retry") == 1
    assert value(text, "celery_task_errors_total", task_name=ANALYZE, error_type="network") == 1
    assert value(text, "celery_task_errors_total", task_name=ANALYZE, error_type="file") == 1
    assert value(text, "celery_task_duration_seconds_count", task_name=ANALYZE) == 3
    assert value(text, "celery_task_duration_seconds_sum", task_name=ANALYZE) >= 0.6  # type: ignore[operator]
    assert value(text, "celery_task_queue_wait_seconds_count", task_name=ANALYZE) == 5
    assert value(text, "celery_active_tasks") == 0
    # pool processes share values through the worker's multiprocess directory
    [directory] = (live.tmp / "worker-data" / "metrics").iterdir()
    assert directory.name == worker.hostname and any(directory.glob("counter_*.db"))

    # the API's own metrics: route templates, queue sizes and workers read at scrape time
    api = httpx.get(f"{api_server.url}/metrics", timeout=10)
    assert api.headers["content-type"].startswith("text/plain")
    httpx.get(f"{api_server.url}/api/v1/tasks/analysis/{ok[0]}/status", headers=headers)
    api_text = httpx.get(f"{api_server.url}/metrics", timeout=10).text
    assert value(api_text, "celery_queue_size", queue_name="ai_analysis") == 0
    assert value(api_text, "vocalborn_workers_online", queue_name="ai_analysis") == 1
    assert value(api_text, "vocalborn_worker_slots_online", queue_name="ai_analysis") == 2
    assert value(api_text, "vocalborn_worker_concurrency", worker=worker.hostname) == 2
    memory = value(api_text, "vocalborn_worker_memory_bytes", worker=worker.hostname)
    assert memory is not None and memory > 50 * 2**20  # the worker and its two pool processes
    assert value(api_text, "vocalborn_redis_up") == 1
    route = "/api/v1/tasks/analysis/{task_id}/status"
    assert value(
        api_text, "vocalborn_http_requests_total", method="GET", route=route, status="200"
    ) == 1  # fmt: skip
    assert all(ok[0] not in line for line in api_text.splitlines())  # no raw paths


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="Debian package prometheus")
def test_a_real_prometheus_scrapes_api_and_worker_with_our_rules(
    live: Live, api_server: ApiServer, tmp_path: Path
) -> None:
    worker_port = free_port()
    live.start_worker("w1", WORKER_METRICS_PORT=str(worker_port))
    _, headers = live.account()
    task_id = live.submit(headers, live.recording(headers)["record_id"])["task_id"]
    live.wait_status(headers, task_id, {"success"})

    rules = tmp_path / "alerts.yml"
    shutil.copy(REPO / "deploy/prometheus/alerts.yml", rules)
    config = tmp_path / "prometheus.yml"
    api_target = api_server.url.removeprefix("http://")
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(rules)],
                "scrape_configs": [
                    {"job_name": "vocalborn-api", "static_configs": [{"targets": [api_target]}]},
                    {
                        "job_name": "vocalborn-workers",
                        "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}],
                    },
                ],
            }
        )
    )
    port = free_port()
    cmd = [
        "prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
    ]  # fmt: skip
    prom = start("prometheus", cmd, {"PATH": "/usr/bin:/bin"}, tmp_path / "prometheus.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(prom, f"{base}/-/ready")

        def query(expr: str) -> list[dict] | None:
            body = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=5).json()
            return body["data"]["result"] or None

        up = wait_for("both targets up", lambda: (r := query("up == 1")) and len(r) == 2 and r,
                      timeout=60)  # fmt: skip
        assert {r["metric"]["job"] for r in up} == {"vocalborn-api", "vocalborn-workers"}
        done = wait_for(
            "the task counter",
            lambda: query(f'celery_tasks_total{{task_name="{ANALYZE}",status="success"}}'),
            timeout=30,
        )
        assert float(done[0]["value"][1]) == 1
        sizes = wait_for("queue sizes", lambda: query("celery_queue_size"), timeout=30)
        assert {r["metric"]["queue_name"] for r in sizes} == {
            "ai_analysis", "maintenance", "health",
        }  # fmt: skip
        assert wait_for("workers online", lambda: query("vocalborn_workers_online > 0"), 30)

        groups = httpx.get(f"{base}/api/v1/rules", timeout=5).json()["data"]["groups"]
        loaded = {r["name"]: r for g in groups for r in g["rules"]}
        assert {"CeleryTaskFailureRate", "CeleryQueueBacklog", "CeleryWorkerDown",
                "CeleryTaskProcessingSlow", "RedisMemoryHigh"} <= set(loaded)  # fmt: skip

        # the worker is online, nothing fails: once evaluated on scraped data no rule is active
        # (before the first scrape of the API the worker-down rule is legitimately pending)
        def states() -> dict[str, str]:
            groups = httpx.get(f"{base}/api/v1/rules", timeout=5).json()["data"]["groups"]
            assert all(r["health"] == "ok" for g in groups for r in g["rules"]), groups
            return {r["name"]: r["state"] for g in groups for r in g["rules"]}

        try:
            wait_for("all rules inactive", lambda: set(states().values()) == {"inactive"}, 30)
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {states()}") from None
    finally:
        prom.stop()
