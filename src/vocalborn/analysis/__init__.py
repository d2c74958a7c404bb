"""Analysis tasks: the task domain, from submission to result (DESIGN §4).

- `models.py`          task and result rows
- `schemas.py`         API bodies
- `service.py`         submit, cancel, retry; access checks (flush, never commit)
- `routes.py`          `/tasks/analysis/...`
- `transitions.py`     the database side of one run: claim, step, succeed, fail, retry
- `tasks.py`           the `analyze_audio` Celery task
- `errors.py`          error classes and their retry policy
- `outbox.py`          after-commit side effects: registered on the session, run after COMMIT
- `publish.py`         what the outbox runs: publish, revoke, announce; `published_marks.py`
- `retry.py`           the retry policy per error class, one decision for the task and reaper
- `progress.py`        live progress in Redis (hash + pub/sub)
- `live.py`, `hub.py`  WebSocket/SSE and the per-process pub/sub fan-out
- `status_view.py`     the row merged with live progress, queue position and ETA (`queue_info.py`)
- `reaper.py`          crash and broker-loss recovery
"""
