"""Celery plumbing only: the app, its signals and per-process context, the worker registry.

- `celery_app.py`  the Celery application (broker, backend, queues, reliability settings)
- `signals.py`     per-process resources and the heartbeat
- `context.py`     settings, database, Redis, storage and analyser of one pool process
- `registry.py`    which workers are online
"""
