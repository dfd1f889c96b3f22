"""The admin of allocations: the ledger, change requests and reports view-only (services write
them); report policies per access mode and report-block overrides edited here."""

from __future__ import annotations

from django.contrib import admin

from allocations.models import Allocation, ChangeRequest, Report, ReportBlockOverride, ReportPolicy
from portal.admin import ViewOnly


@admin.register(Allocation)
class AllocationAdmin(ViewOnly, admin.ModelAdmin):
    """The capacity ledger: written only by the approval and the allocation services."""

    list_display = ["application", "system", "status", "gpu_hours", "extra_gpu_hours",
                    "used_gpu_hours", "start", "end", "period_year"]  # fmt: skip
    list_filter = ["status", "system__factory", "period_year"]
    list_select_related = ["application", "system"]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["allocation", "kind", "status", "created_at", "decided_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["allocation"]


@admin.register(Report)
class ReportAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["allocation", "kind", "due_on", "submitted_at", "reminded_at", "escalated_at"]
    list_filter = ["kind"]
    list_select_related = ["allocation"]


@admin.register(ReportPolicy)
class ReportPolicyAdmin(admin.ModelAdmin):
    """How many days after the end the final report is due, and the progress-report threshold,
    per access mode (modes without a row use the settings' defaults)."""

    list_display = ["access_mode", "final_report_days", "progress_report_months"]


@admin.register(ReportBlockOverride)
class ReportBlockOverrideAdmin(ViewOnly, admin.ModelAdmin):
    """Made on the site's reports page (/review/reports/), with a reason; kept as the record."""

    list_display = ["organisation", "factory", "created_by", "created_at"]
    list_select_related = ["organisation", "factory", "created_by"]
