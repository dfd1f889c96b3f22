from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from factories.models import AIFactory
from tests.model_factories import SiteRoleFactory, UserFactory


@pytest.fixture
def applicant(db):
    """A verified applicant with no role anywhere."""
    return UserFactory(email="alice@example.org")


@pytest.fixture
def other_applicant(db):
    return UserFactory(email="bob@example.org")


@pytest.fixture
def staff(db):
    """Staff without a second factor yet."""
    return UserFactory(email="sam@example.org", is_staff=True)


@pytest.fixture
def staff_with_totp(db):
    user = UserFactory(email="tess@example.org", is_staff=True, is_superuser=True)
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def reviewer(catalogue):
    """A technical reviewer at LUMI AIF, without a second factor yet."""
    return SiteRoleFactory(
        user=UserFactory(email="rob@example.org"),
        factory=AIFactory.objects.get(slug="lumi-aif"),
        role="technical",
    ).user
