"""Reads of organisations: the ones a user belongs to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from organisations.models import Organisation

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def organisation_list_for_user(*, user: User | AnonymousUser) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user).distinct().order_by("legal_name")
