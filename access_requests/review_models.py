"""Routing, reviews, decisions, allocations and notifications (imported by models.py)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from factories.models import AIFactory, System
from portal.models import TimeStampedModel


class ConflictOfInterest(TimeStampedModel):
    """A reviewer's declared conflict with an organisation: never routed its applications."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts"
    )
    organisation = models.ForeignKey(
        "access_requests.Organisation", on_delete=models.CASCADE, related_name="conflicts"
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "conflicts of interest"
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "organisation"], name="conflict_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} ↔ {self.organisation}"


class RoutingRecord(models.Model):
    """Why an application went to whom: candidates, exclusions with reasons, choice, loads."""

    class Outcome(models.TextChoices):
        ROUTED = "routed", "Routed"
        NEEDS_ATTENTION = "needs_attention", "Could not be staffed"

    application = models.ForeignKey(
        "access_requests.Application", on_delete=models.CASCADE, related_name="routing_records"
    )
    factory = models.ForeignKey(AIFactory, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    candidates = models.JSONField(default=list)
    exclusions = models.JSONField(default=list)
    chosen = models.JSONField(default=list)
    reason = models.TextField(blank=True)
    trigger = models.CharField(max_length=40, default="submit")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Routing of {self.application_id}: {self.outcome}"


class Assignment(TimeStampedModel):
    class Kind(models.TextChoices):
        TECHNICAL = "technical", "Technical review"
        SCIENTIFIC = "scientific", "Scientific review"

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting acceptance"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        DONE = "done", "Review submitted"

    OPEN = (Status.PENDING, Status.ACCEPTED)

    application = models.ForeignKey(
        "access_requests.Application", on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decline_reason = models.CharField(max_length=300, blank=True)
    declined_for_conflict = models.BooleanField(default=False)
    due_by = models.DateField()
    responded_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_by", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="assignment_unique_reviewer"
            ),
        ]
        indexes = [models.Index(fields=["reviewer", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.application_id} by {self.reviewer}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Review(TimeStampedModel):
    class Recommendation(models.TextChoices):
        APPROVE = "approve", "Approve"
        APPROVE_FEWER = "approve_fewer", "Approve with fewer GPU-hours"
        REJECT = "reject", "Reject"

    CRITERIA = {
        "technical_feasibility": "Technical feasibility",
        "ai_innovation": "AI innovation and impact",
        "team_readiness": "Team readiness",
        "resource_justification": "Resource justification",
    }
    score_validators = [MinValueValidator(0), MaxValueValidator(5)]

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="review")
    technical_feasibility = models.PositiveSmallIntegerField(validators=score_validators)
    technical_feasibility_note = models.CharField(max_length=1000)
    ai_innovation = models.PositiveSmallIntegerField(validators=score_validators)
    ai_innovation_note = models.CharField(max_length=1000)
    team_readiness = models.PositiveSmallIntegerField(validators=score_validators)
    team_readiness_note = models.CharField(max_length=1000)
    resource_justification = models.PositiveSmallIntegerField(validators=score_validators)
    resource_justification_note = models.CharField(max_length=1000)
    comment_for_applicant = models.TextField(max_length=4000)
    internal_note = models.TextField(max_length=4000, blank=True)
    recommendation = models.CharField(max_length=16, choices=Recommendation.choices)
    recommended_gpu_hours = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(technical_feasibility__lte=5)
                & Q(ai_innovation__lte=5)
                & Q(team_readiness__lte=5)
                & Q(resource_justification__lte=5),
                name="review_scores_0_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"Review of {self.assignment.application_id}"

    @property
    def scores(self) -> list[tuple[str, int, str]]:
        return [
            (label, getattr(self, field), getattr(self, f"{field}_note"))
            for field, label in self.CRITERIA.items()
        ]


class Decision(TimeStampedModel):
    class Outcome(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"

    application = models.OneToOneField(
        "access_requests.Application", on_delete=models.PROTECT, related_name="decision"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    gpu_hours = models.PositiveIntegerField(null=True, blank=True)
    comment = models.TextField(max_length=4000)

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.application_id}"


class Allocation(TimeStampedModel):
    """GPU-hours granted on a system for a period: the capacity ledger. The period of capacity
    is the calendar year in which the allocation starts."""

    application = models.OneToOneField(
        "access_requests.Application", on_delete=models.PROTECT, related_name="allocation"
    )
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="allocations")
    gpu_hours = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    start = models.DateField()
    end = models.DateField()
    period_year = models.PositiveSmallIntegerField(db_index=True)

    class Meta:
        ordering = ["-start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(gpu_hours__gt=0), name="allocation_positive"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="allocation_dates"),
        ]
        indexes = [models.Index(fields=["system", "period_year"])]

    def __str__(self) -> str:
        return f"{self.gpu_hours:,} GPU-hours on {self.system} from {self.start}"


class Notification(models.Model):
    """An email to send once. A retry of its task finds `sent_at` set and sends nothing."""

    key = models.CharField(max_length=120, unique=True, help_text="What makes it unique.")
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="The text part.")
    html_body = models.TextField(
        blank=True, help_text="The HTML part (empty for emails stored before there was one)."
    )
    application = models.ForeignKey(
        "access_requests.Application",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"
