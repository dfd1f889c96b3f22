"""Access modes, applications, their team, attachments and events; the status transition map."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from applications.call_form_models import (  # noqa: F401  (the call form's models, registered here)
    CallFormAnswers,
    CallFormRules,
    ExcludedReviewer,
    Milestone,
    ResourceLine,
)
from applications.choices import AIActRisk, AIDomain, GDPRBasis, Workload
from factories.models import System
from organisations.models import Organisation, OrganisationType
from portal.models import TimeStampedModel


class AccessMode(CallFormRules, TimeStampedModel):
    class Schedule(models.TextChoices):
        CONTINUOUS = "continuous", _("Continuously open")
        CUTOFFS = "cutoffs", _("Dated cut-offs")

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)
    short_name = models.CharField(max_length=40, help_text=_("E.g. 'Fast Lane'."))
    family = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    eligible_org_types = models.JSONField(
        _("eligible organisation types"),
        default=list,
        help_text=_("Organisation types that may apply under this mode."),
    )
    min_gpu_hours = models.PositiveIntegerField(
        _("minimum GPU-hours"), null=True, blank=True, help_text=_("Empty: no published minimum.")
    )
    max_gpu_hours = models.PositiveIntegerField(
        _("maximum GPU-hours"), null=True, blank=True, help_text=_("Empty: no published maximum.")
    )
    durations_months = models.JSONField(
        _("allowed durations (months)"), default=list, help_text=_("E.g. [1, 2, 3].")
    )
    schedule = models.CharField(max_length=12, choices=Schedule.choices)
    decision_target_working_days = models.PositiveSmallIntegerField(
        help_text=_(
            "Working days of the factory's country (weekends and its public holidays "
            "excluded) from submission, or from the cut-off."
        )
    )
    review_steps = models.JSONField(default=list, help_text=_("The steps, in order, as text."))
    technical_reviews = models.PositiveSmallIntegerField(
        default=1, help_text=_("Technical reviewers routed to each application.")
    )
    scientific_reviews = models.PositiveSmallIntegerField(
        default=0, help_text=_("Scientific (peer) reviewers routed to each application.")
    )
    reviewer_identities_visible = models.BooleanField(
        default=False, help_text=_("Applicants may see who reviewed their application.")
    )
    systems = models.ManyToManyField(
        System, blank=True, related_name="access_modes", help_text=_("Systems offering this mode.")
    )
    is_active = models.BooleanField(default=True)
    confidence_note = models.CharField(max_length=300, blank=True)
    sources = models.JSONField(default=list, blank=True)
    # What the mode's public page explains, from the reference file: text, never enforced.
    size_note = models.TextField(blank=True, help_text=_("Sizes no solid or medium source gives."))
    cost = models.CharField(max_length=300, blank=True)
    cutoff_time = models.CharField(max_length=40, blank=True, help_text=_("E.g. '10:00 CET/CEST'."))
    decision_counted_from = models.CharField(
        max_length=12, blank=True, help_text=_("application or cut-off")
    )
    decision_target_about_months = models.PositiveSmallIntegerField(null=True, blank=True)
    eligibility = models.JSONField(default=dict, blank=True, help_text=_("Countries, conditions."))
    form_contents = models.JSONField(default=dict, blank=True)
    required_documents = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)

    history = HistoricalRecords(m2m_fields=[systems])

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_gpu_hours__isnull=True)
                | Q(max_gpu_hours__isnull=True)
                | Q(min_gpu_hours__lte=models.F("max_gpu_hours")),
                name="access_mode_bounds_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.short_name

    def get_eligible_org_types_display(self) -> list[str]:
        labels = dict(OrganisationType.choices)
        return [str(labels.get(t, t)) for t in self.eligible_org_types]  # labels are lazy


class Cutoff(models.Model):
    """A deadline of a mode with dated cut-offs: applications submitted before it are batched."""

    access_mode = models.ForeignKey(AccessMode, on_delete=models.CASCADE, related_name="cutoffs")
    closes_at = models.DateTimeField()

    class Meta:
        ordering = ["closes_at"]
        constraints = [
            models.UniqueConstraint(fields=["access_mode", "closes_at"], name="cutoff_unique")
        ]

    def __str__(self) -> str:
        return f"{self.access_mode}: {self.closes_at:%Y-%m-%d %H:%M}"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = ApplicationStatus
# The one transition map. Every service that moves an application checks it.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.NEEDS_ATTENTION, S.WITHDRAWN}),
    # Back to submitted: moved, with the applicant's consent, to a system at another site
    # (reviews.services.rerouting), where it is routed afresh.
    S.NEEDS_ATTENTION: frozenset({S.UNDER_REVIEW, S.WITHDRAWN, S.SUBMITTED}),
    S.UNDER_REVIEW: frozenset(
        {S.APPROVED, S.REJECTED, S.WITHDRAWN, S.NEEDS_ATTENTION, S.SUBMITTED}
    ),
    S.APPROVED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# Undecided: on the site's desk, counted in load, capacity pending and deadlines.
OPEN_STATUSES = (S.SUBMITTED, S.UNDER_REVIEW, S.NEEDS_ATTENTION)


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def untitled_format() -> str:
    """What an application without a title is called, with `%(number)s` for its number: in its
    pages (`str()`) and in every list's rows (formatted once a page, filled in per row)."""
    # Translators: an application without a title; %(number)s is its number.
    return gettext("Untitled application #%(number)s")


class Application(CallFormAnswers, TimeStampedModel):
    Status = ApplicationStatus

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("organisation"),
    )
    access_mode = models.ForeignKey(
        AccessMode, on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    system = models.ForeignKey(
        System, on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)

    # Project
    title = models.CharField(_("title"), max_length=200, blank=True)
    abstract = models.TextField(_("abstract"), blank=True, max_length=5000)
    ai_domain = models.CharField(
        _("AI domain"), max_length=20, choices=AIDomain.choices, blank=True
    )
    workload = models.CharField(_("workload"), max_length=12, choices=Workload.choices, blank=True)
    model_parameters_billions = models.DecimalField(
        _("model size (billions of parameters)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    frameworks = models.CharField(
        _("frameworks and containers"),
        max_length=500,
        blank=True,
        help_text=_("E.g. PyTorch 2.5, Apptainer image from NGC."),
    )

    # Resources
    gpu_hours = models.PositiveIntegerField(_("GPU-hours"), null=True, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(
        _("duration (months)"), null=True, blank=True, validators=[MaxValueValidator(36)]
    )

    # Data and compliance
    data_sources = models.TextField(_("data sources"), blank=True, max_length=3000)
    data_licence = models.CharField(_("data licence"), max_length=200, blank=True)
    personal_data = models.BooleanField(null=True, blank=True)
    gdpr_basis = models.CharField(
        _("GDPR legal basis"), max_length=24, choices=GDPRBasis.choices, blank=True
    )
    ai_act_risk = models.CharField(
        _("EU AI Act risk (self-assessment)"), max_length=12, choices=AIActRisk.choices, blank=True
    )

    # Set by services
    submitted_at = models.DateTimeField(null=True, blank=True)
    cutoff = models.ForeignKey(
        Cutoff, on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    expected_decision_by = models.DateField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    attention_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values), name="application_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "withdrawn"]) | Q(submitted_at__isnull=False),
                name="application_submitted_has_date",
            ),
            # What every later step reads: whatever writes a submitted application (a bulk
            # insert, a script) cannot leave these out.
            models.CheckConstraint(
                condition=Q(status__in=["draft", "withdrawn"])
                | (
                    Q(
                        organisation__isnull=False,
                        access_mode__isnull=False,
                        system__isnull=False,
                        gpu_hours__isnull=False,
                        start_date__isnull=False,
                        duration_months__isnull=False,
                    )
                    & ~Q(title="")
                ),
                name="application_submitted_is_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["applicant", "status"]),
        ]

    def __str__(self) -> str:
        return self.title or untitled_format() % {"number": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("applications:application-detail", kwargs={"pk": self.pk})

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_open(self) -> bool:
        """Undecided: submitted, under review or needing attention."""
        return self.status in OPEN_STATUSES

    @property
    def can_withdraw(self) -> bool:
        return can_transition(self.status, self.Status.WITHDRAWN)

    # For code that only handles submitted applications (routing, reviews, decisions): what the
    # `application_submitted_is_complete` constraint guarantees them, typed without None.
    @property
    def submitted_access_mode(self) -> AccessMode:
        if self.access_mode is None:
            raise ValueError(f"Application {self.pk} is not submitted: it has no access mode.")
        return self.access_mode

    @property
    def submitted_system(self) -> System:
        if self.system is None:
            raise ValueError(f"Application {self.pk} is not submitted: it has no system.")
        return self.system


# The most members a team may list, in the form and over the API alike.
TEAM_MAX_MEMBERS = 30


class TeamMember(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="team_members"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=120, blank=True)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "email"], name="team_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"applications/{instance.application_id}/{instance.token}.pdf"


class Attachment(TimeStampedModel):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class ApplicationEvent(models.Model):
    """One change of an application: the timeline and the audit trail. Written by services."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        EDITED = "edited", _("Edited")
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        ROUTED = "routed", _("Routed to reviewers")
        NEEDS_ATTENTION = "needs_attention", _("Needs attention")
        REVIEWED = "reviewed", _("Review received")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        # The allocation's life after the award (allocations.services).
        ALLOCATION = "allocation", _("Allocation")
        CHANGE_REQUEST = "change_request", _("Change request")
        REPORT = "report", _("Report")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=16, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ApplicationStatus.choices)
    message = models.CharField(max_length=500, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    internal = models.BooleanField(
        default=False, help_text=_("Shown to staff and reviewers only, never to the applicant.")
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.kind} ({self.from_status} → {self.to_status})"
