"""Allocations' fixtures: Alice's Fast Lane application at LUMI (20,000 GPU-hours for 2 months
from a week ahead), routed, reviewed and approved by Paula for 16,000."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from allocations.models import Allocation
from reviews.services import decisions as decision_services
from reviews.services import routing as routing_services
from tests.fixtures.reviews import *  # noqa: F403 (the review-side fixtures)
from tests.fixtures.reviews import person, review_all

AWARD = 16_000
ASKED = 20_000


def approve(application, approver, gpu_hours: int = AWARD, **values) -> Allocation:
    review_all(application)
    decision_services.application_decide(
        application=application, approver=approver, outcome="approve", gpu_hours=gpu_hours,
        comment="A sound plan.", **values,
    )  # fmt: skip
    return Allocation.objects.select_related("system__factory", "application").get(
        application=application
    )


@pytest.fixture
def asked(submit_application):
    """Alice's application, routed at LUMI, asking for 20,000 GPU-hours."""
    application = submit_application(gpu_hours=ASKED)
    routing_services.application_route(application_id=application.pk)
    application.refresh_from_db()
    return application


@pytest.fixture
def awarded(asked, site_x) -> Allocation:
    return approve(asked, site_x.approver)


@pytest.fixture
def staff(db):
    """Sam: staff and superuser, with two-factor authentication set up."""
    sam = person("sam@example.org", "Sam Staff", is_staff=True, is_superuser=True)
    TOTP.activate(sam, generate_totp_secret())
    return sam
