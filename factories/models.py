"""The catalogue: AI Factories, their systems, and where each published fact comes from.

Every figure that was not published is stored as NULL and shown as "not yet published", never
as 0. Vendor "AI exaflops" (low precision) are kept apart from FP64 peak petaflops.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import dateformat
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from portal.models import TimeStampedModel


class AIFactory(TimeStampedModel):
    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(
        max_length=60, blank=True, help_text="How the factory is usually called, e.g. 'LUMI AIF'."
    )
    slug = models.SlugField(max_length=60, unique=True)
    city = models.CharField(max_length=120)
    location_note = models.CharField(
        max_length=255, blank=True, help_text="Where the machines stand when not in the city."
    )
    country = CountryField()
    host_entity = models.CharField(max_length=255)
    partners = models.TextField(
        blank=True, help_text="Partner countries and organisations, one per line."
    )
    wave = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], help_text="Selection wave (1 = the first seven)."
    )
    selected_on = models.DateField(null=True, blank=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    funding_notes = models.TextField(blank=True)
    services_note = models.TextField(blank=True, help_text="When the factory's services started.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["wave", "name"]
        verbose_name = _("AI Factory")
        verbose_name_plural = _("AI Factories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def get_absolute_url(self) -> str:
        return reverse("factories:factory-detail", kwargs={"slug": self.slug})

    @property
    def partner_list(self) -> list[str]:
        return [line.strip() for line in self.partners.splitlines() if line.strip()]


class System(TimeStampedModel):
    class Kind(models.TextChoices):
        SUPERCOMPUTER = "supercomputer", _("AI-optimised supercomputer")
        EXPERIMENTAL = "experimental_platform", _("Experimental platform")

    class Origin(models.TextChoices):
        NEW = "new", _("New system")
        UPGRADE = "upgrade", _("Upgrade of an existing system")
        EXISTING = "existing", _("Existing system")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        PROCUREMENT = "procurement", _("Procurement")
        INSTALLING = "installing", _("Installing")
        OPERATIONAL = "operational", _("Operational")
        RETIRED = "retired", _("Retired")

    class DatePrecision(models.TextChoices):
        DAY = "day", _("Day")
        MONTH = "month", _("Month")
        YEAR = "year", _("Year")

    factory = models.ForeignKey(AIFactory, on_delete=models.PROTECT, related_name="systems")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.SUPERCOMPUTER)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.NEW)
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        blank=True,
        help_text="Empty while the status has not been published.",
    )
    vendor = models.CharField(max_length=500, blank=True)
    accelerator = models.CharField(
        max_length=500, blank=True, help_text="Accelerator model, e.g. 'NVIDIA GB200 NVL4'."
    )
    accelerator_count = models.PositiveIntegerField(null=True, blank=True)
    accelerator_count_is_minimum = models.BooleanField(
        default=False, help_text="The published figure is a lower bound ('more than …')."
    )
    nodes = models.PositiveIntegerField(null=True, blank=True)
    gpus_per_node = models.PositiveSmallIntegerField(
        _("GPUs per node"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "What converts node-hours into GPU-hours on this system (a partition may say "
            "otherwise). Empty: not yet published."
        ),
    )
    peak_pflops = models.DecimalField(
        "peak FP64 PFlop/s",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Double-precision peak. Never put vendor 'AI exaflops' here.",
    )
    ai_exaflops_training = models.DecimalField(
        "AI exaflops (training)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Vendor low-precision AI throughput for training.",
    )
    ai_exaflops_inference = models.DecimalField(
        "AI exaflops (inference)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Vendor low-precision AI throughput for inference.",
    )
    available_from = models.DateField(null=True, blank=True)
    available_from_precision = models.CharField(
        max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    available_from_note = models.CharField(max_length=500, blank=True)
    allocatable_gpu_hours_per_year = models.PositiveBigIntegerField(
        "allocatable GPU-hours per year",
        null=True,
        blank=True,
        help_text="What the portal may award on this system each year. Empty: not yet published.",
    )
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["factory__wave", "factory__name", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["factory", "name"], name="system_unique_name_per_factory"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["supercomputer", "experimental_platform"]),
                name="system_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "",
                        "planned",
                        "procurement",
                        "installing",
                        "operational",
                        "retired",
                    ]
                ),
                name="system_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("factories:system-detail", kwargs={"slug": self.slug})

    @property
    def available_from_display(self) -> str:
        if self.available_from is None:
            return ""
        # Month names in the active language (dateformat), not the C locale's (strftime).
        if self.available_from_precision == self.DatePrecision.YEAR:
            return f"{self.available_from:%Y}"
        if self.available_from_precision == self.DatePrecision.MONTH:
            return dateformat.format(self.available_from, "F Y")
        return dateformat.format(self.available_from, "j F Y")


class Partition(TimeStampedModel):
    """A part of a system that applicants ask resources on (e.g. JUPITER's Booster), with its
    own GPUs per node when they differ from the system's. Catalogue data, edited by admins."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="partitions")
    name = models.CharField(_("name"), max_length=120)
    accelerator = models.CharField(_("accelerator"), max_length=300, blank=True)
    gpus_per_node = models.PositiveSmallIntegerField(
        _("GPUs per node"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: the system's figure, or not yet published."),
    )
    is_open = models.BooleanField(
        _("open to applications"),
        default=True,
        help_text=_("Offered in the application form (only the partitions open this round)."),
    )
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["system", "name"]
        verbose_name = _("partition")
        verbose_name_plural = _("partitions")
        constraints = [
            models.UniqueConstraint(fields=["system", "name"], name="partition_unique_per_system")
        ]

    def __str__(self) -> str:
        return f"{self.system.name} {self.name}"

    @property
    def node_gpus(self) -> int | None:
        """The GPUs per node that convert its hours: its own, else the system's, else None."""
        return self.gpus_per_node or self.system.gpus_per_node


class Source(TimeStampedModel):
    """Where a published fact about a factory or a system comes from."""

    class Confidence(models.TextChoices):
        SOLID = "solid", _("Solid (two or more independent sources, or the official body)")
        MEDIUM = "medium", _("Medium (one credible source)")
        WEAK = "weak", _("Weak (one low-quality source, or sources disagree)")
        UNRATED = "unrated", _("Not rated")

    factory = models.ForeignKey(
        AIFactory, on_delete=models.CASCADE, null=True, blank=True, related_name="sources"
    )
    system = models.ForeignKey(
        System, on_delete=models.CASCADE, null=True, blank=True, related_name="sources"
    )
    antenna = models.ForeignKey(
        "Antenna", on_delete=models.CASCADE, null=True, blank=True, related_name="sources"
    )
    url = models.URLField("URL", max_length=600)
    confidence = models.CharField(
        max_length=8, choices=Confidence.choices, default=Confidence.UNRATED
    )
    note = models.CharField(max_length=500, blank=True, help_text="Which fact it supports.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(factory__isnull=False) & Q(system__isnull=True) & Q(antenna__isnull=True)
                )
                | (Q(factory__isnull=True) & Q(system__isnull=False) & Q(antenna__isnull=True))
                | (Q(factory__isnull=True) & Q(system__isnull=True) & Q(antenna__isnull=False)),
                name="source_belongs_to_one_owner",
            ),
            models.UniqueConstraint(
                fields=["factory", "url"], name="source_unique_url_per_factory"
            ),
            models.UniqueConstraint(fields=["system", "url"], name="source_unique_url_per_system"),
            models.UniqueConstraint(
                fields=["antenna", "url"], name="source_unique_url_per_antenna"
            ),
        ]

    def __str__(self) -> str:
        return self.url


class Antenna(TimeStampedModel):
    """An AI Factory Antenna: a country's national AI support services with remote access to the
    AI-optimised systems of one or more established AI Factories (many-to-many, `AntennaLink`)."""

    class Membership(models.TextChoices):
        MEMBER_STATE = "member_state", _("EU Member State")
        PARTNER_COUNTRY = "partner_country", _("Partner country")

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200, blank=True, help_text="Empty while not published.")
    country = CountryField()
    membership = models.CharField(max_length=16, choices=Membership.choices, blank=True)
    host_entity = models.CharField(
        max_length=500, blank=True, help_text="Empty while it has not been published."
    )
    partners = models.TextField(blank=True, help_text="Partner organisations, one per line.")
    selected_on = models.DateField(null=True, blank=True)
    budget = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    factories: models.ManyToManyField[AIFactory, AntennaLink] = models.ManyToManyField(
        AIFactory, through="AntennaLink", related_name="antennas", blank=True
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["country", "name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name, or the country's antenna while no name has been published."""
        return self.name or f"AI Factory Antenna {self.country.name}"

    def get_absolute_url(self) -> str:
        return reverse("factories:antenna-detail", kwargs={"slug": self.slug})

    @property
    def partner_list(self) -> list[str]:
        return [line.strip() for line in self.partners.splitlines() if line.strip()]


class AntennaLink(TimeStampedModel):
    """An antenna's link to a factory whose systems it gives access to, with how sure that link
    is. Only solid and medium links are shown as links (`SHOWN`); a weak one is kept as data,
    for an admin to confirm."""

    antenna = models.ForeignKey(Antenna, on_delete=models.CASCADE, related_name="links")
    factory = models.ForeignKey(AIFactory, on_delete=models.CASCADE, related_name="antenna_links")
    confidence = models.CharField(
        max_length=8, choices=Source.Confidence.choices, default=Source.Confidence.UNRATED
    )
    basis = models.CharField(max_length=500, blank=True, help_text="What the link rests on.")

    # The confidences of a link shown as a link (on pages, in the API, in filters).
    SHOWN = (Source.Confidence.SOLID, Source.Confidence.MEDIUM)

    history = HistoricalRecords()

    class Meta:
        ordering = ["antenna", "factory"]
        constraints = [
            models.UniqueConstraint(fields=["antenna", "factory"], name="antenna_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.antenna} → {self.factory} ({self.confidence})"


class ReferenceValue(models.Model):
    """The value of one field of a reference-data row as last loaded from its file.

    Written only by `factories.reference`: when the row is created from the file, and whenever
    `refresh_reference_data` applies or records the file's value. A field whose current value
    still equals this one was not edited since, so a refresh may change it; one that differs
    was edited by an admin and is left alone. `entity` is factory, system, source or
    access_mode; `key` names the row as the files do: a slug, or `owner-entity:slug:url` for a
    source (cut-offs have no fields besides their natural key).
    """

    entity = models.CharField(max_length=20)
    key = models.CharField(max_length=700)
    field = models.CharField(max_length=60)
    value = models.JSONField(null=True, blank=True)
    loaded_at = models.DateTimeField()

    class Meta:
        ordering = ["entity", "key", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "key", "field"], name="reference_value_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity}:{self.key}.{self.field}"
