"""Heartbeats of the background processes: who last said they are alive, and when.

Celery beat writes one at every tick, each worker one every `HEARTBEAT_SECONDS` (a timer in its
main process), and every periodic job one when it finishes. They live in one Redis hash on the
broker, which every process that has a worker or beat reaches: nothing to migrate, no database
connection opened in a worker's parent process before it forks its children.

`/healthz` and the staff page "Periodic jobs" read them: a heartbeat older than twice its
interval names its process as failing. In eager mode (no broker) there is no worker and no beat,
and nothing here is used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

HASH_KEY = "portal:heartbeats"
BEAT = "beat"
BEAT_STARTED = "beat:started"
WORKER_PREFIX = "worker:"
JOB_PREFIX = "job:"


def _client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
    )


def record(name: str) -> None:
    """Say that `name` is alive now. Never raises: a heartbeat must not break its process."""
    if not settings.CELERY_BROKER_URL:
        return
    try:
        _client().hset(HASH_KEY, name, timezone.now().isoformat())
    except redis.RedisError as exc:
        logger.warning("Could not record the heartbeat of %s: %s", name, exc)


def read_all() -> dict[str, datetime]:
    """Every heartbeat by name. Raises redis.RedisError when the broker cannot be reached."""
    raw = _client().hgetall(HASH_KEY)
    return {_text(k): datetime.fromisoformat(_text(v)) for k, v in raw.items()}


def _text(reply: bytes | str) -> str:
    """A Redis reply as text (redis-py types replies as either; this client returns bytes)."""
    return reply.decode() if isinstance(reply, bytes) else reply


def job_name(task_name: str) -> str:
    return f"{JOB_PREFIX}{task_name}"


@dataclass(frozen=True)
class Pulse:
    """One process's heartbeat against its interval."""

    name: str
    interval: timedelta
    seen_at: datetime | None
    now: datetime

    @property
    def age(self) -> timedelta | None:
        return None if self.seen_at is None else self.now - self.seen_at

    @property
    def ok(self) -> bool:
        return self.age is not None and self.age <= 2 * self.interval

    def describe(self) -> dict[str, object]:
        age = self.age
        return {
            "ok": self.ok,
            "last_seen": self.seen_at.isoformat() if self.seen_at else None,
            "age_seconds": None if age is None else round(age.total_seconds(), 1),
            "interval_seconds": self.interval.total_seconds(),
        }


def interval() -> timedelta:
    return timedelta(seconds=settings.HEARTBEAT_SECONDS)


def worker_pulse(beats: dict[str, datetime], now: datetime) -> Pulse:
    """The freshest heartbeat of any worker: one live worker is enough to work the queue."""
    seen = [at for name, at in beats.items() if name.startswith(WORKER_PREFIX)]
    return Pulse("worker", interval(), max(seen) if seen else None, now)


def beat_pulse(beats: dict[str, datetime], now: datetime) -> Pulse:
    return Pulse("beat", interval(), beats.get(BEAT), now)


def job_pulse(
    beats: dict[str, datetime], now: datetime, *, task_name: str, every: timedelta
) -> Pulse:
    """A periodic job's last completed run. Before its first run it counts as alive for two
    intervals after beat started, so a fresh deployment is not reported broken."""
    seen = beats.get(job_name(task_name))
    if seen is None:
        started = beats.get(BEAT_STARTED)
        if started is not None and now - started <= 2 * every:
            seen = started
    return Pulse(task_name, every, seen, now)
