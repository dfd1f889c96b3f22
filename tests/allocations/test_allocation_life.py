"""An allocation's life: awarded -> active -> ended, suspended and closed early on the way; each
move one transition, one event on the application's timeline; the map refuses the rest."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from allocations import services
from allocations.models import Allocation, Report, ReportPolicy
from applications.models import ApplicationEvent
from portal.workdays import add_months
from tests.allocations.conftest import approve

pytestmark = pytest.mark.django_db


def allocation_events(allocation):
    return list(
        ApplicationEvent.objects.filter(
            application=allocation.application, kind=ApplicationEvent.Kind.ALLOCATION
        ).values_list("extra__allocation_from", "extra__allocation_to", "message", "actor")
    )


def test_it_is_awarded_by_the_decision_with_its_final_report_scheduled(awarded):
    assert awarded.status == Allocation.Status.AWARDED
    assert awarded.gpu_hours == 16_000 and awarded.used_gpu_hours == 0
    assert awarded.reference == f"AIF-{awarded.start.year}-{awarded.pk:06d}"
    final = awarded.reports.get()
    assert final.kind == Report.Kind.FINAL
    assert final.due_on == awarded.end + datetime.timedelta(days=30)


def test_it_moves_through_its_life_with_one_event_a_move(awarded, site_x):
    paula = site_x.approver
    services.allocation_activate(awarded, actor=None, reason="Hand-off to LUMI completed")
    services.allocation_suspend(awarded, actor=paula, reason="The progress report is overdue")
    services.allocation_resume(awarded, actor=paula, reason="The report is in")
    awarded = services.allocation_end(awarded, actor=None, reason="end date reached")
    assert awarded.status == Allocation.Status.ENDED
    assert awarded.ended_on == timezone.localdate()
    assert allocation_events(awarded) == [
        ("awarded", "active", "Active: Hand-off to LUMI completed", None),
        ("active", "suspended", "Suspended: The progress report is overdue", paula.pk),
        ("suspended", "active", "Active: The report is in", paula.pk),
        ("active", "ended", "Ended: end date reached", None),
    ]


def test_activating_twice_is_one_move(awarded):
    services.allocation_activate(awarded, actor=None, reason="Hand-off completed")
    services.allocation_activate(awarded, actor=None, reason="Hand-off completed again")
    assert len(allocation_events(awarded)) == 1


@pytest.mark.parametrize(
    "moves, refused, message",
    [
        ((), "allocation_suspend", "An allocation that is awarded cannot become suspended."),
        ((), "allocation_end", "An allocation that is awarded cannot become ended."),
        ((), "allocation_resume", "This allocation is awarded, not suspended: there is nothing"),
        (("allocation_close",), "allocation_activate", "An allocation that is closed early cannot"),
        (("allocation_activate", "allocation_end"), "allocation_close", "that is ended cannot"),
    ],
)
def test_the_transition_map_refuses_the_rest(awarded, moves, refused, message):
    for move in moves:
        getattr(services, move)(awarded, actor=None, reason="before")
    before = allocation_events(awarded)
    with pytest.raises(ValidationError) as error:
        getattr(services, refused)(awarded, actor=None, reason="refused")
    assert message in " ".join(error.value.messages)
    assert allocation_events(awarded) == before


def test_a_move_needs_a_reason(awarded):
    with pytest.raises(ValidationError) as error:
        services.allocation_activate(awarded, actor=None, reason="  ")
    assert error.value.message_dict == {"reason": ["Give the reason for this change."]}
    awarded.refresh_from_db()
    assert awarded.status == Allocation.Status.AWARDED


def test_closing_early_brings_the_final_report_forward(awarded):
    services.allocation_activate(awarded, actor=None, reason="set up")
    today = awarded.start + datetime.timedelta(days=10)
    services.allocation_close(awarded, actor=None, reason="The project stopped", today=today)
    final = awarded.reports.get(kind=Report.Kind.FINAL)
    assert final.due_on == today + datetime.timedelta(days=30)


def test_the_sweep_ends_what_is_past_its_end_date(awarded):
    services.allocation_activate(awarded, actor=None, reason="set up")
    assert services.allocations_end_due(today=awarded.end) == 0
    assert services.allocations_end_due(today=awarded.end + datetime.timedelta(days=1)) == 1
    assert services.allocations_end_due(today=awarded.end + datetime.timedelta(days=1)) == 0
    awarded.refresh_from_db()
    assert awarded.status == Allocation.Status.ENDED and awarded.ended_on == awarded.end


def test_usage_is_recorded_as_a_running_total(awarded):
    services.allocation_record_usage(awarded, Decimal("120.456"))
    services.allocation_record_usage(awarded, 300)
    awarded.refresh_from_db()
    assert awarded.used_gpu_hours == Decimal("300.00")
    assert awarded.left_gpu_hours == Decimal("15700")
    assert awarded.usage_updated_at is not None


@pytest.mark.parametrize("total", [-1, "lots", "NaN", "Infinity"])
def test_usage_refuses_what_is_not_a_count(awarded, total):
    with pytest.raises(ValidationError):
        services.allocation_record_usage(awarded, total)
    awarded.refresh_from_db()
    assert awarded.used_gpu_hours == 0


def test_long_allocations_owe_progress_reports(asked, site_x, modes):
    ReportPolicy.objects.create(
        access_mode=modes["fast-lane"], final_report_days=45, progress_report_months=1
    )
    allocation = approve(asked, site_x.approver)
    reports = list(allocation.reports.values_list("kind", "due_on"))
    assert reports == [
        ("progress", add_months(allocation.start, 1)),
        ("final", allocation.end + datetime.timedelta(days=45)),
    ]
