"""Reads of hand-offs: a factory's, for its site API; one allocation's, for its pages."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from handoffs.models import HandOff, SiteToken, site_token_digest


def site_token_get(*, key: str) -> SiteToken | None:
    """The live token with this key (its factory loaded), or None; records when it was used."""
    token = (
        SiteToken.objects.select_related("factory")
        .filter(digest=site_token_digest(key), revoked_at__isnull=True)
        .first()
    )
    if token is not None:
        SiteToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def handoff_list_for_factory(*, factory_id: int) -> QuerySet[HandOff]:
    return HandOff.objects.filter(factory_id=factory_id).select_related(
        "allocation__system", "allocation__application"
    )


def handoff_get_for_factory(*, factory_id: int, pk: int) -> HandOff:
    """The factory's hand-off; DoesNotExist (a 404) for another factory's."""
    return handoff_list_for_factory(factory_id=factory_id).get(pk=pk)
