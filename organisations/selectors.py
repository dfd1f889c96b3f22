"""Reads of organisations: the ones a user belongs to."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.db.models import F, QuerySet

from organisations.models import Membership, Organisation
from portal.querysets import built_once

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class MembershipRow(TypedDict):
    organisation_id: int
    role: str
    legal_name: str
    org_type: str
    country: str


def membership_rows_for_user(*, user: User | AnonymousUser) -> list[MembershipRow]:
    """The organisations a user belongs to, by name, with their role in each: one query, the
    columns a list shows."""
    if not user.is_authenticated:
        return []
    return list(_membership_rows().filter(user_id=user.pk))


@built_once
def _membership_rows() -> QuerySet:
    return Membership.objects.order_by("organisation__legal_name").values(
        "organisation_id",
        "role",
        legal_name=F("organisation__legal_name"),
        org_type=F("organisation__org_type"),
        country=F("organisation__country"),
    )


def organisation_list_for_user(*, user: User | AnonymousUser) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user).distinct().order_by("legal_name")
