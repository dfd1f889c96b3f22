"""Allocations: GPU-hours granted on a system for a period; what the capacity ledger counts.

An allocation lives: awarded (by the decision) -> active (handed off to the site) -> ended (past
its end date), or suspended on the way, or closed early. The one transition map is
`ALLOCATION_TRANSITIONS`; `allocations.services.allocation_transition` is the one way a status
changes, each change an event on the application's timeline."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from factories.models import System
from portal.models import TimeStampedModel


class AllocationStatus(models.TextChoices):
    AWARDED = "awarded", _("Awarded")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Ended")
    CLOSED = "closed", _("Closed early")


A = AllocationStatus

ALLOCATION_TRANSITIONS: dict[str, frozenset[str]] = {
    A.AWARDED: frozenset({A.ACTIVE, A.CLOSED}),
    A.ACTIVE: frozenset({A.SUSPENDED, A.ENDED, A.CLOSED}),
    A.SUSPENDED: frozenset({A.ACTIVE, A.ENDED, A.CLOSED}),
    A.ENDED: frozenset(),
    A.CLOSED: frozenset(),
}

# Still running or about to: change requests are accepted, usage is counted.
LIVE_STATUSES = (A.AWARDED, A.ACTIVE, A.SUSPENDED)


def allocation_can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOCATION_TRANSITIONS.get(from_status, frozenset())


# The ledger's count of one allocation: what was awarded, plus extra GPU-hours granted by change
# requests, minus what was reclaimed. Summed per system and period year against its capacity.
LEDGER_GPU_HOURS = F("gpu_hours") + F("extra_gpu_hours") - F("reclaimed_gpu_hours")


class Allocation(TimeStampedModel):
    """GPU-hours granted on a system for a period: the capacity ledger. The period of capacity
    is the calendar year in which the allocation starts (an extension of the end date keeps it).

    Written only by `allocations.services` (and the decision, which creates it)."""

    Status = AllocationStatus

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="allocation"
    )
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="allocations")
    gpu_hours = models.PositiveIntegerField(
        "GPU-hours awarded", validators=[MinValueValidator(1)], help_text=_("By the decision.")
    )
    extra_gpu_hours = models.PositiveIntegerField(
        "extra GPU-hours", default=0, help_text=_("Granted since by change requests.")
    )
    reclaimed_gpu_hours = models.PositiveIntegerField(
        "reclaimed GPU-hours", default=0, help_text=_("Given back to the system's capacity.")
    )
    used_gpu_hours = models.DecimalField(
        "GPU-hours used",
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("The total reported by the site's usage import."),
    )
    usage_updated_at = models.DateTimeField(null=True, blank=True)
    start = models.DateField()
    end = models.DateField()
    period_year = models.PositiveSmallIntegerField(db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.AWARDED)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("When it ended or was closed (the final report's clock)."),
    )
    conditions = models.TextField(
        blank=True, help_text=_("The award's own conditions, beyond the standard ones.")
    )
    # When the usage emails went out (allocations.services.usage_alerts): each at most once.
    alerted_75_at = models.DateTimeField("75 % alert sent", null=True, blank=True)
    alerted_100_at = models.DateTimeField("100 % alert sent", null=True, blank=True)
    underuse_nudged_at = models.DateTimeField("under-use nudge sent", null=True, blank=True)

    class Meta:
        ordering = ["-start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(gpu_hours__gt=0), name="allocation_positive"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="allocation_dates"),
            models.CheckConstraint(
                condition=Q(status__in=AllocationStatus.values), name="allocation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(used_gpu_hours__gte=0), name="allocation_used_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reclaimed_gpu_hours__lte=F("gpu_hours") + F("extra_gpu_hours")),
                name="allocation_reclaimed_within_award",
            ),
        ]
        indexes = [
            models.Index(fields=["system", "period_year"]),
            models.Index(fields=["status", "end"]),
        ]

    def __str__(self) -> str:
        return f"{self.total_gpu_hours:,} GPU-hours on {self.system} from {self.start}"

    @property
    def reference(self) -> str:
        """The award's reference number, on the letter and in every email: AIF-<year>-<id>."""
        return f"AIF-{self.period_year}-{self.pk:06d}"

    @property
    def total_gpu_hours(self) -> int:
        """What the allocation may use: awarded + extra - reclaimed (its count in the ledger)."""
        return self.gpu_hours + self.extra_gpu_hours - self.reclaimed_gpu_hours

    @property
    def left_gpu_hours(self) -> Decimal:
        return max(Decimal(self.total_gpu_hours) - self.used_gpu_hours, Decimal("0"))

    @property
    def used_percent(self) -> int:
        total = self.total_gpu_hours
        return min(round(100 * self.used_gpu_hours / total), 100) if total else 0

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class ChangeRequest(TimeStampedModel):
    """An applicant's request to change a live allocation, decided by the site approver."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("Extension of the end date")
        GPU_HOURS = "gpu_hours", _("More GPU-hours")
        TEAM = "team", _("Team change")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    allocation = models.ForeignKey(
        Allocation, on_delete=models.CASCADE, related_name="change_requests"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    new_end = models.DateField("new end date", null=True, blank=True)
    extra_gpu_hours = models.PositiveIntegerField("extra GPU-hours", null=True, blank=True)
    team_change = models.TextField(
        blank=True, help_text=_("Who joins or leaves the team, with their role and email.")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["extension", "gpu_hours", "team"]),
                name="change_request_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="extension") | Q(new_end__isnull=False),
                name="change_request_extension_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind="gpu_hours") | Q(extra_gpu_hours__gt=0),
                name="change_request_gpu_hours_positive",
            ),
            # One pending request of each kind per allocation.
            models.UniqueConstraint(
                fields=["allocation", "kind"],
                condition=Q(status="pending"),
                name="change_request_one_pending_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["status", "allocation"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of allocation {self.allocation_id}"


class ReclaimNotice(TimeStampedModel):
    """The site's notice that it means to take back unused GPU-hours of a live allocation: the
    holder may answer with a text until its deadline (working days); then, or once answered,
    the site's approver reclaims (never more than is unused) or withdraws it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RECLAIMED = "reclaimed", _("Reclaimed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    allocation = models.ForeignKey(
        Allocation, on_delete=models.CASCADE, related_name="reclaim_notices"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    gpu_hours = models.PositiveIntegerField(
        "GPU-hours to reclaim", validators=[MinValueValidator(1)], help_text=_("As noticed.")
    )
    reason = models.TextField()
    deadline = models.DateField(help_text=_("The holder may answer until this day."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    reclaimed_gpu_hours = models.PositiveIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(gpu_hours__gt=0), name="reclaim_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "reclaimed", "withdrawn"]),
                name="reclaim_status_valid",
            ),
            models.UniqueConstraint(
                fields=["allocation"], condition=Q(status="open"), name="reclaim_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"Reclaim notice of {self.gpu_hours:,} GPU-hours of allocation {self.allocation_id}"


class ReportPolicy(models.Model):
    """The reports an access mode's allocations owe: data on the access mode (one row each,
    edited in the admin); a mode without a row uses the defaults in settings
    (ALLOCATION_FINAL_REPORT_DAYS, ALLOCATION_PROGRESS_REPORT_MONTHS)."""

    access_mode = models.OneToOneField(
        "applications.AccessMode", on_delete=models.CASCADE, related_name="report_policy"
    )
    final_report_days = models.PositiveSmallIntegerField(
        default=30, help_text=_("Days after the allocation ends that the final report is due.")
    )
    progress_report_months = models.PositiveSmallIntegerField(
        default=12,
        help_text=_(
            "Allocations longer than this many months owe a progress report every this many "
            "months from their start."
        ),
    )

    class Meta:
        verbose_name_plural = _("report policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_report_months__gt=0), name="report_policy_months_positive"
            )
        ]

    def __str__(self) -> str:
        return f"Reports of {self.access_mode}"


class Report(TimeStampedModel):
    """A progress or final report an allocation owes, with its due date; the reminder and the
    escalation markers make the periodic job safe to run twice."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("Progress report")
        FINAL = "final", _("Final report")

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    due_on = models.DateField(db_index=True)
    text = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["progress", "final"]), name="report_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["allocation"], condition=Q(kind="final"), name="report_one_final"
            ),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | ~Q(text=""),
                name="report_submitted_has_text",
            ),
        ]
        indexes = [models.Index(fields=["submitted_at", "due_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of allocation {self.allocation_id}, due {self.due_on}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class ReportBlockOverride(TimeStampedModel):
    """Staff lift the block an overdue final report puts on an organisation's new applications
    to one site, with a reason: the organisation may submit there again."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    factory = models.ForeignKey("factories.AIFactory", on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Report block lifted for {self.organisation} at {self.factory}"
