"""The parts of the real call form (issue 11, point 5): what an access mode asks for, and what an
application answers: resources per partition, milestones, an ethics self-assessment under the six
Trustworthy-AI headings, the PI's contract, the first-come-first-served consent and reviewers the
applicant asks to exclude. The mixins are fields of AccessMode and Application (models.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The most rows an application may list, in the form and over the API alike.
RESOURCE_LINES_MAX = 8
MILESTONES_MAX = 12
EXCLUDED_REVIEWERS_MAX = 3
# The PI's employment contract must be valid for more than this many months after the end of
# the allocation (ai-factories.md §3.2, the AI for Science form).
PI_CONTRACT_MARGIN_MONTHS = 3

# The six headings of the ethics self-assessment (ai-factories.md §3.3): field, heading.
ETHICS_HEADINGS: tuple[tuple[str, StrOrPromise], ...] = (
    ("ethics_human_agency", _("Respect for human agency")),
    ("ethics_privacy", _("Privacy and data governance")),
    ("ethics_fairness", _("Fairness")),
    ("ethics_wellbeing", _("Individual, social and environmental well-being")),
    ("ethics_transparency", _("Transparency")),
    ("ethics_accountability", _("Accountability")),
)
ETHICS_FIELDS = tuple(name for name, _heading in ETHICS_HEADINGS)
# The call form's single fields an applicant sets on a draft (services.EDITABLE_FIELDS).
CALL_FORM_FIELDS = (*ETHICS_FIELDS, "pi_contract_end", "pi_contract_permanent", "fcfs_consent")


class ResourceUnit(models.TextChoices):
    GPU_HOURS = "gpu_hours", _("GPU-hours")
    NODE_HOURS = "node_hours", _("node-hours")


class CallFormRules(models.Model):
    """What an access mode's form asks for. Admin-editable; set from the mode's reference data
    (applications/data/access_modes.json, from its `form_contents`)."""

    resource_unit = models.CharField(
        _("resource unit"),
        max_length=10,
        choices=ResourceUnit.choices,
        default=ResourceUnit.GPU_HOURS,
        help_text=_("How applicants state their hours per partition and in their milestones."),
    )
    requires_partition_resources = models.BooleanField(
        _("requires resources per partition"), default=False
    )
    requires_milestones = models.BooleanField(
        _("requires milestones"),
        default=False,
        help_text=_("Milestones given under any mode must add up to the request."),
    )
    requires_ethics_self_assessment = models.BooleanField(
        _("requires the ethics self-assessment"), default=False
    )
    requires_pi_contract = models.BooleanField(
        _("requires the PI's contract end"),
        default=False,
        help_text=_(
            "The PI's employment contract must be valid for more than 3 months after the end "
            "of the allocation."
        ),
    )
    requires_fcfs_consent = models.BooleanField(
        _("requires consent to first come, first served"), default=False
    )

    class Meta:
        abstract = True


def _ethics_field(label: StrOrPromise) -> models.TextField:
    return models.TextField(label, blank=True, max_length=3000)


class CallFormAnswers(models.Model):
    """An application's answers to the call form's single fields."""

    ethics_human_agency = _ethics_field(ETHICS_HEADINGS[0][1])
    ethics_privacy = _ethics_field(ETHICS_HEADINGS[1][1])
    ethics_fairness = _ethics_field(ETHICS_HEADINGS[2][1])
    ethics_wellbeing = _ethics_field(ETHICS_HEADINGS[3][1])
    ethics_transparency = _ethics_field(ETHICS_HEADINGS[4][1])
    ethics_accountability = _ethics_field(ETHICS_HEADINGS[5][1])
    pi_contract_end = models.DateField(
        _("end of the PI's employment contract"), null=True, blank=True
    )
    pi_contract_permanent = models.BooleanField(_("the PI's contract is permanent"), default=False)
    fcfs_consent = models.BooleanField(
        _("I accept that resources are given first come, first served"), default=False
    )

    class Meta:
        abstract = True


class ResourceLine(models.Model):
    """The resources asked on one partition of the application's system (no partition: the
    whole system, for systems whose partitions are not recorded). Hours as the applicant typed
    them, in either unit; the other is converted with the GPUs per node (call_form.py)."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="resource_lines"
    )
    partition = models.ForeignKey(
        "factories.Partition",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partition"),
    )
    node_hours = models.PositiveIntegerField(_("node-hours"), null=True, blank=True)
    gpu_hours = models.PositiveIntegerField(_("GPU-hours"), null=True, blank=True)
    parallel_jobs = models.PositiveSmallIntegerField(
        _("jobs in parallel"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    gpus_per_job = models.PositiveIntegerField(
        _("GPUs per job"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    memory_gb = models.PositiveIntegerField(_("memory per job (GB)"), null=True, blank=True)
    storage_tb = models.DecimalField(
        _("storage (TB)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    checkpoint_hours = models.DecimalField(
        _("checkpoint every (hours)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("resources on a partition")
        verbose_name_plural = _("resources per partition")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.partition or _('whole system')}"


class Milestone(models.Model):
    """A milestone of the work plan: when (the allocation's month) and the hours it takes, in
    the mode's unit. All milestones together must add up to the request."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("title"), max_length=200)
    month = models.PositiveSmallIntegerField(
        _("month of the allocation"), validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    hours = models.PositiveIntegerField(_("hours"))

    class Meta:
        ordering = ["month", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.title


class ExcludedReviewer(models.Model):
    """A reviewer the applicant asks not to review the application: routing never assigns a
    site's reviewer with this email, and records that it was at the applicant's request."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="excluded_reviewers"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("excluded reviewer")
        verbose_name_plural = _("excluded reviewers")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "email"], name="excluded_reviewer_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
