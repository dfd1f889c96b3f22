from __future__ import annotations

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AccessMode,
    Application,
    ApplicationEvent,
    Attachment,
    Cutoff,
    Membership,
    Organisation,
    OrganisationType,
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

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SiteRole)
class SiteRoleAdmin(SimpleHistoryAdmin):
    list_display = ["user", "factory", "role", "is_active", "max_open_assignments"]
    list_filter = ["factory", "role", "is_active"]
    search_fields = ["user__email", "factory__name"]
    autocomplete_fields = ["user", "factory"]
