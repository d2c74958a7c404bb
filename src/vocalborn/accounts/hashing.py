"""A bound on concurrent password hashing, per API process.

argon2id takes 64 MiB and tens of milliseconds of CPU per hash or verification. Forty parallel
registrations ran forty of them at once (one per thread-pool thread): the API grew from 138 MiB
to 1.76 GiB and every other request, even `/auth/me`, waited for a thread. The gate lets at most
`PASSWORD_HASH_CONCURRENCY` hashes run at once; a request that cannot get a turn within
`PASSWORD_HASH_WAIT_SECONDS` answers 503 with Retry-After instead of hanging.

Async routes wait for their turn on the event loop (`admitted`), so waiting requests hold no
thread-pool thread; sync code (admin routes, commands) waits in its thread (`hold`). Both take
the same semaphore, so the bound holds whichever way a hash is reached.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from vocalborn.config import Settings
from vocalborn.errors import ServiceUnavailable


class HashingBusy(ServiceUnavailable):
    code = "server_busy"


class HashGate:
    def __init__(self, size: int, wait_seconds: float) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(size)
        self._count_lock = threading.Lock()
        self.in_use = 0
        self.peak = 0  # the most holders seen at once (for tests and diagnostics)

    def _busy(self) -> HashingBusy:
        retry = max(1, math.ceil(self.wait_seconds))
        return HashingBusy(
            "The server is busy checking passwords; try again in a few seconds.",
            headers={"Retry-After": str(retry)},
        )

    def _enter(self) -> None:
        with self._count_lock:
            self.in_use += 1
            self.peak = max(self.peak, self.in_use)

    def _leave(self) -> None:
        with self._count_lock:
            self.in_use -= 1
        self._slots.release()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """A turn for the calling thread (blocks up to `wait_seconds`, then HashingBusy)."""
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise self._busy()
        self._enter()
        try:
            yield
        finally:
            self._leave()

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """A turn for a coroutine: waits on the event loop (no thread held while waiting)."""
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.002
        while not self._slots.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise self._busy()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)
        self._enter()
        try:
            yield
        finally:
            self._leave()


_create_lock = threading.Lock()


def gate_of(state: Any, settings: Settings) -> HashGate:
    """The process' gate, kept on the app's state (made on first use, once)."""
    gate: HashGate | None = getattr(state, "hash_gate", None)
    if gate is None:
        with _create_lock:
            gate = getattr(state, "hash_gate", None)
            if gate is None:
                size = settings.PASSWORD_HASH_CONCURRENCY
                gate = HashGate(size, settings.PASSWORD_HASH_WAIT_SECONDS)
                state.hash_gate = gate
    return gate
