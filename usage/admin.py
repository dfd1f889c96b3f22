"""The admin of usage: view-only (written by the site API and import_usage)."""

from __future__ import annotations

from django.contrib import admin

from portal.admin import ViewOnly
from usage.models import UsageRecord


@admin.register(UsageRecord)
class UsageRecordAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["allocation", "factory", "source", "key", "period_start", "period_end",
                    "gpu_hours"]  # fmt: skip
    list_filter = ["source", "factory"]
    list_select_related = ["allocation", "factory"]
    search_fields = ["key"]
