"""Live progress of one analysis task: `WS /tasks/ws/task/{id}` and SSE `…/{id}/events`.

Both follow the same protocol:
1. authenticate (WS: `?token=` or a first message `{"token": "..."}` within
   `LIVE_AUTH_TIMEOUT_SECONDS`; SSE: the bearer header or `?token=`) and check the caller may read
   the task (owner, linked therapist, admin);
2. subscribe to the task's Redis channel through the process's `LiveHub` and wait for Redis to
   confirm it;
3. read the snapshot — the status endpoint's view, i.e. the row merged with the live hash — and
   send it (`{"type": "snapshot", ...}`); a terminal snapshot is sent and the stream ends;
4. relay every change (`{"type": "update", ...}`: the worker's event, its `error_message`
   replaced by the learner's version as in the status view) and end after a terminal one.
   After a Redis reconnect the snapshot is read again (events may have been lost).

WebSocket close codes: 1000 after a terminal state, 1008 (policy violation) for a missing or bad
token and for an unknown or foreign task alike (existence is not revealed), 1011 when live
updates are unavailable (Redis down: the snapshot is still sent first), 1001 at server shutdown.
SSE answers 401/404 before streaming, sends `event: snapshot|update|end` with JSON `data:`, a
keep-alive comment every `SSE_KEEPALIVE_SECONDS`, and ends after `event: end` (EventSource
clients should close on `end`; `retry:` is set long so a finished stream is not re-opened soon).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Query, Request, WebSocket
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect, WebSocketState

from vocalborn.accounts.models import User
from vocalborn.analysis.hub import CLOSED, RESYNC, HubUnavailable, LiveHub, Subscription, Update
from vocalborn.analysis.progress import TERMINAL, events_channel
from vocalborn.analysis.service import readable_task
from vocalborn.analysis.status_view import public_error_message, task_status
from vocalborn.config import Settings
from vocalborn.deps import SettingsDep, user_from_token
from vocalborn.errors import AppError, NotFound, Unauthorized

log = logging.getLogger(__name__)
router = APIRouter(prefix="/tasks", tags=["live progress"])

POLICY_VIOLATION = 1008
INTERNAL_ERROR = 1011
GOING_AWAY = 1001
_bearer = HTTPBearer(auto_error=False)


def get_hub(app: Any) -> LiveHub:
    hub: LiveHub | None = getattr(app.state, "live_hub", None)
    if hub is None:
        hub = LiveHub(app.state.settings.progress_redis_url)
        app.state.live_hub = hub
    return hub


# --- database work (threadpool, sync sessions) ---------------------------------------------


def _authorize(app: Any, token: str, task_id: uuid.UUID) -> User:
    """The caller, if the token is valid and the caller may read the task; else AppError."""
    settings: Settings = app.state.settings
    with app.state.session_factory() as db:
        user = user_from_token(db, settings, token)
        readable_task(db, user, task_id)
        db.expunge(user)
        return user


def _snapshot(app: Any, task_id: uuid.UUID) -> dict[str, Any] | None:
    """The status endpoint's view of the task; None when the task is gone."""
    from vocalborn.analysis.models import AnalysisTask

    with app.state.session_factory() as db:
        task = db.get(AnalysisTask, task_id)
        if task is None:
            return None
        view = task_status(db, app.state.settings, app.state.progress.client, task)
        return {"type": "snapshot", **view.model_dump(mode="json")}


class Follower:
    """What one client has been sent, so duplicates and stale events are not sent again."""

    def __init__(self) -> None:
        self.status: str | None = None
        self.progress = -1
        self.step: str | None = None

    def accept(self, data: dict[str, Any]) -> bool:
        status = str(data.get("status"))
        progress = int(data.get("progress") or 0)
        step = data.get("current_step")
        if status == self.status and status not in TERMINAL:
            # within one status progress only grows: an event older than the snapshot is skipped
            if progress < self.progress or (progress == self.progress and step == self.step):
                return False
        elif status == self.status:
            return False  # a terminal state is sent once
        self.status, self.progress, self.step = status, progress, step
        return True

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


KEEPALIVE = ""


async def _follow(
    app: Any, sub: Subscription, task_id: uuid.UUID, keepalive: float | None = None
) -> AsyncIterator[str]:
    """JSON texts to send: the snapshot, then changes, until a terminal state, the task is gone
    or the hub closes. With `keepalive`, yields KEEPALIVE after that many idle seconds."""
    follower = Follower()
    snap = await run_in_threadpool(_snapshot, app, task_id)
    if snap is None:
        return
    follower.accept(snap)
    yield json.dumps(snap)
    while not follower.finished:
        if keepalive is None:
            item = await sub.get()
        else:
            try:
                item = await asyncio.wait_for(sub.get(), keepalive)
            except TimeoutError:
                yield KEEPALIVE
                continue
        if item == CLOSED:
            return
        if item == RESYNC:
            snap = await run_in_threadpool(_snapshot, app, task_id)
            if snap is None:
                return
            if follower.accept(snap):
                yield json.dumps(snap)
            continue
        assert isinstance(item, Update)
        if follower.accept(item.data):
            yield _public_text(item)


def _public_text(update: Update) -> str:
    """The worker's event as a learner may see it: its error message (which can name the AI
    service's URL or a host) replaced by the status view's public one (issue 13)."""
    data = update.data
    if data.get("error_message") is None:
        return update.text
    message = public_error_message(
        data.get("error_type"), data.get("error_message"), data.get("status")
    )
    return json.dumps({**data, "error_message": message})


# --- WebSocket -------------------------------------------------------------------------------


async def _read_token(websocket: WebSocket, timeout: float) -> str | None:
    try:
        message = await asyncio.wait_for(websocket.receive_text(), timeout)
    except (TimeoutError, WebSocketDisconnect, RuntimeError, KeyError):
        return None
    try:
        body = json.loads(message)
    except ValueError:
        return None
    token = body.get("token") if isinstance(body, dict) else None
    return token if isinstance(token, str) and token else None


async def _watch_disconnect(websocket: WebSocket, sub: Subscription) -> None:
    """Drain client messages; when the client goes, wake the relay loop."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
    except Exception:  # a broken connection ends the same way
        log.debug("websocket receive ended", exc_info=True)
    sub.put(CLOSED)


async def _close(websocket: WebSocket, code: int, reason: str = "") -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(code, reason)


@router.websocket("/ws/task/{task_id}")
async def task_websocket(
    websocket: WebSocket, task_id: str, settings: SettingsDep, token: str | None = None
) -> None:
    app = websocket.app
    await websocket.accept()  # accept first so the client sees our close code, not a bare 403
    try:
        tid = uuid.UUID(task_id)
    except ValueError:
        await _close(websocket, POLICY_VIOLATION, "no such task")
        return
    if not token:
        token = await _read_token(websocket, settings.LIVE_AUTH_TIMEOUT_SECONDS)
        if token is None:
            await _close(websocket, POLICY_VIOLATION, "authentication required")
            return
    try:
        await run_in_threadpool(_authorize, app, token, tid)
    except Unauthorized:
        await _close(websocket, POLICY_VIOLATION, "invalid token")
        return
    except NotFound:
        await _close(websocket, POLICY_VIOLATION, "no such task")
        return
    except AppError as exc:
        await _close(websocket, POLICY_VIOLATION, exc.code)
        return
    hub = get_hub(app)
    try:
        sub = await hub.subscribe(events_channel(tid))
    except HubUnavailable:
        snap = await run_in_threadpool(_snapshot, app, tid)
        if snap is not None:
            with contextlib.suppress(Exception):
                await websocket.send_text(json.dumps(snap))
        terminal = snap is not None and snap["status"] in TERMINAL
        if terminal:
            await _close(websocket, 1000)
        else:
            await _close(websocket, INTERNAL_ERROR, "live progress unavailable; poll the status")
        return
    watcher = asyncio.create_task(_watch_disconnect(websocket, sub))
    finished = False
    try:
        async for text in _follow(app, sub, tid):
            await websocket.send_text(text)
            finished = json.loads(text).get("status") in TERMINAL
    except (WebSocketDisconnect, RuntimeError, OSError):
        return  # the client went away while we were sending
    finally:
        watcher.cancel()
        await sub.close()
    await _close(websocket, 1000 if finished else GOING_AWAY)


# --- Server-Sent Events ----------------------------------------------------------------------


def _sse(event: str, data: str) -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode()


async def _sse_stream(app: Any, tid: uuid.UUID) -> AsyncIterator[bytes]:
    settings: Settings = app.state.settings
    yield b"retry: 60000\n\n"
    try:
        sub = await get_hub(app).subscribe(events_channel(tid))
    except HubUnavailable:
        snap = await run_in_threadpool(_snapshot, app, tid)
        if snap is not None:
            yield _sse("snapshot", json.dumps(snap))
        message = "Live progress is unavailable right now; poll the status endpoint."
        yield _sse("error", json.dumps({"code": "redis_unavailable", "message": message}))
        return
    last_status: str | None = None
    try:
        async for text in _follow(app, sub, tid, settings.SSE_KEEPALIVE_SECONDS):
            if text == KEEPALIVE:
                yield b": keep-alive\n\n"
                continue
            body = json.loads(text)
            last_status = body.get("status")
            yield _sse(str(body.get("type", "update")), text)
        yield _sse("end", json.dumps({"task_id": str(tid), "status": last_status}))
    finally:
        await sub.close()


@router.get("/analysis/{task_id}/events", response_class=StreamingResponse)
async def task_events(
    task_id: uuid.UUID,
    request: Request,
    token: str | None = Query(None, description="access token (EventSource cannot set headers)"),
) -> StreamingResponse:
    """Server-Sent Events: the snapshot, then every change, then `event: end`."""
    app = request.app
    creds: HTTPAuthorizationCredentials | None = await _bearer(request)
    bearer = creds.credentials if creds and creds.scheme.lower() == "bearer" else None
    if not (bearer or token):
        raise Unauthorized("Authentication required: send a bearer token or ?token=.")
    await run_in_threadpool(_authorize, app, bearer or token or "", task_id)
    return StreamingResponse(
        _sse_stream(app, task_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
