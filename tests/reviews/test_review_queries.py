"""Query counts of the review desk and the reviewer's API lists are pinned: the same for 5 and
for 50 rows, so an N+1 fails here."""

from __future__ import annotations

import pytest

from portal.lists import ROWS_PER_PAGE
from reviews.models import Assignment
from tests.fixtures.reviews import bulk_under_review, login
from tests.queries import SESSION_QUERIES, SITE_ROLE_QUERIES, USER_QUERIES

pytestmark = pytest.mark.django_db

# Each: the session, the user (with the flags the MFA check, the navigation and the desk's link
# to the site's list read: whether they hold a site role, whether they approve somewhere), their
# site roles where the page needs the sites they approve for, then the page's own reads: a COUNT
# and a page of 25 rows (the allocations read the represented organisations first).
DESK_QUERIES = SESSION_QUERIES + USER_QUERIES + 2
APPROVER_DESK_QUERIES = SESSION_QUERIES + USER_QUERIES + SITE_ROLE_QUERIES + 2
ASSIGNMENT_API_QUERIES = SESSION_QUERIES + USER_QUERIES + 2
ALLOCATION_API_QUERIES = SESSION_QUERIES + USER_QUERIES + SITE_ROLE_QUERIES + 3


@pytest.mark.parametrize("rows", [5, 50])
def test_it_renders_the_reviewers_desk_in_constant_queries(
    client, site_x, alice, modes, rows, django_assert_num_queries
):
    tess = site_x.technical[0]
    bulk_under_review(site_x, tess, alice, rows)
    login(client, tess)

    with django_assert_num_queries(DESK_QUERIES):
        response = client.get("/review/")

    assert response.status_code == 200
    shown = min(rows, ROWS_PER_PAGE)
    assert len(response.context["page"]) == shown
    assert response.content.decode().count('href="/review/assignments/') == shown
    assert response.context["page"].paginator.count == rows


@pytest.mark.parametrize("rows", [5, 50])
def test_it_renders_the_approvers_desk_in_constant_queries(
    client, site_x, alice, modes, rows, django_assert_num_queries
):
    bulk_under_review(site_x, site_x.technical[0], alice, rows)
    login(client, site_x.approver)

    with django_assert_num_queries(APPROVER_DESK_QUERIES):
        response = client.get("/review/site/?status=")

    assert response.status_code == 200
    assert len(response.context["page"]) == min(rows, ROWS_PER_PAGE)
    assert response.context["page"].paginator.count == rows


@pytest.mark.parametrize("rows", [5, 50])
def test_it_lists_assignments_in_the_api_in_constant_queries(
    client, site_x, alice, modes, rows, django_assert_num_queries
):
    tess = site_x.technical[0]
    bulk_under_review(site_x, tess, alice, rows)
    login(client, tess)

    with django_assert_num_queries(ASSIGNMENT_API_QUERIES):
        response = client.get("/api/v1/assignments/?page_size=100")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == rows
    assert len(body["results"]) == rows
    first = body["results"][0]
    assert (first["factory"], first["system"], first["access_mode"]) == (
        "lumi-aif",
        "lumi",
        "fast-lane",
    )
    assert first["status"] == Assignment.Status.PENDING


@pytest.mark.parametrize("rows", [5, 50])
def test_it_lists_allocations_in_the_api_in_constant_queries(
    client, site_x, alice, modes, rows, django_assert_num_queries
):
    from allocations.models import Allocation

    applications = bulk_under_review(site_x, site_x.technical[0], alice, rows)
    Allocation.objects.bulk_create(
        Allocation(
            application=a, system=site_x.system, gpu_hours=100, start=a.start_date,
            end=a.start_date.replace(day=1).replace(year=a.start_date.year + 1),
            period_year=a.start_date.year,
        )
        for a in applications
    )  # fmt: skip
    login(client, site_x.approver)

    with django_assert_num_queries(ALLOCATION_API_QUERIES):
        response = client.get("/api/v1/allocations/?page_size=100")

    assert response.status_code == 200
    assert response.json()["count"] == rows
    assert {r["factory"] for r in response.json()["results"]} == {"lumi-aif"}
