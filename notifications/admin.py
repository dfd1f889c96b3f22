"""The admin of stored emails and of people's email preferences."""

from __future__ import annotations

from django.contrib import admin

from notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "kind", "created_at", "sent_at", "delivery", "attempts"]
    list_filter = ["delivery", "kind", "sent_at"]
    search_fields = ["recipient", "subject", "key"]
    readonly_fields = [
        "key", "kind", "recipient", "subject", "body", "html_body", "application", "sent_at",
        "delivery", "digest", "attempts",
    ]  # fmt: skip


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "daily_digest", "language", "updated_at"]
    list_filter = ["daily_digest", "language"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
