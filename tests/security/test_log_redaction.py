"""Access tokens in query strings never reach the logs, however the parameter name is
percent-encoded (issue 13): the live endpoints read `?token=` after percent-decoding, so
`?tok%65n=<JWT>` and `?%74oken=<JWT>` authenticate and must be masked too.

The requests go to the real app under uvicorn (real sockets); what is checked is what our
root handler writes for uvicorn's own access and WebSocket lines."""

from __future__ import annotations

import io
import json
import logging
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import make_settings
from tests.support.served import serve
from vocalborn import logs
from vocalborn.accounts.models import Role
from vocalborn.accounts.security import create_access_token
from vocalborn.accounts.service import create_user
from vocalborn.app import create_app

SPELLINGS = ["tok%65n", "%74oken", "%74%6F%6B%65%6E", "TOKEN"]


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_redact_compares_parameter_names_after_decoding() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    for name in [*SPELLINGS, "token", "%2574oken", "access_token", "to%6b%65n"]:
        line = f'GET /api/v1/tasks/analysis/x/events?a=1&{name}={jwt}&b=2 HTTP/1.1" 200'
        out = logs.redact(line)
        assert jwt not in out, name
        assert f"&{name}=***&b=2" in out  # the name is kept as sent, the rest untouched
    untouched = "/api/v1/practice/sentences?language=en&tokenless"
    assert logs.redact(untouched) == untouched
    assert logs.redact("/x?took=1&t=2") == "/x?took=1&t=2"


def test_encoded_token_spellings_authenticate_but_are_redacted_in_access_logs(
    tmp_path: Path, sqlite_template: Path, redis_url: str, restore_root: None
) -> None:
    db_path = tmp_path / "app.db"
    shutil.copy(sqlite_template, db_path)
    settings = make_settings(tmp_path, f"sqlite:///{db_path}", redis_url, LOG_FORMAT="json")
    app = create_app(settings)  # installs its own handler on stderr ...
    stream = io.StringIO()
    logs.configure_logging(settings, stream=stream)  # ... replaced by one we can read
    with app.state.session_factory() as db:
        user = create_user(
            db, email="logs@vocalborn.tw", password="correct horse battery", name="L",
            role=Role.CLIENT,
        )  # fmt: skip
        db.commit()
        jwt = create_access_token(user.user_id, Role.CLIENT, settings.secret_key, 5)
    unknown_task = uuid.uuid4()
    # Earlier tests in this process may have turned uvicorn's loggers down or off (a server
    # started with log_level="warning", a dictConfig): the WebSocket line is an INFO of
    # uvicorn.error, so this test sets the levels it reads.
    for name in ("uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).disabled = False
    with serve(app, access_log=True, log_level="info") as port:
        base = f"http://127.0.0.1:{port}/api/v1/tasks"
        for name in SPELLINGS[:3]:
            resp = httpx.get(f"{base}/analysis/{unknown_task}/events?{name}={jwt}", timeout=10)
            # 404 (the task), not 401: the encoded name was read as `token` and it was valid
            assert resp.status_code == 404, (name, resp.text)
        missing = httpx.get(f"{base}/analysis/{unknown_task}/events", timeout=10)
        assert missing.status_code == 401  # without a token the same request is refused
        ws_url = f"ws://127.0.0.1:{port}/api/v1/tasks/ws/task/{unknown_task}?%74oken={jwt}"
        with connect(ws_url, open_timeout=10) as ws, pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        # "no such task" (after the token was accepted), not "authentication required"
        assert closed.value.rcvd is not None and closed.value.rcvd.reason == "no such task"

    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    # the server's lines (this process also holds the test's HTTP client, whose own request
    # log naturally shows the URL it was given)
    server = [line for line in lines if line["logger"].startswith("uvicorn")]
    emitted = "\n".join(line["message"] for line in server)
    assert jwt not in json.dumps(server)
    for name in SPELLINGS[:3]:
        assert f"events?{name}=*** HTTP/1.1" in emitted, emitted
    assert f"{unknown_task}?%74oken=***" in emitted, emitted  # the WebSocket line
