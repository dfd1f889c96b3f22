"""The signed-in lists show 25 rows a page and filter alike in the browser and the API (one
FilterSet each): mode, status, overdue, factory, a search box, and sorting by due date. A filter
never widens what a user may see; a bad value is an error, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from applications.models import Application, ApplicationStatus
from reviews.models import Assignment
from tests.fixtures.reviews import bulk_under_review, login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _access_modes(modes):
    """The access modes the bulk-made applications use."""


def titles(response) -> list[str]:
    """The titles of the rows the list shows, in order."""
    return [row["title"] for row in response.context["page"]]


def test_the_dashboard_shows_25_a_page(client, alice, site_x):
    bulk_under_review(site_x, site_x.technical[0], alice, 30)
    login(client, alice)

    first = client.get("/applications/")
    second = client.get("/applications/?page=2")
    beyond = client.get("/applications/?page=99")

    assert len(first.context["page"]) == 25
    assert len(second.context["page"]) == 5
    assert beyond.context["page"].number == 2  # the last page, not an error
    assert "Page 1 of 2 (30)" in first.content.decode()
    assert 'href="?page=2"' in first.content.decode()


def test_the_page_links_keep_the_filters(client, alice, site_x):
    bulk_under_review(site_x, site_x.technical[0], alice, 30)
    login(client, alice)

    html = client.get("/applications/?status=under_review").content.decode()

    assert 'href="?status=under_review&amp;page=2"' in html


def test_the_dashboard_filters_by_status_mode_factory_and_search(client, alice, submit_application):
    first = submit_application(title="Narwhal language model")
    submit_application(title="Quokka vision model", mode="large-scale")
    login(client, alice)

    assert titles(client.get("/applications/?q=narwhal")) == ["Narwhal language model"]
    assert titles(client.get(f"/applications/?q=%23{first.pk}")) == ["Narwhal language model"]
    assert titles(client.get("/applications/?q=Alice AI")) != []  # the organisation's name
    assert titles(client.get("/applications/?mode=large-scale")) == ["Quokka vision model"]
    assert titles(client.get("/applications/?factory=it4lia")) == []
    assert len(titles(client.get("/applications/?factory=lumi-aif"))) == 2
    assert titles(client.get("/applications/?status=draft")) == []


def test_sorting_by_due_date(client, alice, site_x):
    applications = bulk_under_review(site_x, site_x.technical[0], alice, 3)
    today = timezone.localdate()
    for i, application in enumerate(applications):
        Application.objects.filter(pk=application.pk).update(
            expected_decision_by=today + timedelta(days=10 - i)
        )
    login(client, alice)

    soonest = titles(client.get("/applications/?ordering=due"))
    latest = titles(client.get("/applications/?ordering=-due"))

    assert soonest == ["Application 2", "Application 1", "Application 0"]
    assert latest == list(reversed(soonest))


def test_a_bad_filter_value_shows_an_error_and_no_rows(client, alice, submit_application):
    submit_application()
    login(client, alice)

    response = client.get("/applications/?status=bogus&ordering=nope")

    assert response.status_code == 200
    assert list(response.context["page"]) == []
    assert "Select a valid choice" in response.content.decode()


def test_the_api_filters_alike_and_refuses_a_bad_value(client, alice, submit_application):
    submit_application(title="Narwhal language model")
    submit_application(title="Quokka vision model")
    client.force_login(alice)

    found = client.get("/api/v1/applications/?q=quokka&status=open&ordering=due").json()
    bad = client.get("/api/v1/applications/?status=bogus")

    assert [row["title"] for row in found["results"]] == ["Quokka vision model"]
    assert bad.status_code == 400
    assert "status" in bad.json()["errors"]


def test_a_search_never_shows_another_users_application(client, bob, submit_application):
    submit_application(title="Alice's confidential plan")
    login(client, bob)

    assert titles(client.get("/applications/?q=confidential")) == []
    api = client.get("/api/v1/applications/?q=confidential").json()
    assert api["count"] == 0


def test_the_desk_shows_open_assignments_unless_asked(client, alice, site_x):
    tess = site_x.technical[0]
    open_ones = bulk_under_review(site_x, tess, alice, 2)
    Assignment.objects.filter(application=open_ones[0]).update(status=Assignment.Status.DONE)
    login(client, tess)

    default = client.get("/review/")
    done = client.get("/review/?status=done")
    everything = client.get("/review/?status=")

    assert titles(default) == [open_ones[1].title]
    assert titles(done) == [open_ones[0].title]
    assert len(everything.context["page"]) == 2


def test_the_approvers_open_filter_shows_only_undecided_applications(client, alice, site_x):
    applications = bulk_under_review(site_x, site_x.technical[0], alice, 2)
    Application.objects.filter(pk=applications[0].pk).update(status=ApplicationStatus.APPROVED)
    login(client, site_x.approver)

    default = client.get("/review/site/")
    everything = client.get("/review/site/?status=")

    assert titles(default) == [applications[1].title]
    assert sorted(titles(everything)) == sorted(a.title for a in applications)
    assert "Open (undecided)" in default.content.decode()


def test_the_assignment_api_filters_like_the_desk(client, alice, site_x):
    tess = site_x.technical[0]
    applications = bulk_under_review(site_x, tess, alice, 2)
    Assignment.objects.filter(application=applications[0]).update(status=Assignment.Status.DONE)
    client.force_login(tess)

    body = client.get("/api/v1/assignments/?status=open").json()
    bad = client.get("/api/v1/assignments/?status=bogus")

    assert [row["application"] for row in body["results"]] == [applications[1].pk]
    assert bad.status_code == 400


def test_the_filters_read_in_each_language_one_request_after_another(client, alice):
    # The filter form's class is built once a process and language (portal.lists.ListFilterSet):
    # no label may stay in the language of the first request, nor in English.
    login(client, alice)

    def texts(language: str) -> tuple[str, str]:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.get("/applications/")
        fields = {field.name: field for field in response.context["filters"]}
        return fields["status"].label, str(fields["ordering"].options)

    french, english, french_again, german = (texts(lang) for lang in ("fr", "en", "fr", "de"))

    assert french == french_again
    assert french[0] == "Statut" and english[0] == "Status"
    assert "Décision attendue (la plus tardive d\N{RIGHT SINGLE QUOTATION MARK}abord)" in french[1]
    assert "Decision due (latest first)" in english[1]
    assert "Entscheidung fällig (späteste zuerst)" in german[1]
    assert "descending" not in french[1] + german[1]


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "Sort by"), ("fi", "Järjestys"), ("sv", "Sortera efter"), ("de", "Sortieren nach")],
)
def test_the_sort_field_is_named_in_every_language(client, alice, language, label):
    # django-filter's own "Ordering" has no Finnish or Swedish translation: the portal names it.
    login(client, alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get("/applications/")

    fields = {field.name: field for field in response.context["filters"]}
    assert fields["ordering"].label == label


def test_the_desk_sorts_in_the_users_language(client, site_x):
    login(client, site_x.technical[0])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    response = client.get("/review/")

    fields = {field.name: field for field in response.context["filters"]}
    assert fields["status"].label == "Statut"
    options = str(fields["ordering"].options)
    assert "Échéance (la plus tardive d\N{RIGHT SINGLE QUOTATION MARK}abord)" in options
