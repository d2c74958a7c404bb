"""Live progress with Redis down: the snapshot from the database is still sent, then the
stream ends with a clear signal (WebSocket 1011, SSE `event: error`) instead of hanging."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.conftest import make_settings
from tests.support.rows import TaskFactory
from vocalborn.accounts.models import Role
from vocalborn.accounts.security import create_access_token
from vocalborn.accounts.service import create_user
from vocalborn.analysis.models import TaskStatus
from vocalborn.app import create_app
from vocalborn.db import make_engine, make_session_factory


def test_without_redis_the_snapshot_is_sent_and_the_stream_ends(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "db.sqlite"
    shutil.copy(sqlite_template, path)
    settings = make_settings(tmp_path, f"sqlite:///{path}", "redis://127.0.0.1:1/0")
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as db:
        user = create_user(db, email="a@vocalborn.tw", password="correct horse battery",
                           name="A", role=Role.CLIENT)  # fmt: skip
        db.commit()
        task = TaskFactory(db, str(user.user_id)).make(TaskStatus.PROCESSING, wait=1, progress=40)
        token = create_access_token(user.user_id, Role.CLIENT, settings.secret_key, 10)
    engine.dispose()

    with TestClient(create_app(settings)) as client:
        url = f"/api/v1/tasks/ws/task/{task.task_id}?token={token}"
        with client.websocket_connect(url) as ws:
            snap = ws.receive_json()
            assert snap["type"] == "snapshot"
            assert (snap["status"], snap["progress"]) == ("processing", 40)
            try:
                message = ws.receive()
                code = message.get("code")
            except WebSocketDisconnect as exc:
                code = exc.code
            assert code == 1011

        resp = client.get(f"/api/v1/tasks/analysis/{task.task_id}/events?token={token}")
        assert resp.status_code == 200
        events = [line for line in resp.text.splitlines() if line.startswith(("event:", "data:"))]
        assert events[0] == "event: snapshot"
        assert events[2] == "event: error"
        assert json.loads(events[3][len("data: ") :])["code"] == "redis_unavailable"
