"""Redis Sentinel URLs work for every Redis connection: ours (progress, registry, readiness) and
Celery's (publishing), against a real redis-server watched by a real sentinel."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.support.procs import free_port, wait_for
from vocalborn.app import create_app
from vocalborn.redis_conn import connect, parse_sentinel
from vocalborn.worker.celery_app import create_celery

MASTER = "vbmaster"


def test_parse_sentinel_urls() -> None:
    target = parse_sentinel("sentinel://:s3cret@h1:26379/2;sentinel://h2:26380/2")
    assert target is not None
    assert target.hosts == [("h1", 26379), ("h2", 26380)]
    assert target.db == 2 and target.password == "s3cret"
    assert parse_sentinel("redis://h1:6379/0") is None


@pytest.fixture
def sentinel_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    master_port, sentinel_port = free_port(), free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {sentinel_port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor {MASTER} 127.0.0.1 {master_port} 1\n"
    )
    procs = [
        subprocess.Popen(
            [
                binary,
                "--port",
                str(master_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
        ),
        subprocess.Popen([binary, str(conf), "--sentinel"], stdout=subprocess.DEVNULL),
    ]
    try:
        probe = redis.Redis(port=sentinel_port, socket_timeout=1)

        def master_known() -> bool:
            try:
                return (
                    probe.execute_command("SENTINEL", "get-master-addr-by-name", MASTER) is not None
                )
            except redis.RedisError:
                return False

        wait_for("the sentinel to know its master", master_known, 30)
        yield f"sentinel://127.0.0.1:{sentinel_port}/3"
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)


def test_every_connection_follows_the_sentinel(
    sentinel_url: str, tmp_path: Path, pg_url: str
) -> None:
    client = connect(sentinel_url, MASTER)
    client.set("probe", "ok")
    assert client.get("probe") == b"ok"

    settings = make_settings(tmp_path, pg_url, sentinel_url, REDIS_SENTINEL_MASTER=MASTER)
    celery = create_celery(settings)
    celery.send_task("vocalborn.health.echo", args=["hi"], queue="health")
    deadline = time.monotonic() + 10
    while client.llen("health") == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.llen("health") == 1  # the message reached the master through the sentinel

    with TestClient(create_app(settings)) as api:
        ready = api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["redis"]["ok"]
