"""A raw Celery task with no database or Redis bookkeeping: the baseline of bench/pipeline.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="bench.noop")
def noop(x: int) -> int:
    return x
