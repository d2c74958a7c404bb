"""Admin API (role admin): what an operator does to any task, over HTTP.

- `routes.py`   `/admin/tasks/...`, `/admin/workers`, `/admin/queues`
- `service.py`  cancel and retry any task (shared with the CLI)
- `stats.py`    task statistics: SQL aggregates plus Redis reads
- `schemas.py`  response bodies
The schedule's admin routes live with the schedule, in `schedules/routes.py`.
"""
