"""Usage against the award, by email: 75 % and 100 % alerts, each once per allocation however
many imports cross the line (sent where usage is recorded, and by the hourly job if missed), and
the under-use nudge at half time (by the hourly job), once."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from allocations import services
from allocations.models import Allocation
from allocations.services.usage_alerts import usage_alerts_check
from allocations.tasks import check_allocations
from notifications.models import Notification
from tests.allocations.conftest import AWARD
from usage.services import usage_records_push

pytestmark = pytest.mark.django_db


def alerts(allocation) -> list[str]:
    return sorted(
        Notification.objects.filter(key__startswith=f"usage-alert:{allocation.pk}:").values_list(
            "key", flat=True
        )
    )


@pytest.fixture
def active(awarded):
    return services.allocation_activate(awarded, actor=None, reason="Hand-off completed")


def push(allocation, day: int, gpu_hours: str) -> None:
    start = allocation.start + datetime.timedelta(days=day)
    usage_records_push(
        factory=allocation.system.factory,
        records=[
            {"allocation": allocation.pk, "period_start": start, "period_end": start,
             "gpu_hours": Decimal(gpu_hours)}
        ],
    )  # fmt: skip


def test_the_75_percent_alert_goes_once_however_many_imports_cross_it(
    active, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        push(active, 1, "11000")  # 68.75 %: nothing yet
        assert alerts(active) == []
        push(active, 2, "1000")  # 75 %: the alert
        push(active, 3, "500")  # 78 %: no second one
        services.allocation_record_usage(active, Decimal(AWARD * 0.8))
    assert alerts(active) == [f"usage-alert:{active.pk}:75"]
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert "75 % of its GPU-hours used" in mail.outbox[0].subject
    assert active.reference in mail.outbox[0].body
    active.refresh_from_db()
    assert active.alerted_75_at is not None and active.alerted_100_at is None


def test_the_100_percent_alert_follows_and_a_jump_past_both_sends_one(active, awarded):
    services.allocation_record_usage(active, AWARD * 3 // 4)
    services.allocation_record_usage(active, AWARD)
    services.allocation_record_usage(active, AWARD + 10)
    assert alerts(active) == [f"usage-alert:{active.pk}:100", f"usage-alert:{active.pk}:75"]


def test_a_jump_past_both_lines_sends_the_100_percent_alert_only(active):
    services.allocation_record_usage(active, AWARD * 2)
    assert alerts(active) == [f"usage-alert:{active.pk}:100"]
    active.refresh_from_db()
    assert active.alerted_75_at is not None and active.alerted_100_at is not None
    services.allocation_record_usage(active, AWARD * 3 // 4)  # a correction down, then up
    services.allocation_record_usage(active, AWARD)
    assert alerts(active) == [f"usage-alert:{active.pk}:100"]


def test_a_stale_copy_of_the_allocation_cannot_send_twice(active):
    stale = Allocation.objects.get(pk=active.pk)
    services.allocation_record_usage(active, AWARD)
    services.allocation_record_usage(stale, AWARD)  # its markers still empty in memory
    assert alerts(active) == [f"usage-alert:{active.pk}:100"]


def test_an_awarded_allocation_not_yet_set_up_is_not_alerted(awarded):
    services.allocation_record_usage(awarded, AWARD)
    assert alerts(awarded) == []


def test_the_hourly_job_sends_an_alert_missed_at_recording(active):
    Allocation.objects.filter(pk=active.pk).update(used_gpu_hours=AWARD)  # e.g. an admin fix
    assert check_allocations.delay().get()["usage_alerts"] == 1
    assert check_allocations.delay().get()["usage_alerts"] == 0
    assert alerts(active) == [f"usage-alert:{active.pk}:100"]


def nudges(allocation) -> int:
    return Notification.objects.filter(key__startswith=f"usage-nudge:{allocation.pk}:").count()


def test_the_under_use_nudge_goes_once_at_half_time(active, alice):
    half = active.start + (active.end - active.start) / 2
    services.allocation_record_usage(active, AWARD // 5)  # 20 %
    assert usage_alerts_check(today=half - datetime.timedelta(days=2))["underuse_nudges"] == 0
    assert usage_alerts_check(today=half)["underuse_nudges"] == 1
    assert usage_alerts_check(today=half + datetime.timedelta(days=3))["underuse_nudges"] == 0
    assert nudges(active) == 1
    notification = Notification.objects.get(key__startswith="usage-nudge:")
    assert notification.recipient == alice.email and "20 % used" in notification.subject
    active.refresh_from_db()
    assert active.underuse_nudged_at is not None


def test_no_nudge_when_a_quarter_is_used(active):
    services.allocation_record_usage(active, AWARD // 4)
    assert usage_alerts_check(today=active.end)["underuse_nudges"] == 0
    assert nudges(active) == 0
