"""The names the API, workers, beat and CLI agree on: queues, task names, job prefixes.

A leaf module (it imports nothing from vocalborn) so that anything may import a name without
pulling in the Celery app, its signal hooks or the metrics: before, the names lived in
worker/celery_app.py, and monitoring/metrics.py, which only needed the queue names, closed an
import cycle through the worker's signal hooks; several names were also written out a second time
elsewhere. A task name's prefix routes it (celery_app's `task_routes`): `vocalborn.analysis.*`
to the analysis queue, `vocalborn.maintenance.*` and `vocalborn.health.*`, the periodic jobs, to
their own queues. Task names travel in messages and are stored in schedule entries and job runs:
renaming one is a migration, not a refactor.
"""

from __future__ import annotations

# Queues (one Redis list each, plus its priority lists).
ANALYSIS_QUEUE = "ai_analysis"
MAINTENANCE_QUEUE = "maintenance"
HEALTH_QUEUE = "health"
QUEUES = (ANALYSIS_QUEUE, MAINTENANCE_QUEUE, HEALTH_QUEUE)

# Task-name prefixes, and the queue each routes to.
ANALYSIS_PREFIX = "vocalborn.analysis."
MAINTENANCE_PREFIX = "vocalborn.maintenance."
HEALTH_PREFIX = "vocalborn.health."
ROUTES = {
    ANALYSIS_PREFIX: ANALYSIS_QUEUE,
    MAINTENANCE_PREFIX: MAINTENANCE_QUEUE,
    HEALTH_PREFIX: HEALTH_QUEUE,
}
# The periodic jobs: the only tasks a schedule entry may name, each run recorded in `job_runs`.
JOB_PREFIXES = (MAINTENANCE_PREFIX, HEALTH_PREFIX)

# Task names.
ANALYZE_AUDIO = ANALYSIS_PREFIX + "analyze_audio"
REAP_STUCK_TASKS = MAINTENANCE_PREFIX + "reap_stuck_tasks"
CLEANUP_EXPIRED_TASKS = MAINTENANCE_PREFIX + "cleanup_expired_tasks"
PRELOAD_ANALYZER = MAINTENANCE_PREFIX + "preload_analyzer"
UPDATE_ERROR_ANALYTICS = MAINTENANCE_PREFIX + "update_error_analytics"
AUTO_SUBMIT_RECORDED = MAINTENANCE_PREFIX + "auto_submit_recorded"
HEALTH_CHECK = HEALTH_PREFIX + "health_check"
REFRESH_QUEUE_METRICS = HEALTH_PREFIX + "refresh_queue_metrics"
ECHO = HEALTH_PREFIX + "echo"
