"""Who sees what: outsiders get 404 (never 403), representatives read, members see their own."""

from __future__ import annotations

import pytest

from applications import services
from applications.models import Application
from tests.helpers import pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def attachment(alice, draft, media):
    return services.attachment_add(application=draft, actor=alice, upload=pdf())


def html_urls(application: Application, attachment) -> list[tuple[str, str]]:
    pk = application.pk
    return [
        ("get", f"/applications/{pk}/"),
        ("get", f"/applications/{pk}/edit/organisation/"),
        ("get", f"/applications/{pk}/edit/review/"),
        ("post", f"/applications/{pk}/edit/project/"),
        ("post", f"/applications/{pk}/submit/"),
        ("post", f"/applications/{pk}/withdraw/"),
        ("get", f"/applications/{pk}/attachments/{attachment.pk}/"),
        ("post", f"/applications/{pk}/attachments/{attachment.pk}/delete/"),
    ]


def api_calls(application: Application) -> list[tuple[str, str]]:
    pk = application.pk
    return [
        ("get", f"/api/v1/applications/{pk}/"),
        ("patch", f"/api/v1/applications/{pk}/"),
        ("post", f"/api/v1/applications/{pk}/submit/"),
        ("post", f"/api/v1/applications/{pk}/withdraw/"),
    ]


def call(client, method: str, url: str):
    if method == "patch":
        return client.patch(url, {"title": "Hijacked"}, content_type="application/json")
    if method == "post":
        return client.post(url, {"title": "Hijacked", "go": "next"})
    return client.get(url)


def assert_untouched(application: Application) -> None:
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT
    assert application.title == "Protein language model fine-tuning"
    assert application.attachments.count() == 1
    assert set(application.events.values_list("actor__email", flat=True)) == {"alice@example.org"}


# --- Another applicant ----------------------------------------------------------------------------


def test_it_answers_404_to_another_applicant_in_html(client, bob, draft, attachment):
    client.force_login(bob)

    statuses = {
        url: call(client, method, url).status_code for method, url in html_urls(draft, attachment)
    }

    assert set(statuses.values()) == {404}, statuses
    assert_untouched(draft)


def test_it_answers_404_to_another_applicant_in_the_api(client, bob, draft, attachment):
    client.force_login(bob)

    responses = {url + method: call(client, method, url) for method, url in api_calls(draft)}

    assert {key: r.status_code for key, r in responses.items()} == dict.fromkeys(responses, 404)
    assert all(r.json()["code"] == "not_found" for r in responses.values())
    assert_untouched(draft)


def test_it_lists_nothing_of_alices_for_bob(client, bob, bob_org, draft):
    client.force_login(bob)

    page = client.get("/applications/").content.decode()
    listed = client.get("/api/v1/applications/").json()

    assert "Protein language model" not in page
    assert "Alice AI GmbH" not in page
    assert listed["count"] == 0


def test_it_hides_a_submitted_application_from_another_applicant_too(client, bob, submitted):
    client.force_login(bob)

    assert client.get(f"/applications/{submitted.pk}/").status_code == 404
    assert client.get(f"/api/v1/applications/{submitted.pk}/").status_code == 404
    assert client.post(f"/api/v1/applications/{submitted.pk}/withdraw/").status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == Application.Status.SUBMITTED


# --- Anonymous ------------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login_page(client, draft, attachment):
    for method, url in [*html_urls(draft, attachment), ("get", "/applications/")]:
        response = call(client, method, url)

        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
    assert_untouched(draft)


def test_it_answers_401_to_anonymous_api_calls(client, draft, attachment):
    for method, url in [*api_calls(draft), ("get", "/api/v1/applications/")]:
        response = call(client, method, url)

        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] == "not_authenticated"
    assert_untouched(draft)


# --- The organisation's representative ----------------------------------------------------------


def test_it_lets_a_representative_read_the_application(client, rita, draft, attachment):
    client.force_login(rita)

    detail = client.get(f"/applications/{draft.pk}/")
    download = client.get(f"/applications/{draft.pk}/attachments/{attachment.pk}/")
    api_detail = client.get(f"/api/v1/applications/{draft.pk}/")

    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Protein language model fine-tuning" in html
    assert "Continue editing" not in html
    assert ">Withdraw</button>" not in html
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-1.4")
    assert api_detail.status_code == 200
    assert api_detail.json()["title"] == "Protein language model fine-tuning"


def test_it_lists_the_organisations_applications_for_its_representative(client, rita, draft):
    client.force_login(rita)

    page = client.get("/applications/").content.decode()
    listed = client.get("/api/v1/applications/").json()

    assert f'href="/applications/{draft.pk}/"' in page
    assert "for Alice AI GmbH" in page
    assert [a["id"] for a in listed["results"]] == [draft.pk]


def test_it_does_not_let_a_representative_change_the_application(client, rita, draft, attachment):
    client.force_login(rita)
    pk = draft.pk
    writes = [
        ("get", f"/applications/{pk}/edit/organisation/"),
        ("post", f"/applications/{pk}/edit/project/"),
        ("post", f"/applications/{pk}/submit/"),
        ("post", f"/applications/{pk}/withdraw/"),
        ("post", f"/applications/{pk}/attachments/{attachment.pk}/delete/"),
        ("patch", f"/api/v1/applications/{pk}/"),
        ("post", f"/api/v1/applications/{pk}/submit/"),
        ("post", f"/api/v1/applications/{pk}/withdraw/"),
    ]

    statuses = {url + method: call(client, method, url).status_code for method, url in writes}

    assert set(statuses.values()) == {404}, statuses
    assert_untouched(draft)


# --- A plain member of the organisation -----------------------------------------------------------


def test_it_hides_a_members_application_from_another_member(client, carol, draft, attachment):
    client.force_login(carol)

    statuses = {
        url: call(client, method, url).status_code for method, url in html_urls(draft, attachment)
    }
    statuses |= {url + m: call(client, m, url).status_code for m, url in api_calls(draft)}

    assert set(statuses.values()) == {404}, statuses
    assert client.get("/api/v1/applications/").json()["count"] == 0
    assert_untouched(draft)


def test_it_lets_a_member_apply_for_the_organisation(alice, carol, complete_values):
    application = services.application_create(applicant=carol, **complete_values)

    services.application_submit(application=application, actor=carol)

    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_it_shows_a_members_application_to_the_representative(
    client, alice, carol, complete_values
):
    application = services.application_create(applicant=carol, **complete_values)
    client.force_login(alice)

    assert client.get(f"/applications/{application.pk}/").status_code == 200
    assert client.get(f"/applications/{application.pk}/edit/data/").status_code == 404


# --- Staff ---------------------------------------------------------------------------------------


def test_it_shows_the_application_to_an_admin_in_the_admin_only(client, sam, submitted):
    client.force_login(sam)

    admin_page = client.get(f"/admin/applications/application/{submitted.pk}/change/")

    assert admin_page.status_code == 200
    assert "Protein language model fine-tuning" in admin_page.content.decode()
    # The applicant pages are for applicants: an admin is an outsider there.
    assert client.get(f"/applications/{submitted.pk}/").status_code == 404
    assert client.post(f"/api/v1/applications/{submitted.pk}/withdraw/").status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == Application.Status.SUBMITTED
