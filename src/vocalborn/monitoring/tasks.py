"""`vocalborn.health.echo`: a round trip through the broker, a worker and the result backend
(`vocalborn test --message`). Runs on the `health` queue."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from celery import Task, shared_task

from vocalborn.worker.names import ECHO


@shared_task(bind=True, name=ECHO, acks_late=False, ignore_result=False)
def echo(self: Task, message: str, sent_at: float | None = None) -> dict[str, Any]:
    return {
        "message": message,
        "worker": self.request.hostname or socket.gethostname(),
        "pid": os.getpid(),
        "sent_at": sent_at,
        "received_at": time.time(),
    }
