"""The Celery configuration issue 3 asks for, read back from the app the worker and API build."""

from __future__ import annotations

from pathlib import Path

from vocalborn.config import Settings
from vocalborn.worker.celery_app import create_celery


def test_delivery_safety_limits_serialisation_and_routing(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        ENVIRONMENT="test",
        DATA_DIR=str(tmp_path),
        CELERY_TASK_TIME_LIMIT=300,
        CELERY_TASK_SOFT_TIME_LIMIT=270,
        CELERY_VISIBILITY_TIMEOUT=3600,
        CELERY_WORKER_MAX_MEMORY_PER_CHILD=256 * 1024,
    )
    conf = create_celery(settings).conf
    # a task lost with its worker comes back; one message at a time per process
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (270, 300)
    assert conf.broker_transport_options["visibility_timeout"] == 3600 > conf.task_time_limit
    assert conf.result_expires == settings.CELERY_RESULT_EXPIRES
    assert conf.task_track_started
    assert conf.worker_max_memory_per_child == 256 * 1024
    # JSON only, Taiwan time
    assert conf.task_serializer == conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"] and list(conf.result_accept_content) == ["json"]
    assert conf.timezone == "Asia/Taipei"
    # the three queues, each task family routed to its own
    assert [q.name for q in conf.task_queues] == ["ai_analysis", "maintenance", "health"]
    assert conf.task_routes["vocalborn.maintenance.*"] == {"queue": "maintenance"}
    assert conf.task_routes["vocalborn.health.*"] == {"queue": "health"}
    assert conf.task_default_queue == "ai_analysis"
