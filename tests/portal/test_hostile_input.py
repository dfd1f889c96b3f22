"""Hostile input: a NUL or another control character, JSON nested thousands of levels deep, a body
over the size limit, a bidi override or a line break in a title, a date in 2999, a team of 1,000,
an empty body, a body that is not JSON. Each answers a 4xx in the API's JSON error shape (or a
form error on the HTML pages), and nothing is saved.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from applications.models import Application, TeamMember
from portal.validators import text_error

pytestmark = pytest.mark.django_db

API = "/api/v1/applications/"


def post(client, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(API, data, content_type="application/json", **extra)


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"detail", "code"}
    if code:
        assert body["code"] == code
    if status in (400, 409):
        assert all(
            isinstance(v, list) and all(isinstance(m, str) for m in v)
            for v in body["errors"].values()
        ), body
    return body


# --- Control characters, line breaks and bidi overrides ----------------------------------------


@pytest.mark.parametrize(
    ("value", "multi_line", "refused"),
    [
        ("Protein folding", False, False),
        ("Protéines ∑ 蛋白质 🧬", False, False),
        ("Invoice \u202egnp.exe", False, True),
        ("Left \u2066isolate\u2069", False, True),
        ("Two\nlines", False, True),
        ("Two\r\nlines", False, True),
        ("Line\u2028separator", False, True),
        ("Tab\there", False, True),
        ("NUL \x00 here", False, True),
        ("Bell \x07", False, True),
        ("C1 \x85 next line", False, True),
        ("Two\nlines\tand a tab", True, False),
        ("Arabic \u202b embedding in an abstract", True, False),
        ("NUL \x00 in an abstract", True, True),
        ("Escape \x1b[31m", True, True),
        ("A lone surrogate \ud800", True, True),
    ],
)
def test_it_refuses_what_a_text_field_of_its_kind_may_not_hold(value, multi_line, refused):
    assert (text_error(value, multi_line=multi_line) is not None) == refused


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Invoice \u202egnp.exe"),
        ("title", "Two\r\nlines"),
        ("title", "NUL\x00"),
        ("access_mode", "fast\x00lane"),
        ("system", "lumi\x00"),
        ("abstract", "Escape \x1b[31m red"),
        ("frameworks", "Py\u2029Torch"),
    ],
)
def test_it_answers_400_to_a_control_character_in_any_text_or_slug_field(
    client, alice, field, value
):
    client.force_login(alice)

    body = assert_json_error(post(client, {field: value}), 400, "invalid")

    assert list(body["errors"]) == [field]
    assert not Application.objects.exists()


def test_it_keeps_line_breaks_in_a_multi_line_field(client, alice):
    client.force_login(alice)

    response = post(client, {"abstract": "First line.\nSecond line.\n\tIndented."})

    assert response.status_code == 201
    assert Application.objects.get().abstract == "First line.\nSecond line.\n\tIndented."


def test_it_shows_a_form_error_for_a_bidi_override_in_the_html_title(client, alice, draft):
    client.force_login(alice)

    response = client.post(
        f"/applications/{draft.pk}/edit/project/",
        {"title": "Invoice \u202egnp.exe", "team-TOTAL_FORMS": "0", "team-INITIAL_FORMS": "0"},
    )

    assert response.status_code == 200
    assert "one line of plain text" in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == "Protein language model fine-tuning"


@pytest.mark.parametrize(
    ("where", "kwargs"),
    [
        ("q", {"path": "/api/v1/applications/?q=a%00b"}),
        ("X-Trace", {"path": "/api/v1/applications/", "HTTP_X_TRACE": "a\x00b"}),
        ("Authorization", {"path": "/api/v1/applications/", "HTTP_AUTHORIZATION": "Token a\x00"}),
        (
            "sessionid",
            {"path": "/api/v1/applications/", "HTTP_COOKIE": 'sessionid="\\000abcdefgh"'},
        ),
        ("q", {"path": "/api/v1/factories/?q=%01"}),
    ],
)
def test_it_answers_400_to_a_control_character_in_the_query_headers_or_cookies(
    client, alice, where, kwargs
):
    client.force_login(alice)

    body = assert_json_error(client.get(**kwargs), 400, "invalid")

    assert list(body["errors"]) == [where]
    assert "control character" in body["errors"][where][0]


def test_it_answers_a_plain_400_to_a_control_character_on_an_html_page(client, alice):
    client.force_login(alice)

    response = client.get("/applications/?q=%00")

    assert response.status_code == 400
    assert b"control character" in response.content


def test_it_answers_400_to_a_query_parameter_given_twice(client, alice):
    client.force_login(alice)

    body = assert_json_error(client.get(f"{API}?page_size=5&page_size=6"), 400)

    assert body["errors"] == {"page_size": ["This parameter is given more than once."]}


@pytest.mark.parametrize("page_size", ["null", "0", "-3", "101", "1.5", "abc"])
def test_it_answers_400_to_a_page_size_out_of_bounds(client, alice, page_size):
    client.force_login(alice)

    body = assert_json_error(client.get(f"{API}?page_size={page_size}"), 400, "invalid")

    assert body["errors"] == {"page_size": ["A whole number from 1 to 100."]}


# --- Bodies -------------------------------------------------------------------------------------


def test_it_answers_400_to_json_nested_thousands_of_levels_deep(client, alice):
    client.force_login(alice)

    response = post(client, '{"title": ' + "[" * 5000 + "]" * 5000 + "}")

    body = assert_json_error(response, 400)
    assert "nested" in body["detail"]
    assert not Application.objects.exists()


def test_it_answers_400_to_json_nested_past_its_bound(client, alice):
    client.force_login(alice)

    response = post(client, '{"team_members": [[[[[[[[[[[[{}]]]]]]]]]]]]}')

    assert "nested more than 10 levels" in assert_json_error(response, 400)["detail"]


@pytest.mark.parametrize("body", ['{"gpu_hours": NaN}', '{"gpu_hours": Infinity}', "{'a': 1}"])
def test_it_answers_400_to_what_is_not_json(client, alice, body):
    client.force_login(alice)

    assert_json_error(post(client, body), 400)
    assert not Application.objects.exists()


def test_it_answers_400_to_a_lone_surrogate(client, alice):
    client.force_login(alice)

    response = post(client, '{"title": "\\ud800"}')

    assert "surrogate" in assert_json_error(response, 400)["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_it_answers_413_in_json_to_a_body_over_the_size_limit(client, alice):
    client.force_login(alice)

    response = post(client, {"abstract": "x" * 20_000})

    body = assert_json_error(response, 413, "too_large")
    assert "10,000 bytes" in body["detail"]
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]
)
def test_it_answers_415_to_a_body_that_is_not_json(client, alice, content_type):
    client.force_login(alice)

    response = client.post(API, "title=x", content_type=content_type)

    assert_json_error(response, 415)
    assert not Application.objects.exists()


@pytest.mark.parametrize("body", ["", "{}"])
def test_it_creates_nothing_from_an_empty_body(client, alice, body):
    client.force_login(alice)

    response = post(client, body)

    assert assert_json_error(response, 400)["errors"] == {
        "non_field_errors": ["Send at least one field."]
    }
    assert not Application.objects.exists()


def test_it_answers_400_to_an_unknown_field(client, alice):
    client.force_login(alice)

    body = assert_json_error(post(client, {"title": "A", "status": "approved"}), 400)

    assert body["errors"] == {"status": ["Unknown field."]}
    assert not Application.objects.exists()


# --- Bounds the form and the API share ----------------------------------------------------------


def test_it_answers_400_to_a_team_larger_than_the_forms(client, alice):
    client.force_login(alice)
    team = [{"name": f"Member {i}", "email": f"m{i}@example.org"} for i in range(1000)]

    body = assert_json_error(post(client, {"title": "Big team", "team_members": team}), 400)

    assert body["errors"]["team_members"] == ["Ensure this field has no more than 30 elements."]
    assert not Application.objects.exists()
    assert not TeamMember.objects.exists()


def test_it_refuses_a_team_larger_than_30_in_the_form(client, alice, draft):
    client.force_login(alice)
    data = {"title": draft.title, "team-TOTAL_FORMS": "31", "team-INITIAL_FORMS": "0"}
    for i in range(31):
        data |= {f"team-{i}-name": f"Member {i}", f"team-{i}-email": f"m{i}@example.org"}

    response = client.post(f"/applications/{draft.pk}/edit/project/", data)

    assert response.status_code == 200
    assert "Please submit at most 30 forms." in response.content.decode()
    assert not TeamMember.objects.exists()


def test_it_answers_409_to_a_start_date_beyond_the_horizon(client, alice, draft):
    client.force_login(alice)

    response = client.patch(
        f"{API}{draft.pk}/", {"start_date": "2999-01-01"}, content_type="application/json"
    )

    body = assert_json_error(response, 409, "conflict")
    assert body["errors"]["start_date"][0].startswith("The start date may be at most 366 days")
    draft.refresh_from_db()
    assert draft.start_date < timezone.localdate() + timedelta(days=366)


def test_it_refuses_a_start_date_beyond_the_horizon_in_the_form(client, alice, draft):
    client.force_login(alice)

    response = client.post(
        f"/applications/{draft.pk}/edit/resources/",
        {"system": draft.system_id, "gpu_hours": 1000, "start_date": "2999-01-01",
         "duration_months": 2},
    )  # fmt: skip

    assert response.status_code == 200
    assert "The start date may be at most 366 days ahead" in response.content.decode()
    draft.refresh_from_db()
    assert draft.start_date.year < 2999


def test_the_horizon_is_a_setting(client, alice, draft, settings):
    settings.APPLICATION_START_HORIZON_DAYS = 30
    client.force_login(alice)
    day_40 = (timezone.localdate() + timedelta(days=40)).isoformat()

    response = client.patch(
        f"{API}{draft.pk}/", {"start_date": day_40}, content_type="application/json"
    )

    assert_json_error(response, 409, "conflict")


# --- Unknown /api/ URLs -------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v2/", "/api/v1/applications/x/"])
def test_it_answers_json_404_to_an_api_url_that_matches_nothing(client, settings, debug, path):
    settings.DEBUG = debug

    for method in (client.get, client.post, client.delete):
        assert_json_error(method(path), 404, "not_found")


def test_it_answers_400_to_an_api_query_parameter_over_100_characters(client, alice):
    client.force_login(alice)

    body = assert_json_error(client.get(f"/api/v1/systems/?factory={'x' * 101}"), 400)

    assert body["errors"] == {"factory": ["At most 100 characters."]}
    assert client.get(f"/api/v1/systems/?factory={'x' * 100}").status_code == 200


@pytest.mark.parametrize("email", ["0@0.a", '"a b"@example.org', "a..b@example.org", "a@-x.org"])
def test_it_refuses_an_address_outside_the_schemas_email_pattern(client, alice, email):
    client.force_login(alice)
    team = [{"name": "Ada", "email": email}]

    body = assert_json_error(post(client, {"title": "T", "team_members": team}), 400)

    assert body["errors"] == {"team_members": ["Item 1, email: Enter a valid email address."]}


@pytest.mark.parametrize(
    ("value", "status"), [("7.25", 201), ("-1", 400), (7.25, 400), ("1.", 400), ("", 400)]
)
def test_it_takes_a_decimal_only_as_the_schema_spells_it(client, alice, value, status):
    client.force_login(alice)

    response = post(client, {"model_parameters_billions": value})

    assert response.status_code == status, response.content[:300]


def test_it_answers_400_to_a_patched_member_without_an_address(client, alice, draft):
    client.force_login(alice)

    response = client.patch(
        f"{API}{draft.pk}/", {"team_members": [{"name": "Ada"}]}, content_type="application/json"
    )

    body = assert_json_error(response, 400, "invalid")
    assert body["errors"] == {"team_members": ["Item 1, email: This field is required."]}
    assert not TeamMember.objects.exists()


def test_it_takes_a_long_ordering_list(client, alice):
    client.force_login(alice)
    ordering = ",".join(["-updated", "due"] * 10)

    assert client.get(f"{API}?ordering={ordering}").status_code == 200
