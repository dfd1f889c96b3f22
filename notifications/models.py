"""Emails to send once, and what each person wants to receive."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An email to send once. A retry of its task finds `sent_at` set and sends nothing.

    `sent_at` is when it left the queue: sent (`delivery` email), held for its recipient's daily
    digest (digest; `digest` then names the digest email that carried it), or dropped because
    its recipient turned that kind of email off (off)."""

    class Delivery(models.TextChoices):
        PENDING = "", _("Not yet")
        EMAIL = "email", _("Sent")
        DIGEST = "digest", _("In the daily digest")
        OFF = "off", _("Not sent: turned off by its recipient")

    key = models.CharField(max_length=120, unique=True, help_text="What makes it unique.")
    kind = models.CharField(
        max_length=40, blank=True, help_text="The kind of email (its key's first part)."
    )
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
    delivery = models.CharField(max_length=8, choices=Delivery.choices, blank=True, default="")
    digest = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        help_text="The daily digest email that carried it.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The digest job's question: what is held and not yet in a digest.
            models.Index(
                fields=["recipient", "id"],
                name="notification_held",
                condition=models.Q(delivery="digest", digest__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"


class NotificationPreference(models.Model):
    """Which optional emails a person gets, how (at once or in a daily digest: reviewers'
    and approvers' emails), and in which language. No row: every email, at once, in the
    portal's language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
    )
    turned_off = models.JSONField(
        default=list, blank=True, help_text="The kinds of optional email not to send."
    )
    daily_digest = models.BooleanField(
        default=False,
        help_text="Reviewer and approver emails once a day in one digest instead of at once.",
    )
    language = models.CharField(
        max_length=10,
        blank=True,
        help_text="The language of the portal's emails (empty: the portal's default).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Email preferences of {self.user}"
