"""A real uvicorn server in a thread for tests: real sockets, real protocol classes, uvicorn's
own access log (what an attacker's request really goes through); the AI service tests use it
too."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.e2e.harness import wait_for
from tests.support.procs import free_port


@contextmanager
def serve(app: Any, **config: Any) -> Iterator[int]:
    """Serve `app` on 127.0.0.1:<free port> until the block ends; yields the port."""
    port = free_port()
    options: dict[str, Any] = {"log_config": None, "lifespan": "on", "ws": "auto"}
    options.update(config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, name="security-api", daemon=True)
    thread.start()
    try:
        wait_for("uvicorn to serve", lambda: server.started, timeout=30)
        yield port
    finally:
        server.should_exit = True
        thread.join(15)
    assert not thread.is_alive(), "the server thread did not stop"
