"""People and data for the applicant side.

Alice (applicant A) represents a German startup and applies; Bob (applicant B) must see nothing
of hers; Carol is a plain member of Alice's organisation; Rita represents it too (read-only on
Alice's applications); Sam is staff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import transaction
from django.utils import timezone

from access_requests import services
from access_requests.models import AccessMode, Application, Cutoff, Membership, Organisation
from factories.models import System
from tests.model_factories import UserFactory

from .helpers import application_values


@pytest.fixture(scope="session")
def _mode_rows(_catalogue_rows, django_db_setup, django_db_blocker):
    """The access modes and their systems as `access_modes_load` writes them from the real
    file, on top of the seed catalogue: computed once, then rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        for model, rows in _catalogue_rows:
            model.objects.bulk_create(model(**row) for row in rows)
        services.access_modes_load(
            data=services.access_modes_read(services.DEFAULT_ACCESS_MODES_PATH)
        )
        modes = list(AccessMode.objects.order_by("pk").values())
        links = list(AccessMode.systems.through.objects.order_by("pk").values())
        transaction.set_rollback(True)
    return modes, links


@pytest.fixture
def modes(catalogue, _mode_rows) -> dict[str, AccessMode]:
    """The four real access modes, with cut-offs of our own around today (the seed file's
    cut-offs are dated, so they would expire): -5, +10 and +40 days for the two cut-off modes."""
    mode_rows, links = _mode_rows
    AccessMode.objects.bulk_create(AccessMode(**row) for row in mode_rows)
    AccessMode.systems.through.objects.bulk_create(
        AccessMode.systems.through(**row) for row in links
    )
    now = timezone.now()
    for slug in ("large-scale", "ai-for-science"):
        mode = AccessMode.objects.get(slug=slug)
        for days in (-5, 10, 40):
            Cutoff.objects.create(access_mode=mode, closes_at=now + timedelta(days=days))
    return {mode.slug: mode for mode in AccessMode.objects.all()}


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@example.org", first_name="Alice", last_name="Applicant")


@pytest.fixture
def bob(db):
    return UserFactory(email="bob@example.org", first_name="Bob", last_name="Outsider")


@pytest.fixture
def alice_org(alice) -> Organisation:
    return services.organisation_create(
        user=alice,
        legal_name="Alice AI GmbH",
        country="DE",
        org_type="startup",
        registration_number="DE136695976",
        sme_declared=True,
    )


@pytest.fixture
def bob_org(bob) -> Organisation:
    return services.organisation_create(
        user=bob, legal_name="Bob Robotics BV", country="NL", org_type="sme", sme_declared=True
    )


@pytest.fixture
def carol(alice, alice_org):
    """A plain member of Alice's organisation."""
    user = UserFactory(email="carol@example.org", first_name="Carol", last_name="Member")
    services.organisation_member_add(
        actor=alice, organisation=alice_org, user=user, role=Membership.Role.MEMBER
    )
    return user


@pytest.fixture
def rita(alice, alice_org):
    """A second representative of Alice's organisation."""
    user = UserFactory(email="rita@example.org", first_name="Rita", last_name="Representative")
    services.organisation_member_add(
        actor=alice, organisation=alice_org, user=user, role=Membership.Role.REPRESENTATIVE
    )
    return user


@pytest.fixture
def sam(db):
    """An admin (staff, superuser) with TOTP set up, as the MFA middleware demands."""
    user = UserFactory(email="sam@example.org", is_staff=True, is_superuser=True)
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def lumi(catalogue) -> System:
    return System.objects.get(slug="lumi")


@pytest.fixture
def complete_values(modes, alice_org, lumi) -> dict[str, Any]:
    """Everything a fast-lane application needs to pass every rule."""
    return application_values(organisation=alice_org, access_mode=modes["fast-lane"], system=lumi)


@pytest.fixture
def draft(alice, complete_values) -> Application:
    """Alice's complete fast-lane draft on LUMI: it may be submitted as is."""
    return services.application_create(applicant=alice, **complete_values)


@pytest.fixture
def submitted(alice, draft) -> Application:
    return services.application_submit(application=draft, actor=alice)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
