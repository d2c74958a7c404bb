"""Celery plumbing only: the app, its signals and per-process context, the worker registry.

- `names.py`       queue names, task names, job prefixes (a leaf: imports nothing of ours)
- `celery_app.py`  the Celery application (broker, backend, queues, reliability settings)
- `signals.py`     per-process resources and the heartbeat
- `context.py`     settings, database, Redis, storage and analyser of one pool process
- `registry.py`    which workers are online
"""
