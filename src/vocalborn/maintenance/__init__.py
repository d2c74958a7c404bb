"""Periodic maintenance and health jobs run by Celery Beat (DESIGN §8).

- `tasks.py`        the jobs as Celery tasks
- `cleanup.py`      retention: what may go, and nothing else
- `auto_submit.py`  queue analysis for recordings nobody submitted
- `health.py`       health check and queue metrics
The schedule itself and the job-run records live in `schedules/`.
"""
