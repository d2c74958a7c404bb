from tests.beat.live import live, live_api  # noqa: F401
