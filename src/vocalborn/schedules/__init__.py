"""The DB-backed Celery Beat schedule: entries, scheduler, leader, job runs, routes (DESIGN §8).

- `models.py`     `periodic_tasks` and `job_runs`
- `entries.py`    default entries, validation, every change (API and CLI alike), next runs
- `scheduler.py`  `DatabaseScheduler`: beat reading `periodic_tasks`
- `leader.py`     one beat fires at a time (a Redis lock)
- `runs.py`       every job run recorded by worker signals
- `routes.py`     `/admin/schedules...`, `/admin/jobs`; `schemas.py` their bodies
The CLI (`vocalborn schedule`, `vocalborn beat`) is `cli/schedule.py`.
"""
