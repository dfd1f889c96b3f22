"""`{% rerouting_offer application user %}`: on the application's page, the alternatives its
applicant is offered when the site cannot take it (nothing, and no query, otherwise)."""

from __future__ import annotations

from typing import Any

from django import template

from applications.models import Application
from finder import selectors

register = template.Library()


@register.inclusion_tag("finder/_rerouting.html")
def rerouting_offer(application: Application, user: Any) -> dict[str, Any]:
    if application.applicant_id != getattr(user, "pk", None) or (
        application.status not in selectors.MOVABLE
    ):
        return {"why": ""}
    proposals = selectors.pending_proposals(application)
    why = selectors.move_offer_reason(application, proposals)
    if not why:
        return {"why": ""}
    by_slug = {p.system.slug: p for p in proposals}
    return {
        "application": application,
        "why": why,
        "alternatives": [
            (result, by_slug.get(result.system.slug))
            for result in selectors.application_alternatives(application)
        ],
    }
