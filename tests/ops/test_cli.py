"""Every operator command against the real stack: PostgreSQL, Redis, real worker processes."""

from __future__ import annotations

import json
import secrets
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.harness import Live, wait_for
from tests.ops.conftest import VOCALBORN, vocalborn
from tests.support.readable import assert_readable_in_pipe

pytestmark = pytest.mark.e2e
LONG_LIMITS = {
    "CELERY_TASK_TIME_LIMIT": "60",
    "CELERY_TASK_SOFT_TIME_LIMIT": "55",
    "CELERY_VISIBILITY_TIMEOUT": "120",
}


def test_health_status_roundtrip_monitor_and_cleanup(live: Live, cli_env: dict[str, str]) -> None:
    # no worker yet: unhealthy, exit 1, and the table says which check failed
    down = vocalborn(cli_env, "health", "--json")
    assert down.code == 1, down
    checks = {c["name"]: c for c in json.loads(down.out)["checks"]}
    assert checks["database"]["ok"] and checks["redis"]["ok"]
    assert not checks["workers"]["ok"]
    assert checks["ai service"]["ok"]  # the built-in analyser: nothing remote to reach
    _, headers = live.account()
    waiting = live.submit(headers, live.recording(headers)["record_id"])["task_id"]
    narrow = vocalborn(cli_env, "status", columns=80)  # a pipe at 80 columns
    assert narrow.code == 0, narrow
    assert_readable_in_pipe(narrow.out, waiting, "ai_analysis", "pending")
    assert "+08:00" in narrow.out  # the waiting task's queued time, with its zone

    worker = live.start_worker("w1", concurrency=2)
    healthy = vocalborn(cli_env, "health")
    assert healthy.code == 0, healthy
    assert worker.hostname in healthy.out and "DOWN" not in healthy.out

    status = vocalborn(cli_env, "status", "--json")
    assert status.code == 0, status
    body = json.loads(status.out)
    assert [w["worker_name"] for w in body["workers"] if w["status"] == "online"] == [
        worker.hostname
    ]
    [online] = [w for w in body["workers"] if w["status"] == "online"]
    # a real worker: its own process plus two pool processes, each with the Python runtime
    assert online["memory_rss_mb"] > 60 and len(online["load_avg"]) == 3
    assert {q["queue_name"] for q in body["queues"]} == {"ai_analysis", "maintenance", "health"}
    assert sum(body["counts"].values()) == 1
    table = vocalborn(cli_env, "status", columns=80)
    assert table.code == 0 and "Workers" in table.out and "ai_analysis" in table.out
    assert "Memory" in table.out and " MB" in table.out
    assert_readable_in_pipe(table.out, worker.hostname)

    echo = vocalborn(cli_env, "test", "--message", "你好 round trip", "--timeout", "60")
    assert echo.code == 0, echo
    assert "你好 round trip" in echo.out and worker.hostname in echo.out

    mon = vocalborn(cli_env, "monitor", "--iterations", "2", "--interval", "0.2", columns=80)
    assert mon.code == 0, mon
    assert "Queues" in mon.out and mon.out.count("== refreshed ") == 2
    assert_readable_in_pipe(mon.out, worker.hostname)

    queued = vocalborn(cli_env, "cleanup")
    assert queued.code == 0, queued
    assert "vocalborn.maintenance.cleanup_expired_tasks" in queued.out


def test_task_follows_to_success_and_failure_then_retry_and_cancel(
    live: Live, cli_env: dict[str, str]
) -> None:
    _, headers = live.account()
    task_id = live.submit(headers, live.recording(headers)["record_id"], sleep=1.5)["task_id"]
    follower = subprocess.Popen(
        [VOCALBORN, "task", task_id, "--timeout", "90"],
        env={**cli_env, "COLUMNS": "200", "NO_COLOR": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # the follower was waiting on a pending task; limits long enough for the cancel below
        live.start_worker("w1", **LONG_LIMITS)
        out, err = follower.communicate(timeout=120)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert follower.returncode == 0, (out, err)
    assert f"task {task_id}: success (100%)" in out

    attempts = str(live.tmp / "attempts.jsonl")
    ids = live.recording(headers)
    failing = live.submit(headers, ids["record_id"], fail=["file"], record_to=attempts)
    failed = vocalborn(cli_env, "task", failing["task_id"], "--timeout", "90")
    assert failed.code == 1, failed
    assert "failure" in failed.out and "file" in failed.out

    again = vocalborn(cli_env, "retry", failing["task_id"])
    assert again.code == 0, again
    assert "queued" in again.out
    done = vocalborn(cli_env, "task", failing["task_id"], "--timeout", "90")
    assert done.code == 0, done
    refused = vocalborn(cli_env, "retry", failing["task_id"])
    assert refused.code == 1 and "Only a failed analysis can be retried" in refused.err

    long = live.submit(headers, live.recording(headers)["record_id"], sleep=40, steps=40)
    live.wait_status(headers, long["task_id"], {"processing"})
    stopped = vocalborn(cli_env, "cancel", long["task_id"])
    assert stopped.code == 0, stopped
    assert "was processing" in stopped.out
    assert live.status(headers, long["task_id"])["status"] == "cancelled"
    assert vocalborn(cli_env, "task", long["task_id"]).code == 1  # cancelled: not a success
    twice = vocalborn(cli_env, "cancel", long["task_id"])
    assert twice.code == 1 and "already finished" in twice.err

    unknown = vocalborn(cli_env, "task", str(uuid.uuid4()))
    assert unknown.code == 1 and "No such analysis task" in unknown.err
    assert vocalborn(cli_env, "cancel", "not-a-uuid").code == 2


def test_purge_asks_first_and_cancels_the_purged_tasks(live: Live, cli_env: dict[str, str]) -> None:
    _, headers = live.account()
    tasks = [live.submit(headers, live.recording(headers)["record_id"])["task_id"]
             for _ in range(2)]  # fmt: skip
    assert live.redis.llen("ai_analysis") == 2

    declined = vocalborn(cli_env, "purge", "--queue", "ai_analysis", input="n\n")
    assert declined.code == 1
    assert live.redis.llen("ai_analysis") == 2
    assert vocalborn(cli_env, "purge", "--queue", "celery", "--yes").code == 2

    purged = vocalborn(cli_env, "purge", "--queue", "ai_analysis", input="y\n")
    assert purged.code == 0, purged
    assert "purged 2 message(s)" in purged.out
    assert "cancelled 2 pending task(s)" in purged.out
    assert live.redis.llen("ai_analysis") == 0
    for task_id in tasks:
        assert live.status(headers, task_id)["status"] == "cancelled"
    # the recordings can be analysed again
    record = live.recording(headers)
    assert live.submit(headers, record["record_id"])["status"] == "pending"


def test_commands_fail_cleanly_when_redis_or_the_database_is_down(
    live: Live, cli_env: dict[str, str]
) -> None:
    _, headers = live.account()
    task_id = live.submit(headers, live.recording(headers)["record_id"])["task_id"]
    no_redis = {**cli_env, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
                "CELERY_RESULT_BACKEND": "redis://127.0.0.1:1/1"}  # fmt: skip
    no_db = {**cli_env, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/vocalborn"}
    cases = [
        *((no_redis, args, "Redis unreachable") for args in (
            ["status"], ["test", "--timeout", "5"], ["monitor", "--iterations", "1"],
            ["task", task_id], ["purge", "--queue", "health", "--yes"], ["cleanup"],
        )),
        *((no_db, args, "Database unreachable") for args in (
            ["status"], ["task", task_id], ["cancel", task_id], ["retry", task_id],
        )),
    ]  # fmt: skip
    # independent processes, each mostly waiting on its import and a refused connection
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda case: vocalborn(case[0], *case[1]), cases))
        health = vocalborn(no_redis, "health")
    for (_, args, said), run in zip(cases, runs, strict=True):
        assert run.code == 3, (args, run)
        assert said in run.err, (args, run)
        assert "Traceback" not in run.err + run.out, (args, run)
    assert health.code == 1 and "Traceback" not in health.err + health.out
    assert "DOWN" in health.out
    assert live.status(headers, task_id)["status"] == "pending"  # nothing was changed


def test_flower_serves_our_queues_behind_basic_auth(live: Live, cli_env: dict[str, str]) -> None:
    import httpx

    from tests.live.servers import start, wait_http
    from tests.support.procs import free_port

    # production refuses to start Flower without real credentials
    prod = {**cli_env, "ENVIRONMENT": "production", "SECRET_KEY": secrets.token_urlsafe(48)}
    prod.pop("FLOWER_BASIC_AUTH", None)
    refused = vocalborn(prod, "flower", "--port", str(free_port()))
    assert refused.code == 2 and "FLOWER_BASIC_AUTH" in refused.err

    port = free_port()
    env = {**cli_env, "FLOWER_BASIC_AUTH": "ops:correct-horse-battery"}
    flower = start("flower", [VOCALBORN, "flower", "--port", str(port)], env,
                   live.tmp / "flower.log")  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(flower, f"{url}/healthcheck", timeout=60)
        assert httpx.get(f"{url}/", timeout=10).status_code == 401
        wrong = httpx.get(f"{url}/", auth=("ops", "wrong"), timeout=10)
        assert wrong.status_code == 401
        auth = ("ops", "correct-horse-battery")
        assert httpx.get(f"{url}/", auth=auth, timeout=10).status_code == 200
        lengths = wait_for(
            "queue lengths",
            lambda: httpx.get(f"{url}/api/queues/length", auth=auth, timeout=10).json(),
            timeout=30,
        )
        names = {q["name"] for q in lengths["active_queues"]}
        assert names == {"ai_analysis", "maintenance", "health"}
        cmdline = Path(f"/proc/{flower.proc.pid}/cmdline").read_text()
        assert "correct-horse-battery" not in cmdline  # not visible in `ps`
    finally:
        flower.stop()
