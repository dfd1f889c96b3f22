"""Emails to send once."""

from __future__ import annotations

from django.db import models


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
        "applications.Application",
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
