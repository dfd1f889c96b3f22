"""Usage: GPU-hours an allocation used, from the site's accounting (a record pushed over the
site API for a period, or one finished Slurm job read from `sacct`). The allocation's used total
is the sum of its records (allocations.services.allocation_record_usage stores it)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class UsageSource(models.TextChoices):
    SITE_API = "site_api", _("Site API")
    SACCT = "sacct", _("Slurm accounting (sacct)")


class UsageRecord(models.Model):
    """One piece of usage, unique by its key within a factory and source: the period for the
    site API (`<allocation>:<start>:<end>`: pushing it again replaces it), the cluster and job
    for sacct (`<cluster>:<job id>`: a job read twice is counted once)."""

    Source = UsageSource

    factory = models.ForeignKey(
        "factories.AIFactory", on_delete=models.PROTECT, related_name="usage_records"
    )
    allocation = models.ForeignKey(
        "allocations.Allocation", on_delete=models.PROTECT, related_name="usage_records"
    )
    source = models.CharField(max_length=8, choices=UsageSource.choices)
    key = models.CharField(max_length=120)
    period_start = models.DateField()
    period_end = models.DateField()
    gpu_hours = models.DecimalField(
        max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal("0"))]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_end", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["factory", "source", "key"], name="usage_key_unique"),
            models.CheckConstraint(condition=Q(gpu_hours__gte=0), name="usage_not_negative"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="usage_period_order"
            ),
        ]
        indexes = [models.Index(fields=["allocation", "period_end"])]

    def __str__(self) -> str:
        return f"{self.gpu_hours} GPU-hours on allocation {self.allocation_id} ({self.key})"
