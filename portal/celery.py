"""The Celery application. Without CELERY_BROKER_URL, tasks run eagerly in-process."""

from __future__ import annotations

import os

from celery import Celery, bootsteps
from celery.signals import beat_init, task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_postrun.connect
def _return_connections_to_the_pool(**kwargs) -> None:
    """Hand the task's database connections back to the pool after each task.

    Celery's Django fix-up would otherwise close them, and in prefork children close the whole
    psycopg pool, around every task: a new PostgreSQL connection per task (measured at about a
    sixth of a routing task's time). With CELERY_DB_REUSE_MAX set it leaves them alone, and this
    handler returns them to the pool instead, which drops a broken one.
    """
    if kwargs.get("task") is not None and getattr(kwargs["task"].request, "is_eager", False):
        return
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Every `HEARTBEAT_SECONDS`, the worker's main process says it is alive (portal.heartbeats).

    A timer of the worker itself: it beats while the children are busy, and stops when the
    worker stops or hangs, which is what /healthz must notice.
    """

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.tref = None

    def start(self, parent) -> None:
        from django.conf import settings

        from portal import heartbeats

        name = f"{heartbeats.WORKER_PREFIX}{parent.hostname}"
        heartbeats.record(name)
        self.tref = parent.timer.call_repeatedly(
            settings.HEARTBEAT_SECONDS, heartbeats.record, (name,), priority=10
        )

    def stop(self, parent) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(WorkerHeartbeat)


@beat_init.connect
def _beat_started(**kwargs) -> None:
    from portal import heartbeats

    heartbeats.record(heartbeats.BEAT_STARTED)
    heartbeats.record(heartbeats.BEAT)
