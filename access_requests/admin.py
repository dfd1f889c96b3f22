from __future__ import annotations

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AccessMode,
    Allocation,
    Application,
    ApplicationEvent,
    Attachment,
    ConflictOfInterest,
    Cutoff,
    Membership,
    Notification,
    Organisation,
    OrganisationType,
    RoutingRecord,
    SiteRole,
    TeamMember,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "country", "org_type", "registration_number", "sme_declared_on"]
    list_filter = ["org_type", "country"]
    search_fields = ["legal_name", "registration_number"]
    inlines = [MembershipInline]


class AccessModeForm(forms.ModelForm):
    eligible_org_types = forms.MultipleChoiceField(
        choices=OrganisationType.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = AccessMode
        exclude: list[str] = []


class CutoffInline(admin.TabularInline):
    model = Cutoff
    extra = 1


@admin.register(AccessMode)
class AccessModeAdmin(SimpleHistoryAdmin):
    form = AccessModeForm
    list_display = [
        "short_name",
        "schedule",
        "min_gpu_hours",
        "max_gpu_hours",
        "decision_target_working_days",
        "technical_reviews",
        "scientific_reviews",
        "is_active",
    ]
    list_filter = ["schedule", "is_active"]
    search_fields = ["name", "short_name"]
    filter_horizontal = ["systems"]
    inlines = [CutoffInline]


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    readonly_fields = [
        "created_at",
        "actor",
        "kind",
        "from_status",
        "to_status",
        "message",
        "internal",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["name", "size", "uploaded_by", "created_at"]
    fields = readonly_fields


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-mostly: applications change through the portal's services, never by hand here."""

    list_display = [
        "__str__",
        "applicant",
        "organisation",
        "access_mode",
        "system",
        "status",
        "submitted_at",
        "expected_decision_by",
    ]
    list_filter = ["status", "access_mode", "system__factory"]
    list_select_related = ["applicant", "organisation", "access_mode", "system"]
    search_fields = ["title", "applicant__email", "organisation__legal_name"]
    date_hierarchy = "submitted_at"
    inlines = [TeamMemberInline, AttachmentInline, EventInline]
    readonly_fields = [f.name for f in Application._meta.fields]
    actions = ["route_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Route again to the site's reviewers (after fixing the pool)")
    def route_again(self, request, queryset) -> None:
        from .review_services import application_route

        routed = 0
        for pk in queryset.values_list("pk", flat=True):
            record = application_route(application_id=pk, trigger="admin")
            routed += record is not None and record.outcome == "routed"
        self.message_user(
            request,
            f"{routed} of {queryset.count()} application(s) routed; the others had nothing to "
            "route or still cannot be staffed (see their routing records).",
        )


class RoutingRecordInline(admin.TabularInline):
    model = RoutingRecord
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "trigger", "outcome", "reason", "chosen", "exclusions"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


ApplicationAdmin.inlines = [*ApplicationAdmin.inlines, RoutingRecordInline]


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "organisation", "reason", "created_at"]
    search_fields = ["reviewer__email", "organisation__legal_name"]
    autocomplete_fields = ["reviewer", "organisation"]


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    list_display = ["application", "system", "gpu_hours", "start", "end", "period_year"]
    list_filter = ["system__factory", "period_year"]
    list_select_related = ["application", "system"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "sent_at", "attempts"]
    list_filter = ["sent_at"]
    search_fields = ["recipient", "subject", "key"]
    readonly_fields = ["key", "recipient", "subject", "body", "application", "sent_at", "attempts"]


@admin.register(SiteRole)
class SiteRoleAdmin(SimpleHistoryAdmin):
    list_display = ["user", "factory", "role", "is_active", "max_open_assignments"]
    list_filter = ["factory", "role", "is_active"]
    search_fields = ["user__email", "factory__name"]
    autocomplete_fields = ["user", "factory"]
