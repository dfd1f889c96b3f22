"""The profile page: a signed-in user edits their own given and family name, nobody else's."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import User
from tests.model_factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/me/profile/"


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@example.org", first_name="Alice", last_name="Applicant")


@pytest.fixture
def bob(db):
    return UserFactory(email="bob@example.org", first_name="Bob", last_name="Outsider")


def names(user) -> tuple[str, str, str]:
    user.refresh_from_db()
    return (user.first_name, user.last_name, user.email)


def test_the_url_name_is_accounts_profile():
    assert reverse("accounts:profile") == URL


def test_it_shows_the_signed_in_users_names(client, alice):
    client.force_login(alice)

    page = client.get(URL)

    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="Alice"' in body and 'value="Applicant"' in body
    assert "alice@example.org" in body


def test_it_saves_the_names_stripped(client, alice):
    client.force_login(alice)

    response = client.post(URL, {"first_name": "  Alicia ", "last_name": " Applicant-Smith "})

    assert response.status_code == 302
    assert response["Location"] == URL
    assert names(alice) == ("Alicia", "Applicant-Smith", "alice@example.org")
    page = client.get(URL).content.decode()
    assert "Your name was saved." in page


def test_it_edits_only_the_signed_in_user_whatever_the_form_says(client, alice, bob):
    client.force_login(alice)

    client.post(
        URL,
        {
            "first_name": "Alicia",
            "last_name": "Applicant",
            "id": bob.pk,
            "pk": bob.pk,
            "user": bob.pk,
            "email": "bob@example.org",
            "is_staff": "on",
            "is_superuser": "on",
        },
    )

    assert names(alice) == ("Alicia", "Applicant", "alice@example.org")
    assert names(bob) == ("Bob", "Outsider", "bob@example.org")
    alice.refresh_from_db()
    assert not (alice.is_staff or alice.is_superuser)


def test_it_refuses_anonymous_users(client, alice):
    page = client.get(URL)
    post = client.post(URL, {"first_name": "Mallory", "last_name": "Intruder"})

    for response in (page, post):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert names(alice) == ("Alice", "Applicant", "alice@example.org")
    assert not User.objects.filter(first_name="Mallory").exists()


@pytest.mark.parametrize(
    ("first_name", "last_name", "field", "error"),
    [
        ("", "Applicant", "first_name", "This field is required."),
        ("Alice", "   ", "last_name", "This field is required."),
        ("Ali\nce", "Applicant", "first_name", "no line breaks or control characters"),
        ("Alice", "App\x1blicant", "last_name", "no line breaks or control characters"),
        ("A" * 151, "Applicant", "first_name", "at most 150 characters"),
    ],
    ids=["no-given-name", "blank-family-name", "line-break", "escape", "too-long"],
)
def test_it_refuses_a_missing_or_malformed_name_with_a_form_error(
    client, alice, first_name, last_name, field, error
):
    client.force_login(alice)

    response = client.post(URL, {"first_name": first_name, "last_name": last_name})

    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors[field])
    assert error in response.content.decode()
    assert names(alice) == ("Alice", "Applicant", "alice@example.org")


# --- The service ----------------------------------------------------------------------------------


def test_the_service_saves_the_two_names_only(alice, django_assert_num_queries):
    alice.email = "changed-in-memory@example.org"  # not saved: only the names are written

    with django_assert_num_queries(1):
        services.user_update_profile(user=alice, first_name=" Alicia ", last_name="Applicant")

    assert names(alice) == ("Alicia", "Applicant", "alice@example.org")


@pytest.mark.parametrize(
    ("first_name", "last_name"),
    [("", "Applicant"), ("Alice", "Line\r\nBreak"), ("Alice", "\u202eevil")],
)
def test_the_service_refuses_what_the_form_refuses(alice, first_name, last_name):
    with pytest.raises(ValidationError) as refused:
        services.user_update_profile(user=alice, first_name=first_name, last_name=last_name)

    assert set(refused.value.message_dict) == {"first_name" if not first_name else "last_name"}
    assert (alice.first_name, alice.last_name) == ("Alice", "Applicant")  # unchanged in memory
    assert names(alice) == ("Alice", "Applicant", "alice@example.org")
