"""The admin of stored emails."""

from __future__ import annotations

from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "sent_at", "attempts"]
    list_filter = ["sent_at"]
    search_fields = ["recipient", "subject", "key"]
    readonly_fields = [
        "key", "recipient", "subject", "body", "html_body", "application", "sent_at", "attempts"
    ]  # fmt: skip
