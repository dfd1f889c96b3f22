"""The admin of reviewer pools (site roles), conflicts, routing records, reviews, decisions."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from simple_history.admin import SimpleHistoryAdmin

from portal.admin import ViewOnly
from reviews.models import ConflictOfInterest, Decision, Review, RoutingRecord, SiteRole


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
    readonly_fields = ("created_at", "routing")
    fields = readonly_fields

    @admin.display(description="Routing")
    def routing(self, record: RoutingRecord) -> SafeString:
        return routing_summary(record)


@admin.register(RoutingRecord)
class RoutingRecordAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["created_at", "application", "factory", "trigger", "outcome"]
    list_filter = ["outcome", "trigger", "factory"]
    list_select_related = ["application", "factory"]
    search_fields = ["application__title", "reason"]
    readonly_fields = ("application", "factory", "created_at", "routing")
    fields = readonly_fields

    @admin.display(description="Routing")
    def routing(self, record: RoutingRecord) -> SafeString:
        return routing_summary(record)


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


@admin.register(SiteRole)
class SiteRoleAdmin(SimpleHistoryAdmin):
    list_display = ["user", "factory", "role", "is_active", "max_open_assignments"]
    list_filter = ["factory", "role", "is_active"]
    search_fields = ["user__email", "factory__name"]
    autocomplete_fields = ["user", "factory"]
