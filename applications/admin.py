"""The admin of access modes and applications.

The audit trail is never edited or deleted here: applications and their events are view-only
or protected; an application changes through its services (withdrawal, routing again)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from applications.call_form_models import ExcludedReviewer, Milestone, ResourceLine
from applications.models import (
    AccessMode,
    Application,
    ApplicationEvent,
    Attachment,
    Cutoff,
    TeamMember,
)
from organisations.models import OrganisationType
from portal.admin import ViewOnly
from reviews.admin import RoutingRecordInline


def audit_trail_protected(users: Iterable[Any]) -> list[str]:
    """Why deleting `users` would blank them out of the audit trail (an event's actor is set to
    NULL when its user goes): one line per user who is the actor of events, for the admin's
    "protected related objects" list, which refuses the deletion."""
    acted = (
        ApplicationEvent.objects.filter(actor__in=users)
        .values_list("actor__email")
        .annotate(n=Count("pk"))
        .order_by("actor__email")
    )
    return [
        ngettext(
            "%(n)s application event records %(email)s as its actor: deactivate the user "
            "(untick Active) instead of deleting them.",
            "%(n)s application events record %(email)s as their actor: deactivate the user "
            "(untick Active) instead of deleting them.",
            n,
        )
        % {"n": n, "email": email}
        for email, n in acted
    ]


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


class EventInline(ViewOnly, admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    readonly_fields = (
        "created_at",
        "actor",
        "kind",
        "from_status",
        "to_status",
        "message",
        "internal",
    )
    fields = readonly_fields


# The team and the attachments change through the portal's services, which write the events.
class TeamMemberInline(ViewOnly, admin.TabularInline):
    model = TeamMember
    extra = 0
    fields = readonly_fields = ("name", "email", "role", "affiliation")


class AttachmentInline(ViewOnly, admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ("name", "size", "uploaded_by", "created_at")
    fields = readonly_fields


# The call form's lists, written by applications.call_form_services.
class ResourceLineInline(ViewOnly, admin.TabularInline):
    model = ResourceLine
    extra = 0
    fields = readonly_fields = (
        "partition", "node_hours", "gpu_hours", "parallel_jobs", "gpus_per_job", "memory_gb",
        "storage_tb", "checkpoint_hours",
    )  # fmt: skip


class MilestoneInline(ViewOnly, admin.TabularInline):
    model = Milestone
    extra = 0
    fields = readonly_fields = ("month", "title", "hours")


class ExcludedReviewerInline(ViewOnly, admin.TabularInline):
    model = ExcludedReviewer
    extra = 0
    fields = readonly_fields = ("name", "email", "reason")


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
    inlines = [
        TeamMemberInline,
        ResourceLineInline,
        MilestoneInline,
        ExcludedReviewerInline,
        AttachmentInline,
        EventInline,
        RoutingRecordInline,
    ]
    readonly_fields = [f.name for f in Application._meta.fields]
    actions = ["route_again"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # withdrawn or closed through the services, never deleted

    @admin.action(description=_("Route again to the site's reviewers (after fixing the pool)"))
    def route_again(self, request, queryset) -> None:
        from reviews.services.routing import application_route

        routed = 0
        for pk in queryset.values_list("pk", flat=True):
            record = application_route(application_id=pk, trigger="admin")
            routed += record is not None and record.outcome == "routed"
        self.message_user(
            request,
            f"{routed} of {queryset.count()} application(s) routed; the others had nothing to "
            "route or still cannot be staffed (see their routing records).",
        )


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["created_at", "application", "kind", "from_status", "to_status", "actor"]
    list_filter = ["kind", "internal"]
    list_select_related = ["application", "actor"]
    search_fields = ["application__title", "message", "actor__email"]
    date_hierarchy = "created_at"
