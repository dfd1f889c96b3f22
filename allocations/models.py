"""Allocations: GPU-hours granted on a system for a period; what the capacity ledger counts."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from factories.models import System
from portal.models import TimeStampedModel


class Allocation(TimeStampedModel):
    """GPU-hours granted on a system for a period: the capacity ledger. The period of capacity
    is the calendar year in which the allocation starts."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="allocation"
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
