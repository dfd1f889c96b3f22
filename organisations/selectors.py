"""Reads of organisations: the ones a user belongs to."""

from __future__ import annotations

from django.db.models import QuerySet

from organisations.models import Organisation


def organisation_list_for_user(*, user) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user).distinct().order_by("legal_name")
