"""One Redis pub/sub connection per API process, fanned out to every live client.

WebSocket and SSE clients follow a task by subscribing to its channel through the process's
`LiveHub`: the first subscriber of a channel makes the hub SUBSCRIBE, the last one leaving makes
it UNSUBSCRIBE (reference counting), and a single reader task dispatches each message to the
subscribers' queues. An idle client therefore costs a queue and a coroutine, not a Redis
connection or a polling loop.

`subscribe()` returns only after Redis confirmed the subscription, so a caller that reads the
task's snapshot afterwards cannot miss a change: anything published before the confirmation is
already in the database/hash it reads, anything after reaches its queue.

When the connection drops, the reader reconnects, re-subscribes every channel and, as each
re-subscription is confirmed, puts `RESYNC` into its clients' queues: events may have been lost
meanwhile, so they re-read the snapshot (safe now: the channel is live again).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from vocalborn.redis_conn import connect_async

log = logging.getLogger(__name__)

RESYNC = "resync"
CLOSED = "closed"
QUEUE_LIMIT = 256
HUB_NAME = "vocalborn-live-hub"  # CLIENT LIST shows which connection is the hub


@dataclass(frozen=True)
class Update:
    """One event from a task channel: parsed once, encoded once for every client."""

    data: dict[str, Any]
    text: str


Item = Update | str


@dataclass(eq=False)
class Subscription:
    hub: LiveHub
    channel: str
    queue: asyncio.Queue[Item] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))

    def put(self, item: Item) -> None:
        if self.queue.full():  # a stalled client: drop its oldest update, then resync it
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            item = RESYNC if isinstance(item, Update) else item
        self.queue.put_nowait(item)

    async def get(self) -> Item:
        return await self.queue.get()

    async def close(self) -> None:
        await self.hub.unsubscribe(self)


class HubUnavailable(RuntimeError):
    """Redis cannot be reached: live updates are not available right now."""


class LiveHub:
    def __init__(self, url: str, master: str = "mymaster", confirm_timeout: float = 5.0) -> None:
        self.url = url
        self.master = master
        self.confirm_timeout = confirm_timeout
        self._subs: dict[str, set[Subscription]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._client: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.messages = 0
        self.reconnects = 0
        # told the client count after every change (the API's live-clients gauge)
        self.on_clients_changed: Callable[[int], None] | None = None

    def _clients_changed(self) -> None:
        if self.on_clients_changed is not None:
            self.on_clients_changed(self.clients)

    @property
    def clients(self) -> int:
        return sum(len(s) for s in self._subs.values())

    @property
    def channels(self) -> int:
        return len(self._subs)

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # first use, or a new event loop (tests): start afresh
            self._loop = loop
            self._lock = asyncio.Lock()
            self._client = connect_async(
                self.url, self.master, socket_keepalive=True, client_name=HUB_NAME
            )
            self._pubsub = self._client.pubsub()
            self._subs.clear()
            self._confirmed.clear()
            self._reader = None
            self._clients_changed()

    async def subscribe(self, channel: str) -> Subscription:
        """Join `channel`; returns once Redis confirmed it. Raises `HubUnavailable`."""
        self._start()
        assert self._lock is not None
        sub = Subscription(self, channel)
        # Under the lock each SUBSCRIBE waits for its own confirmation, so a confirmation can
        # never be mistaken for that of a later SUBSCRIBE of the same channel.
        async with self._lock:
            members = self._subs.setdefault(channel, set())
            members.add(sub)
            if len(members) == 1:
                confirmed = asyncio.Event()
                self._confirmed[channel] = confirmed
                try:
                    await self._pubsub.subscribe(channel)
                    self._ensure_reader()
                    await asyncio.wait_for(confirmed.wait(), self.confirm_timeout)
                except (RedisError, OSError, TimeoutError) as exc:
                    members.discard(sub)
                    self._subs.pop(channel, None)
                    self._confirmed.pop(channel, None)
                    with contextlib.suppress(RedisError, OSError):
                        await self._pubsub.unsubscribe(channel)
                    raise HubUnavailable(f"live progress unavailable: {exc}") from exc
        self._clients_changed()
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        if self._lock is None:
            return
        async with self._lock:
            members = self._subs.get(sub.channel)
            if not members or sub not in members:
                return
            members.discard(sub)
            self._clients_changed()
            if not members:
                del self._subs[sub.channel]
                self._confirmed.pop(sub.channel, None)
                try:
                    await self._pubsub.unsubscribe(sub.channel)
                except (RedisError, OSError) as exc:  # the reconnect re-subscribes nothing stale
                    log.debug("unsubscribe %s failed: %s", sub.channel, exc)

    def _ensure_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="vocalborn-live-hub")

    async def _read(self) -> None:
        backoff = 0.1
        while self._subs:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # RedisError, OSError, parser errors: reconnect
                if not self._subs:
                    return
                self.reconnects += 1
                log.warning("live hub lost Redis (%s); reconnecting in %.1fs", exc, backoff)
                # clients resync once the channels are confirmed again (see `_dispatch`)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                await self._reconnect()
                continue
            backoff = 0.1
            if message is not None:
                self._dispatch(message)

    async def _reconnect(self) -> None:
        """A fresh pub/sub connection subscribed to every channel that still has clients."""
        old = self._pubsub
        assert self._client is not None
        self._pubsub = self._client.pubsub()
        with contextlib.suppress(Exception):
            await old.aclose()
        channels = list(self._subs)
        if not channels:
            return
        try:
            await self._pubsub.subscribe(*channels)
        except (RedisError, OSError) as exc:
            log.info("live hub resubscribe failed: %s", exc)

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        channel = _text(message.get("channel"))
        if kind == "subscribe":
            confirmed = self._confirmed.get(channel)
            if confirmed is None:
                return
            if confirmed.is_set():  # a re-subscription after a reconnect: events may be lost
                for sub in list(self._subs.get(channel, ())):
                    sub.put(RESYNC)
            confirmed.set()
            return
        if kind != "message":
            return
        subs = self._subs.get(channel)
        if not subs:
            return
        try:
            data = json.loads(message["data"])
        except (ValueError, TypeError):
            log.warning("malformed event on %s ignored", channel)
            return
        if not isinstance(data, dict):
            return
        self.messages += 1
        update = Update(data, json.dumps({"type": "update", **data}))
        for sub in list(subs):
            sub.put(update)

    def _broadcast(self, item: str) -> None:
        for members in self._subs.values():
            for sub in list(members):
                sub.put(item)

    async def close(self) -> None:
        self._broadcast(CLOSED)
        self._subs.clear()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
        self._loop = None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
