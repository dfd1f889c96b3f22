"""The admin of hand-offs: each factory's settings, the hand-offs (retried by staff), and the
site keys (issued here, shown once)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from handoffs import services
from handoffs.models import HandOff, HandOffEvent, HandOffSettings, SiteToken
from portal.admin import ViewOnly


@admin.register(HandOffSettings)
class HandOffSettingsAdmin(admin.ModelAdmin):
    list_display = ["factory", "backend", "slurm_cluster", "waldur_api_url"]
    list_filter = ["backend"]
    list_select_related = ["factory"]
    fieldsets = (
        (None, {"fields": ["factory", "backend"]}),
        ("Slurm (site export, usage import)", {
            "fields": ["slurm_cluster", "slurm_account_prefix", "slurm_parent_account"],
        }),
        ("Waldur", {
            "fields": ["waldur_api_url", "waldur_token_env", "waldur_customer_uuid",
                       "waldur_offering_uuid", "waldur_plan_uuid", "waldur_gpu_component"],
            "description": "The token itself is never stored: name the environment variable "
            "of the worker that holds it.",
        }),
    )  # fmt: skip


class HandOffEventInline(ViewOnly, admin.TabularInline):
    model = HandOffEvent
    extra = 0
    fields = ("created_at", "from_status", "to_status", "actor", "message")
    readonly_fields = fields


@admin.register(HandOff)
class HandOffAdmin(ViewOnly, admin.ModelAdmin):
    """Hand-offs are written by the worker and the site; staff retry them (the action)."""

    list_display = ["allocation", "factory", "backend", "status", "attempts", "updated_at"]
    list_filter = ["status", "backend", "factory"]
    list_select_related = ["allocation__system", "factory"]
    inlines = [HandOffEventInline]
    actions = ["retry"]

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_staff  # the page shows; every field is read-only

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in HandOff._meta.fields]

    @admin.action(description="Retry the selected hand-offs")
    def retry(self, request, queryset: QuerySet[HandOff]) -> None:
        for handoff in queryset:
            try:
                services.handoff_retry(handoff=handoff, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{handoff}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{handoff}: queued again.", messages.SUCCESS)


@admin.register(SiteToken)
class SiteTokenAdmin(admin.ModelAdmin):
    """Adding a key shows it once; only its digest is kept. Revoke instead of deleting."""

    list_display = ["name", "factory", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["factory"]
    fields = ["factory", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        base = ["prefix", "created_at", "last_used_at", "revoked_at"]
        return [*base, "factory"] if obj else base

    def save_model(self, request, obj: SiteToken, form, change: bool) -> None:
        if change:
            obj.save(update_fields=["name", "updated_at"])
            return
        token, key = services.site_token_issue(factory=obj.factory, name=obj.name)
        obj.pk, obj.digest, obj.prefix = token.pk, token.digest, token.prefix
        obj._state.adding = False
        self.message_user(
            request,
            f"The site key of {token.factory} (shown only now, copy it): {key}",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected site keys")
    def revoke(self, request, queryset: QuerySet[SiteToken]) -> None:
        for token in queryset:
            services.site_token_revoke(token=token)
        self.message_user(request, "Revoked.", messages.SUCCESS)
