"""The password hashing gate (accounts/hashing.py): however many threads and coroutines hash at
once, never more than the gate's size run the real argon2 hash at the same time, and a caller
that cannot get a turn in time gets a 503 error with Retry-After instead of waiting forever.

Concurrency is observed inside the hashing code (a counter around the real `hash_password`),
not inferred from timings."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from vocalborn.accounts.hashing import HashGate, HashingBusy
from vocalborn.accounts.security import hash_password, verify_password


class Probe:
    """Counts how many callers are inside the hash at once. Each caller waits (bounded) for a
    second one to join it, so a gate that admits two is seen admitting two, deterministically."""

    def __init__(self, expect_together: int) -> None:
        self.cond = threading.Condition()
        self.inside = 0
        self.most = 0
        self.expect_together = expect_together

    def hash(self, password: str) -> str:
        with self.cond:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.inside >= self.expect_together, timeout=1.0)
        try:
            return hash_password(password)
        finally:
            with self.cond:
                self.inside -= 1


def test_threads_never_hash_more_than_the_gate_size_at_once() -> None:
    gate = HashGate(size=2, wait_seconds=60)
    probe = Probe(expect_together=2)

    def one(i: int) -> str:
        with gate.hold():
            return probe.hash(f"password {i}")

    with ThreadPoolExecutor(max_workers=12) as pool:
        hashes = list(pool.map(one, range(12)))
    assert probe.most == 2  # two at once, never three
    assert gate.peak == 2 and gate.in_use == 0
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert verify_password("password 3", hashes[3])


def test_coroutines_and_threads_share_one_bound() -> None:
    """Async routes wait on the event loop, sync code in its thread: the same two slots."""
    gate = HashGate(size=2, wait_seconds=60)
    probe = Probe(expect_together=2)

    async def coroutine(i: int) -> str:
        async with gate.admitted():
            return await asyncio.to_thread(probe.hash, f"async {i}")

    async def all_coroutines() -> list[str]:
        return await asyncio.gather(*(coroutine(i) for i in range(8)))

    def thread(i: int) -> str:
        with gate.hold():
            return probe.hash(f"thread {i}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        from_threads = pool.map(thread, range(6))
        from_coroutines = asyncio.run(all_coroutines())
        results = list(from_threads) + from_coroutines
    assert len(results) == 14
    assert probe.most == 2 and gate.peak == 2 and gate.in_use == 0


def test_a_caller_that_waits_too_long_gets_503_with_retry_after() -> None:
    gate = HashGate(size=1, wait_seconds=0.05)
    with gate.hold():
        with pytest.raises(HashingBusy) as sync_busy, gate.hold():
            pass  # pragma: no cover - never admitted

        async def waiting() -> None:
            async with gate.admitted():
                pass  # pragma: no cover - never admitted

        with pytest.raises(HashingBusy) as async_busy:
            asyncio.run(waiting())
    for busy in (sync_busy.value, async_busy.value):
        assert busy.status_code == 503 and busy.code == "server_busy"
        assert int(busy.headers["Retry-After"]) >= 1
    # the refused callers took nothing: the one slot is free again
    with gate.hold():
        assert gate.in_use == 1
    assert gate.in_use == 0


def test_a_failing_hash_gives_its_slot_back() -> None:
    gate = HashGate(size=1, wait_seconds=0.05)
    with pytest.raises(RuntimeError), gate.hold():
        raise RuntimeError("argon2 failed")
    with gate.hold():  # admitted at once: the slot came back
        assert gate.in_use == 1
