"""The admin of allocations: view-only (the ledger is written by decisions)."""

from __future__ import annotations

from django.contrib import admin

from allocations.models import Allocation
from portal.admin import ViewOnly


@admin.register(Allocation)
class AllocationAdmin(ViewOnly, admin.ModelAdmin):
    """The capacity ledger: written only by the approval, never edited or deleted."""

    list_display = ["application", "system", "gpu_hours", "start", "end", "period_year"]
    list_filter = ["system__factory", "period_year"]
    list_select_related = ["application", "system"]
