"""A staff member's proposal to move an application to another system: it waits for the
applicant's consent (reviews.services.rerouting), and is never applied without it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MoveProposal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the applicant")
        ACCEPTED = "accepted", _("Accepted by the applicant")
        CLOSED = "closed", _("Closed (the application moved elsewhere or ended)")

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="move_proposals"
    )
    system = models.ForeignKey("factories.System", on_delete=models.PROTECT, related_name="+")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True, help_text="Shown to the applicant.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["application", "status"])]

    def __str__(self) -> str:
        return f"Move of {self.application_id} to {self.system_id}: {self.status}"
