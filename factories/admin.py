"""Admins edit the catalogue here: factories with their systems and sources inline, history kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django import forms
from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from .models import AIFactory, Antenna, AntennaLink, Partition, ReferenceValue, Source, System

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class SystemCount(TypedDict):
    """The annotation of the factory admin's list."""

    _system_count: int


class SystemAdminForm(forms.ModelForm):
    """A system's yearly capacity may not go below what the ledger has already allocated."""

    class Meta:
        model = System
        exclude: list[str] = []  # the admin's fieldsets say which fields are shown

    def clean_allocatable_gpu_hours_per_year(self) -> int | None:
        # Imported here: access_requests imports factories' models at load time.
        from allocations.selectors import system_capacity_check

        capacity = self.cleaned_data["allocatable_gpu_hours_per_year"]
        if self.instance.pk is not None:
            system_capacity_check(system_id=self.instance.pk, capacity=capacity)
        return capacity


class FactorySourceInline(admin.TabularInline):
    model = Source
    fk_name = "factory"
    fields = ["url", "confidence", "note"]
    extra = 0


class SystemSourceInline(FactorySourceInline):
    fk_name = "system"


class PartitionInline(admin.TabularInline):
    """The partitions applicants ask resources on, with their GPUs per node where they differ
    from the system's."""

    model = Partition
    fields = ["name", "accelerator", "gpus_per_node", "is_open", "notes"]
    extra = 0


class SystemInline(admin.StackedInline):
    model = System
    form = SystemAdminForm
    extra = 0
    show_change_link = True
    fields = [
        ("name", "slug"),
        ("kind", "origin", "status"),
        ("accelerator", "accelerator_count"),
        "allocatable_gpu_hours_per_year",
    ]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(AIFactory)
class AIFactoryAdmin(SimpleHistoryAdmin):
    list_display = ["display_name", "city", "country", "wave", "selected_on", "system_count"]
    list_filter = ["country", "wave", "systems__kind", "systems__status"]
    search_fields = ["name", "short_name", "city", "host_entity", "systems__name"]
    prepopulated_fields = {"slug": ["short_name"]}
    inlines = [SystemInline, FactorySourceInline]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "slug", "description", "website"]}),
        ("Where", {"fields": ["city", "location_note", "country", "host_entity", "partners"]}),
        ("Selection", {"fields": ["wave", "selected_on", "services_note", "funding_notes"]}),
    ]

    def get_queryset(self, request):
        from django.db.models import Count

        # distinct: searching or filtering on systems joins them a second time.
        return super().get_queryset(request).annotate(_system_count=Count("systems", distinct=True))

    @admin.display(description="Systems", ordering="_system_count")
    def system_count(self, factory: WithAnnotations[AIFactory, SystemCount]) -> int:
        return factory._system_count


@admin.register(System)
class SystemAdmin(SimpleHistoryAdmin):
    form = SystemAdminForm
    list_display = [
        "name",
        "factory",
        "kind",
        "status",
        "accelerator_count",
        "allocatable_gpu_hours_per_year",
    ]
    list_filter = ["kind", "status", "origin", "factory__country", "factory__wave", "factory"]
    list_select_related = ["factory"]
    search_fields = ["name", "vendor", "accelerator", "factory__name", "factory__city"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["factory"]
    inlines = [PartitionInline, SystemSourceInline]
    fieldsets = [
        (None, {"fields": ["factory", "name", "slug", "kind", "origin", "status", "notes"]}),
        (
            "Hardware",
            {
                "fields": [
                    "vendor",
                    "accelerator",
                    ("accelerator_count", "accelerator_count_is_minimum"),
                    ("nodes", "gpus_per_node"),
                    "peak_pflops",
                    ("ai_exaflops_training", "ai_exaflops_inference"),
                ]
            },
        ),
        (
            "Availability",
            {
                "fields": [
                    ("available_from", "available_from_precision"),
                    "available_from_note",
                    "allocatable_gpu_hours_per_year",
                ]
            },
        ),
    ]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting to an old version checks the capacity too; in one transaction, so that the
        # check's lock on the system's row lasts until the save (as the change form's does).
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["url", "confidence", "factory", "system", "antenna", "note"]
    list_filter = ["confidence"]
    list_select_related = ["factory", "system", "antenna"]
    search_fields = ["url", "note"]
    autocomplete_fields = ["factory", "system", "antenna"]


class AntennaSourceInline(FactorySourceInline):
    fk_name = "antenna"


class AntennaLinkInline(admin.TabularInline):
    """The factories an antenna links to; only solid and medium links are shown as links."""

    model = AntennaLink
    fields = ["factory", "confidence", "basis"]
    autocomplete_fields = ["factory"]
    extra = 0


@admin.register(Antenna)
class AntennaAdmin(SimpleHistoryAdmin):
    list_display = ["display_name", "country", "membership", "host_entity"]
    list_filter = ["membership", "country", "links__confidence"]
    search_fields = ["name", "host_entity", "partners", "links__factory__name"]
    inlines = [AntennaLinkInline, AntennaSourceInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "country", "membership", "selected_on"]}),
        ("Who", {"fields": ["host_entity", "partners", "budget", "notes"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()  # filtering on links joins them


@admin.register(ReferenceValue)
class ReferenceValueAdmin(admin.ModelAdmin):
    """What the reference files last set, field by field (refresh_reference_data compares the
    current values with these): view only, written by factories.reference."""

    list_display = ["entity", "key", "field", "value", "loaded_at"]
    list_filter = ["entity"]
    search_fields = ["key", "field"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
