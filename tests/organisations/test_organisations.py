"""Organisations: VAT numbers checked per country, eligible countries only, creator represents."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from organisations import services
from organisations.models import Membership, Organisation

pytestmark = pytest.mark.django_db

API = "/api/v1/organisations/"


def create(user, **values) -> Organisation:
    defaults = {"legal_name": "Test GmbH", "country": "DE", "org_type": "sme"}
    return services.organisation_create(user=user, **{**defaults, **values})


def refused(user, **values) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        create(user, **values)
    assert not Organisation.objects.exists()
    return excinfo.value.message_dict


@pytest.mark.parametrize("number", ["DE136695976", "136695976", "DE 136 695 976"])
def test_it_accepts_a_valid_german_vat_number_and_stores_it_compact(alice, number):
    organisation = create(alice, registration_number=number)

    organisation.refresh_from_db()
    assert organisation.registration_number == "136695976"


def test_it_refuses_an_invalid_german_vat_number(alice):
    errors = refused(alice, registration_number="DE136695977")

    assert list(errors) == ["registration_number"]
    assert errors["registration_number"][0].startswith(
        "This is not a valid VAT number for DE: check the digits"
    )


def test_it_checks_the_vat_number_against_the_organisations_country(alice):
    # A valid German number is not a valid French one.
    errors = refused(alice, country="FR", registration_number="DE136695976")

    assert "not a valid VAT number for FR" in errors["registration_number"][0]


def test_it_accepts_a_greek_number_with_the_el_prefix(alice):
    organisation = create(alice, country="GR", registration_number="EL094259216")

    assert organisation.registration_number == "094259216"


def test_it_refuses_a_country_outside_the_eligible_list(alice):
    errors = refused(alice, country="US")

    assert errors == {"country": ["Value 'US' is not a valid choice."]}


def test_it_accepts_an_associated_country(alice):
    organisation = create(alice, country="NO", legal_name="Fjord AI AS")

    assert organisation.country.code == "NO"


def test_it_refuses_an_sme_declaration_for_a_large_company(alice):
    errors = refused(alice, org_type="large_industry", sme_declared=True)

    assert errors == {"sme_declared": ["Only SMEs and startups make an SME self-declaration."]}


def test_it_makes_the_creator_its_representative(alice):
    organisation = create(alice, sme_declared=True)

    assert list(organisation.memberships.values_list("user__email", "role")) == [
        ("alice@example.org", Membership.Role.REPRESENTATIVE)
    ]
    assert organisation.sme_declared_on is not None


def test_it_refuses_the_same_registration_number_twice_in_a_country(alice, bob):
    create(alice, registration_number="DE136695976")

    with pytest.raises(ValidationError) as excinfo:
        create(bob, legal_name="Copycat GmbH", registration_number="136695976")

    assert "__all__" in excinfo.value.message_dict
    assert Organisation.objects.count() == 1


def test_it_lets_only_a_representative_add_members(alice_org, carol, bob):
    with pytest.raises(ValidationError):
        services.organisation_member_add(
            actor=carol, organisation=alice_org, user=bob, role=Membership.Role.MEMBER
        )

    assert not Membership.objects.filter(user=bob).exists()


# --- API ----------------------------------------------------------------------------------------


def test_it_creates_an_organisation_through_the_api(client, alice):
    client.force_login(alice)

    response = client.post(
        API,
        {
            "legal_name": "Alice AI GmbH",
            "country": "DE",
            "org_type": "startup",
            "registration_number": "DE136695976",
            "sme_declared": True,
        },
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["legal_name"] == "Alice AI GmbH"
    assert body["country"] == "DE"
    assert body["registration_number"] == "136695976"
    assert body["role"] == "representative"
    assert body["sme_declared_on"] is not None
    organisation = Organisation.objects.get(pk=body["id"])
    assert organisation.memberships.get().user == alice


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"country": "US"}, "country"),
        ({"org_type": "charity"}, "org_type"),
        ({"legal_name": ""}, "legal_name"),
    ],
)
def test_it_answers_400_for_a_bad_organisation_in_the_api(client, alice, payload, field):
    client.force_login(alice)
    data = {"legal_name": "Alice AI GmbH", "country": "DE", "org_type": "startup", **payload}

    response = client.post(API, data, content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == [field]
    assert not Organisation.objects.exists()


def test_it_answers_409_for_a_vat_number_that_breaks_its_countrys_rules(client, alice):
    """Well-formed, but refused by a rule: a 409 (portal/api.py), nothing saved."""
    client.force_login(alice)
    data = {"legal_name": "Alice AI GmbH", "country": "DE", "org_type": "startup"}

    response = client.post(
        API, {**data, "registration_number": "DE136695977"}, content_type="application/json"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert list(body["errors"]) == ["registration_number"]
    assert not Organisation.objects.exists()


def test_it_lists_only_my_organisations_in_the_api(client, alice_org, bob_org, bob):
    client.force_login(bob)

    response = client.get(API)

    assert response.status_code == 200
    assert [o["legal_name"] for o in response.json()] == ["Bob Robotics BV"]


def test_it_refuses_anonymous_organisation_creation(client):
    response = client.post(API, {"legal_name": "X"}, content_type="application/json")

    assert response.status_code == 401
    assert not Organisation.objects.exists()


def test_it_creates_an_organisation_through_the_html_form(client, alice):
    client.force_login(alice)

    response = client.post(
        "/applications/organisations/new/",
        {
            "legal_name": "Alice AI GmbH",
            "country": "DE",
            "org_type": "startup",
            "registration_number": "DE136695976",
            "sme_declared": "on",
        },
    )

    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert organisation.sme_declared_on is not None
    assert organisation.memberships.get().role == Membership.Role.REPRESENTATIVE


def test_it_shows_the_vat_error_on_the_html_form(client, alice):
    client.force_login(alice)

    response = client.post(
        "/applications/organisations/new/",
        {"legal_name": "X GmbH", "country": "DE", "org_type": "sme", "registration_number": "1"},
    )

    assert response.status_code == 200
    assert "This is not a valid VAT number for DE" in response.content.decode()
    assert not Organisation.objects.exists()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_it_never_redirects_off_site_after_creating_an_organisation(client, alice, target):
    client.force_login(alice)

    response = client.post(
        f"/applications/organisations/new/?next={target}",
        {"legal_name": "Alice AI GmbH", "country": "DE", "org_type": "sme"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/applications/"
    assert Organisation.objects.filter(legal_name="Alice AI GmbH").exists()


def test_it_returns_to_the_application_step_after_creating_an_organisation(client, alice, draft):
    client.force_login(alice)
    step = f"/applications/{draft.pk}/edit/organisation/"

    response = client.post(
        f"/applications/organisations/new/?next={step}",
        {"legal_name": "Second Startup", "country": "AT", "org_type": "startup"},
    )

    assert response["Location"] == step
    assert "Second Startup" in client.get(step).content.decode()
