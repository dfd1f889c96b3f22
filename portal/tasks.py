"""What background work shares: the retry policy of the tasks and the one enqueue helper.

Services import their tasks and send them with `enqueue`, from `transaction.on_commit`; tasks
import their services inside their bodies (a task is a thin adapter around one service).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import DatabaseError

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (DatabaseError, ConnectionError, OSError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
}


def enqueue(task: Task, *args: Any) -> None:
    """Send `task(*args)` to the workers. With the broker down it logs and returns: what was
    saved stays saved, and the periodic sweep sends the work again later."""
    try:
        task.delay(*args)
    except Exception as exc:  # broker down: the sweep enqueues it again later
        logger.warning("Could not enqueue %s%s (%s); the sweep will retry.", task.name, args, exc)
