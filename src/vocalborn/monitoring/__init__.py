"""Observability: readiness checks, Prometheus metrics, worker hooks (DESIGN §9).

- `health.py`        can we reach the database and Redis
- `metrics.py`       the API's `/metrics` and the workers' exporter
- `worker_hooks.py`  Celery signal hooks: logging, task context, metrics
- `install.py`       wire the live hub and metrics into the app
- `procfs.py`        process-tree memory from /proc
- `tasks.py`         the broker round-trip echo task
"""
