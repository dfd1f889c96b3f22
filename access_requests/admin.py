"""The admin of applications and what hangs off them.

The audit trail is never edited or deleted here: applications, their events and routing
records, reviews, decisions and allocations are view only (an application is withdrawn or
closed through the portal's services, never deleted), and a user who acted in the audit trail
cannot be deleted (accounts/admin.py asks `audit_trail_protected`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AccessMode,
    Allocation,
    Application,
    ApplicationEvent,
    Attachment,
    ConflictOfInterest,
    Cutoff,
    Decision,
    Membership,
    Notification,
    Organisation,
    OrganisationType,
    Review,
    RoutingRecord,
    SiteRole,
    TeamMember,
)


class ViewOnly:
    """No add, no change, no delete (and so no "delete selected" action): view only."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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
        f"{n} application event(s) record {email} as their actor: deactivate the user (untick "
        "Active) instead of deleting them."
        for email, n in acted
    ]


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


class EventInline(ViewOnly, admin.TabularInline):
    model = ApplicationEvent
    extra = 0
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


# The team and the attachments change through the portal's services, which write the events.
class TeamMemberInline(ViewOnly, admin.TabularInline):
    model = TeamMember
    extra = 0
    fields = readonly_fields = ["name", "email", "role", "affiliation"]


class AttachmentInline(ViewOnly, admin.TabularInline):
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

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # withdrawn or closed through the services, never deleted

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


def routing_summary(record: RoutingRecord) -> SafeString:
    """The routing record as a table a person reads: who was chosen (with their load), who was
    excluded and why, and which candidates were eligible but not needed. Every value escaped."""
    chosen = [c for c in record.chosen or [] if isinstance(c, dict)]
    excluded = [e for e in record.exclusions or [] if isinstance(e, dict)]
    rows: list[tuple[str, str, str, str]] = [
        (
            "chosen",
            str(c.get("email", "")),
            str(c.get("kind", "")),
            f"{c.get('open_assignments', '?')} open assignment(s)"
            + (", matching expertise" if c.get("expertise_match") else ""),
        )
        for c in chosen
    ]
    rows += [
        ("excluded", str(e.get("email", "")), str(e.get("kind", "")), str(e.get("reason", "")))
        for e in excluded
    ]
    seen = {c.get("user_id") for c in chosen} | {e.get("user_id") for e in excluded}
    others = [pk for pk in record.candidates or [] if pk not in seen]
    if others:
        rows.append(("not needed", ", ".join(_emails(others)), "", "eligible, not chosen"))
    table = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
    ) or format_html("<tr><td colspan=4>{}</td></tr>", "No reviewer at this site.")
    return format_html(
        "<p>{} (trigger: {}), {} candidate(s). {}</p><table><thead><tr><th>Result</th>"
        "<th>Reviewer</th><th>Review</th><th>Why / load</th></tr></thead><tbody>{}</tbody>"
        "</table>",
        record.get_outcome_display(),
        record.trigger,
        len(record.candidates or []),
        record.reason,
        table,
    )


def _emails(user_ids: list[int]) -> list[str]:
    from django.contrib.auth import get_user_model

    found = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "email"))
    return [found.get(pk, f"user #{pk}") for pk in user_ids]


class RoutingRecordInline(ViewOnly, admin.TabularInline):
    model = RoutingRecord
    extra = 0
    readonly_fields = ["created_at", "routing"]
    fields = readonly_fields

    @admin.display(description="Routing")
    def routing(self, record: RoutingRecord) -> SafeString:
        return routing_summary(record)


ApplicationAdmin.inlines = [*ApplicationAdmin.inlines, RoutingRecordInline]


@admin.register(RoutingRecord)
class RoutingRecordAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["created_at", "application", "factory", "trigger", "outcome"]
    list_filter = ["outcome", "trigger", "factory"]
    list_select_related = ["application", "factory"]
    search_fields = ["application__title", "reason"]
    readonly_fields = ["application", "factory", "created_at", "routing"]
    fields = readonly_fields

    @admin.display(description="Routing")
    def routing(self, record: RoutingRecord) -> SafeString:
        return routing_summary(record)


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["created_at", "application", "kind", "from_status", "to_status", "actor"]
    list_filter = ["kind", "internal"]
    list_select_related = ["application", "actor"]
    search_fields = ["application__title", "message", "actor__email"]
    date_hierarchy = "created_at"


@admin.register(Decision)
class DecisionAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["application", "outcome", "gpu_hours", "approver", "created_at"]
    list_filter = ["outcome"]
    list_select_related = ["application", "approver"]
    search_fields = ["application__title", "approver__email"]


@admin.register(Review)
class ReviewAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["__str__", "reviewer", "recommendation", "created_at"]
    list_filter = ["recommendation"]
    list_select_related = ["assignment__reviewer"]
    search_fields = ["assignment__application__title", "assignment__reviewer__email"]

    @admin.display(description="Reviewer", ordering="assignment__reviewer__email")
    def reviewer(self, review: Review) -> str:
        return str(review.assignment.reviewer)


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "organisation", "reason", "created_at"]
    search_fields = ["reviewer__email", "organisation__legal_name"]
    autocomplete_fields = ["reviewer", "organisation"]


@admin.register(Allocation)
class AllocationAdmin(ViewOnly, admin.ModelAdmin):
    """The capacity ledger: written only by the approval, never edited or deleted."""

    list_display = ["application", "system", "gpu_hours", "start", "end", "period_year"]
    list_filter = ["system__factory", "period_year"]
    list_select_related = ["application", "system"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "sent_at", "attempts"]
    list_filter = ["sent_at"]
    search_fields = ["recipient", "subject", "key"]
    readonly_fields = [
        "key", "recipient", "subject", "body", "html_body", "application", "sent_at", "attempts"
    ]  # fmt: skip


@admin.register(SiteRole)
class SiteRoleAdmin(SimpleHistoryAdmin):
    list_display = ["user", "factory", "role", "is_active", "max_open_assignments"]
    list_filter = ["factory", "role", "is_active"]
    search_fields = ["user__email", "factory__name"]
    autocomplete_fields = ["user", "factory"]
