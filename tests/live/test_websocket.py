"""WebSocket live progress against a real API process and a real worker."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

import pytest
import redis
from sqlalchemy import update
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.e2e.harness import Live, wait_for
from tests.live.servers import ApiServer
from vocalborn.accounts.models import Role
from vocalborn.accounts.service import link_client
from vocalborn.analysis.hub import HUB_NAME
from vocalborn.analysis.models import AnalysisTask, TaskStatus
from vocalborn.analysis.progress import ProgressEvent, ProgressPublisher, events_channel
from vocalborn.db import make_session_factory

TERMINAL = {"success", "failure", "cancelled"}


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].split(" ", 1)[1]


def ws_connect(server: ApiServer, task_id: str, token: str | None = None) -> ClientConnection:
    url = f"{server.ws_url}/api/v1/tasks/ws/task/{task_id}"
    if token:
        url += f"?token={token}"
    return connect(url, open_timeout=20, close_timeout=5)


def follow(ws: ClientConnection, timeout: float = 60) -> tuple[list[dict[str, Any]], int | None]:
    """Every message until the server closes; and the close code."""
    messages: list[dict[str, Any]] = []
    try:
        while True:
            messages.append(json.loads(ws.recv(timeout=timeout)))
    except ConnectionClosed as exc:
        return messages, exc.rcvd.code if exc.rcvd else None


def refused_code(ws: ClientConnection, token_message: str | None = None) -> int | None:
    with ws:
        if token_message is not None:
            ws.send(json.dumps({"token": token_message}))
        messages, code = follow(ws, timeout=30)
    assert messages == []  # nothing about the task leaks
    return code


def test_clients_follow_a_real_worker_from_pending_to_success(
    live: Live, api_server: ApiServer
) -> None:
    _, headers = live.account()
    ids = live.recording(headers)
    task_id = live.submit(headers, ids["record_id"], sleep=1.5, steps=6)["task_id"]

    # no worker yet: both clients start from a pending snapshot; one authenticates by query
    # parameter, the other with a first message
    stack = contextlib.ExitStack()
    first = stack.enter_context(ws_connect(api_server, task_id, token_of(headers)))
    second = stack.enter_context(ws_connect(api_server, task_id))
    second.send(json.dumps({"token": token_of(headers)}))
    snapshots = [json.loads(first.recv(timeout=20)), json.loads(second.recv(timeout=20))]
    for snap in snapshots:
        assert snap["type"] == "snapshot"
        assert snap["task_id"] == task_id
        assert snap["status"] == "pending"
        assert snap["queue_position"] == 0
    # one Redis subscription serves both sockets (the process's hub)
    client = redis.Redis.from_url(live.env["CELERY_RESULT_BACKEND"])
    assert client.pubsub_numsub(events_channel(task_id)) == [(events_channel(task_id).encode(), 1)]

    live.start_worker("w1")
    for ws in (first, second):
        messages, code = follow(ws)
        assert code == 1000
        assert all(m["type"] == "update" for m in messages)
        statuses = [m["status"] for m in messages]
        assert statuses[-1] == "success"
        assert set(statuses[:-1]) == {"processing"}
        progress = [m["progress"] for m in messages]
        assert progress == sorted(progress)
        assert len(set(progress[:-1])) >= 4  # several progress values while processing
        assert messages[-1]["progress"] == 100
        assert messages[0]["worker_name"].startswith("w1@")
    stack.close()

    # a finished task: the snapshot says so and the socket closes normally
    with ws_connect(api_server, task_id, token_of(headers)) as late:
        messages, code = follow(late, timeout=20)
    assert [m["type"] for m in messages] == ["snapshot"]
    assert messages[0]["status"] == "success"
    assert messages[0]["progress"] == 100
    assert code == 1000
    client.close()


def test_linked_therapist_and_admin_may_watch_others_are_refused(
    live: Live, api_server: ApiServer
) -> None:
    owner_id, owner = live.account()
    _, stranger = live.account()
    therapist_id, therapist = live.account(Role.THERAPIST)
    _, admin = live.account(Role.ADMIN)
    with make_session_factory(live.engine)() as db:
        link_client(db, uuid.UUID(therapist_id), uuid.UUID(owner_id))
        db.commit()
    ids = live.recording(owner)
    task_id = live.submit(owner, ids["record_id"])["task_id"]

    for headers in (therapist, admin):
        with ws_connect(api_server, task_id, token_of(headers)) as ws:
            snap = json.loads(ws.recv(timeout=20))
            assert snap["type"] == "snapshot" and snap["status"] == "pending"

    # a foreign user, an unknown task, a bad token, no token at all: policy violation (1008),
    # the same code for unknown and foreign tasks
    assert refused_code(ws_connect(api_server, task_id, token_of(stranger))) == 1008
    unknown = "00000000-0000-4000-8000-000000000000"
    assert refused_code(ws_connect(api_server, unknown, token_of(owner))) == 1008
    assert refused_code(ws_connect(api_server, "not-a-uuid", token_of(owner))) == 1008
    assert refused_code(ws_connect(api_server, task_id, "not.a.token")) == 1008
    # never sends its token: closed after LIVE_AUTH_TIMEOUT_SECONDS
    assert refused_code(ws_connect(api_server, task_id)) == 1008
    assert refused_code(ws_connect(api_server, task_id), token_of(stranger)) == 1008


@pytest.mark.parametrize("how", ["query", "header"])
def test_sse_streams_snapshot_updates_and_end(live: Live, api_server: ApiServer, how: str) -> None:
    import httpx

    _, headers = live.account()
    _, stranger = live.account()
    ids = live.recording(headers)
    task_id = live.submit(headers, ids["record_id"], sleep=1.0, steps=4)["task_id"]
    url = f"{api_server.url}/api/v1/tasks/analysis/{task_id}/events"

    assert httpx.get(url, timeout=20).status_code == 401
    foreign = httpx.get(url, headers=stranger, timeout=20)
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "not_found"

    params = {"token": token_of(headers)} if how == "query" else {}
    auth = headers if how == "header" else {}
    events: list[tuple[str, dict[str, Any]]] = []
    with httpx.stream("GET", url, params=params, headers=auth, timeout=60) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in resp.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                assert name is not None
                events.append((name, json.loads(line[len("data: ") :])))
                if name == "snapshot" and len(events) == 1:
                    live.start_worker("w1")  # started once the stream is open
    names = [n for n, _ in events]
    assert names[0] == "snapshot" and events[0][1]["status"] == "pending"
    assert names[-1] == "end" and events[-1][1]["status"] == "success"
    updates = [e for n, e in events if n == "update"]
    assert [e["status"] for e in updates][-1] == "success"
    assert len({e["progress"] for e in updates if e["status"] == "processing"}) >= 3


def _hub_connections(client: redis.Redis, db_index: int) -> list[dict[str, Any]]:
    return [
        c for c in client.client_list()
        if c.get("name") == HUB_NAME and int(c.get("db", -1)) == db_index
    ]  # fmt: skip


def test_a_lost_hub_connection_resyncs_clients_from_the_snapshot(
    live: Live, api_server: ApiServer
) -> None:
    """Kill the API's pub/sub connection (ours only, by id) and publish while it is down: the
    client still learns the change, from a fresh snapshot after the hub reconnects."""
    _, headers = live.account()
    task_id = live.submit(headers, live.recording(headers)["record_id"])["task_id"]
    client = redis.Redis.from_url(live.env["CELERY_RESULT_BACKEND"])
    db_index = int(live.env["CELERY_RESULT_BACKEND"].rsplit("/", 1)[1])
    publisher = ProgressPublisher(client)
    with ws_connect(api_server, task_id, token_of(headers)) as ws:
        assert json.loads(ws.recv(timeout=20))["status"] == "pending"
        [hub] = _hub_connections(client, db_index)

        # the worker's side of a change: row first, then the hash and the event
        with live.engine.begin() as conn:
            conn.execute(
                update(AnalysisTask)
                .where(AnalysisTask.task_id == uuid.UUID(task_id))
                .values(status=TaskStatus.PROCESSING, progress=50, current_step="analysing")
            )
        client.client_kill_filter(_id=hub["id"])
        publisher.publish(
            ProgressEvent(task_id=task_id, status="processing", progress=50, current_step="x")
        )  # lost for the hub: it reconnects after a back-off
        message = json.loads(ws.recv(timeout=30))
        assert message["type"] == "snapshot"
        assert (message["status"], message["progress"]) == ("processing", 50)
        [again] = wait_for("the hub's new connection", lambda: _hub_connections(client, db_index))
        assert again["id"] != hub["id"]

        # the resync came after the re-subscription was confirmed, so the hub relays again:
        # an event only a relay can carry (snapshots have no marker)
        publisher.publish(
            ProgressEvent(task_id=task_id, status="processing", progress=70, current_step="y",
                          extra={"marker": "relayed"})
        )  # fmt: skip
        message = json.loads(ws.recv(timeout=30))
        assert message["type"] == "update" and message["marker"] == "relayed"
        with live.engine.begin() as conn:
            conn.execute(
                update(AnalysisTask)
                .where(AnalysisTask.task_id == uuid.UUID(task_id))
                .values(status=TaskStatus.SUCCESS, progress=100, current_step="done")
            )
        publisher.publish(
            ProgressEvent(task_id=task_id, status="success", progress=100, current_step="done")
        )
        messages, code = follow(ws, timeout=30)
    assert [m["status"] for m in messages] == ["success"]
    assert code == 1000
    client.close()
