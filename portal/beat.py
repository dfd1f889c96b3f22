"""Celery beat's scheduler: django-celery-beat's, plus a heartbeat at every tick.

The schedules live in the database (django-celery-beat's `PeriodicTask`, editable in the admin):
no schedule file to lose. The portal's own jobs are created there at `migrate` when missing
(`portal.apps`), never overwritten, so an admin's change of an interval survives restarts.
"""

from __future__ import annotations

from django_celery_beat.schedulers import DatabaseScheduler

from portal import heartbeats


class Scheduler(DatabaseScheduler):
    def tick(self, *args, **kwargs) -> float:
        interval = super().tick(*args, **kwargs)
        heartbeats.record(heartbeats.BEAT)
        return interval
