from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import events, live  # noqa: F401  (the pipeline's e2e fixtures)
from tests.e2e.harness import Live
from tests.live.servers import ApiServer, start_api

pytestmark = pytest.mark.e2e


@pytest.fixture
def api_server(live: Live) -> Iterator[ApiServer]:  # noqa: F811
    """The API as a real uvicorn process on the same database and Redis as `live`."""
    server = start_api({**live.env, "LIVE_AUTH_TIMEOUT_SECONDS": "1"}, live.tmp)
    try:
        yield server
    finally:
        server.proc.stop()
