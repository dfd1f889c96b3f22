"""Site roles, conflicts of interest, routing records, assignments, reviews and decisions."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from factories.models import AIFactory
from portal.models import TimeStampedModel


class SiteRole(TimeStampedModel):
    """A user's role at a factory (site): who reviews and who decides there."""

    class Role(models.TextChoices):
        TECHNICAL = "technical", _("Technical reviewer")
        SCIENTIFIC = "scientific", _("Scientific reviewer")
        APPROVER = "approver", _("Site approver")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_roles"
    )
    factory = models.ForeignKey(AIFactory, on_delete=models.CASCADE, related_name="site_roles")
    role = models.CharField(max_length=12, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    max_open_assignments = models.PositiveSmallIntegerField(default=10)
    expertise = models.JSONField(
        default=list, blank=True, help_text=_("AI domains the reviewer knows, e.g. ['health'].")
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "factory", "role"], name="site_role_unique")
        ]
        indexes = [models.Index(fields=["factory", "role", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} at {self.factory}"


class ConflictOfInterest(TimeStampedModel):
    """A reviewer's declared conflict with an organisation: never routed its applications."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="conflicts"
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "organisation"], name="conflict_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} ↔ {self.organisation}"


class RoutingRecord(models.Model):
    """Why an application went to whom: candidates, exclusions with reasons, choice, loads."""

    class Outcome(models.TextChoices):
        ROUTED = "routed", _("Routed")
        NEEDS_ATTENTION = "needs_attention", _("Could not be staffed")

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="routing_records"
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
        TECHNICAL = "technical", _("Technical review")
        SCIENTIFIC = "scientific", _("Scientific review")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting acceptance")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        DONE = "done", _("Review submitted")
        # The application ended (withdrawn or decided) before this review was done.
        CLOSED = "closed", _("Closed: no longer needed")

    OPEN = (Status.PENDING, Status.ACCEPTED)

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="assignments"
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
        APPROVE = "approve", _("Approve")
        APPROVE_FEWER = "approve_fewer", _("Approve with fewer GPU-hours")
        REJECT = "reject", _("Reject")

    CRITERIA = {
        "technical_feasibility": _("Technical feasibility"),
        "ai_innovation": _("AI innovation and impact"),
        "team_readiness": _("Team readiness"),
        "resource_justification": _("Resource justification"),
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
            (str(label), getattr(self, field), getattr(self, f"{field}_note"))
            for field, label in self.CRITERIA.items()
        ]


class Decision(TimeStampedModel):
    class Outcome(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="decision"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    gpu_hours = models.PositiveIntegerField(null=True, blank=True)
    comment = models.TextField(max_length=4000)

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.application_id}"
