"""Live progress in real Redis: a processing event is never published once the cancel flag is up,
so no subscriber can see `processing` after `cancelled`."""

from __future__ import annotations

import json
import uuid

import redis

from vocalborn.analysis.progress import (
    ProgressEvent,
    ProgressPublisher,
    events_channel,
    read_progress,
)


def _drain(pubsub: redis.client.PubSub) -> list[dict]:
    messages = []
    while (msg := pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)) is not None:
        messages.append(json.loads(msg["data"]))
    return messages


def test_processing_events_stop_at_the_cancel_flag(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    publisher = ProgressPublisher(client, ttl_seconds=60)
    task_id = str(uuid.uuid4())
    pubsub = client.pubsub()
    pubsub.subscribe(events_channel(task_id))
    pubsub.get_message(timeout=1)  # subscription confirmation

    running = ProgressEvent(task_id=task_id, status="processing", progress=50, current_step="a")
    assert publisher.publish_and_check_cancel(running) is False
    publisher.set_cancel_flag(task_id)
    publisher.publish(ProgressEvent(task_id=task_id, status="cancelled"))
    late = ProgressEvent(task_id=task_id, status="processing", progress=70, current_step="b")
    assert publisher.publish_and_check_cancel(late) is True

    assert [m["status"] for m in _drain(pubsub)] == ["processing", "cancelled"]
    stored = read_progress(client, task_id)
    assert stored is not None and stored["status"] == "cancelled"
    pubsub.close()
    client.close()
