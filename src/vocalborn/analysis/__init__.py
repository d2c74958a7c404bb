"""Analysis tasks: the task domain, from submission to result (DESIGN §4).

- `models.py`          task and result rows
- `schemas.py`         API bodies
- `service.py`         submit, cancel, retry; access checks (flush, never commit)
- `routes.py`          `/tasks/analysis/...`
- `transitions.py`     the database side of one run: claim, step, succeed, fail, retry
- `tasks.py`           the `analyze_audio` Celery task
- `errors.py`          error classes and their retry policy
- `publish.py`         hand a committed row to the broker; `published_marks.py` batches the marks
- `progress.py`        live progress in Redis (hash + pub/sub)
- `live.py`, `hub.py`  WebSocket/SSE and the per-process pub/sub fan-out
- `status_view.py`     the row merged with live progress, queue position and ETA (`queue_info.py`)
- `reaper.py`          crash and broker-loss recovery
"""
