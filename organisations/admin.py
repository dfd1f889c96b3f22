"""The admin of organisations and their members."""

from __future__ import annotations

from django.contrib import admin

from organisations.models import Membership, Organisation


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
