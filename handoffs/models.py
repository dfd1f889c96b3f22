"""Hand-offs: after the award, the allocation is set up at the site (a Waldur project and
order, a Slurm account from an exported document, or by hand), per factory as its
HandOffSettings say. The site's own API clients authenticate with a SiteToken."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import TimeStampedModel

ENV_NAME = RegexValidator(
    r"^[A-Z_][A-Z0-9_]*$", "The name of an environment variable: capitals, digits and _."
)
SLURM_NAME = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*$", "Lower-case letters, digits, - and _ (as Slurm spells names)."
)


class Backend(models.TextChoices):
    NONE = "none", _("None: the site sets the project up by hand")
    SITE_EXPORT = "site_export", _("Site export: a JSON document and Slurm commands over the API")
    WALDUR = "waldur", _("Waldur: a project and a resource order through Waldur's REST API")


class HandOffSettings(TimeStampedModel):
    """How one factory receives its awarded allocations. Secrets are never stored here: the
    Waldur token is read at run time from the environment variable this row names."""

    factory = models.OneToOneField(
        "factories.AIFactory", on_delete=models.CASCADE, related_name="handoff_settings"
    )
    backend = models.CharField(max_length=16, choices=Backend.choices, default=Backend.NONE)
    slurm_cluster = models.CharField(
        max_length=40, blank=True, validators=[SLURM_NAME],
        help_text=_("The Slurm cluster's name (sacctmgr's Cluster=, sacct's cluster)."),
    )  # fmt: skip
    slurm_account_prefix = models.CharField(
        max_length=20, default="aif-", validators=[SLURM_NAME],
        help_text=_("The allocation's Slurm account is this prefix and the application number."),
    )  # fmt: skip
    slurm_parent_account = models.CharField(
        max_length=40, blank=True, validators=[SLURM_NAME],
        help_text=_("Optional parent account in the site's Slurm hierarchy."),
    )  # fmt: skip
    waldur_api_url = models.URLField(
        "Waldur API URL",
        blank=True,
        help_text=_("E.g. https://waldur.example.eu/ (without /api/)."),
    )
    waldur_token_env = models.CharField(
        "Waldur token variable", max_length=60, blank=True, validators=[ENV_NAME],
        help_text=_(
            "The environment variable that holds the Waldur API token (never stored here)."
        ),
    )  # fmt: skip
    waldur_customer_uuid = models.UUIDField(
        "Waldur customer (organisation) UUID", null=True, blank=True
    )
    waldur_offering_uuid = models.UUIDField("Waldur offering UUID", null=True, blank=True)
    waldur_plan_uuid = models.UUIDField("Waldur plan UUID", null=True, blank=True)
    waldur_gpu_component = models.CharField(
        "Waldur GPU limit component", max_length=40, default="gpu_hours",
        help_text=_("The offering's component whose limit is set to the GPU-hours awarded."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("hand-off settings")
        verbose_name_plural = _("hand-off settings")

    def __str__(self) -> str:
        return f"Hand-off of {self.factory}: {self.get_backend_display()}"

    def clean(self) -> None:
        if self.backend == Backend.WALDUR:
            required = {
                "waldur_api_url": self.waldur_api_url,
                "waldur_token_env": self.waldur_token_env,
                "waldur_customer_uuid": self.waldur_customer_uuid,
                "waldur_offering_uuid": self.waldur_offering_uuid,
            }
            missing = {
                name: ["The Waldur backend needs this."] for name, v in required.items() if not v
            }
            if missing:
                raise ValidationError(missing)
        if self.backend == Backend.SITE_EXPORT and not self.slurm_cluster:
            raise ValidationError({"slurm_cluster": ["The site export needs the cluster's name."]})


class HandOffStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    RUNNING = "running", _("In progress")
    WAITING = "waiting", _("Waiting for the site")
    DONE = "done", _("Set up at the site")
    FAILED = "failed", _("Failed")
    MANUAL = "manual", _("To be set up by hand")


class HandOff(TimeStampedModel):
    """One allocation's hand-off to its site: the backend it went through, its state, what the
    site's system answered (Waldur's identifiers, the exported document), the last error."""

    Status = HandOffStatus

    allocation = models.OneToOneField(
        "allocations.Allocation", on_delete=models.PROTECT, related_name="handoff"
    )
    factory = models.ForeignKey(
        "factories.AIFactory", on_delete=models.PROTECT, related_name="handoffs"
    )
    backend = models.CharField(max_length=16, choices=Backend.choices)
    status = models.CharField(
        max_length=8, choices=HandOffStatus.choices, default=HandOffStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    slurm_account = models.CharField(max_length=60, blank=True)
    export = models.JSONField(default=dict, blank=True)
    waldur_project_uuid = models.CharField(max_length=32, blank=True)
    waldur_order_uuid = models.CharField(max_length=32, blank=True)
    waldur_order_state = models.CharField(max_length=24, blank=True)
    waldur_resource_uuid = models.CharField(max_length=32, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["factory", "slurm_account"],
                condition=~Q(slurm_account=""),
                name="handoff_one_account_per_factory",
            ),
            models.CheckConstraint(
                condition=Q(status__in=HandOffStatus.values), name="handoff_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["factory", "status"])]

    def __str__(self) -> str:
        return f"Hand-off of allocation {self.allocation_id}: {self.get_status_display()}"


class HandOffEvent(models.Model):
    """One change of a hand-off's state: who (None for the worker), from, to, when, why."""

    handoff = models.ForeignKey(HandOff, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    from_status = models.CharField(max_length=8, blank=True)
    to_status = models.CharField(max_length=8)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status}"


def site_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class SiteToken(TimeStampedModel):
    """A factory's key for the site API (`Authorization: Site <key>`): it reads and writes only
    that factory's hand-offs and usage. Only the key's SHA-256 is stored; the key is shown once
    when it is issued."""

    factory = models.ForeignKey(
        "factories.AIFactory", on_delete=models.CASCADE, related_name="site_tokens"
    )
    name = models.CharField(max_length=80, help_text=_("Who uses it, e.g. 'LUMI accounting cron'."))
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["factory", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
