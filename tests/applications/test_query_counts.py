"""The dashboard and the API list cost the same number of queries for 5 and for 50 applications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import Application
from factories.models import System
from portal.lists import ROWS_PER_PAGE
from tests.queries import SESSION_QUERIES, USER_QUERIES

pytestmark = pytest.mark.django_db

# Session, user (with the flags the MFA middleware reads), then the page's own reads: the
# user's organisations (listed on the dashboard, and the ones they represent put into the
# filter as a list, so that PostgreSQL uses its indexes), a COUNT and a page of 25 rows.
DASHBOARD_QUERIES = SESSION_QUERIES + USER_QUERIES + 3
API_LIST_QUERIES = SESSION_QUERIES + USER_QUERIES + 3


@pytest.fixture(params=[5, 50], ids=["5-applications", "50-applications"])
def many(request, alice, carol, modes, alice_org):
    """`n` applications Alice may follow (hers and Carol's, for the organisation she
    represents), on different systems and modes, in different states."""
    systems = list(System.objects.filter(kind=System.Kind.SUPERCOMPUTER).order_by("pk"))
    mode_list = list(modes.values())
    now = timezone.now()
    rows = []
    for i in range(request.param):
        submitted = i % 3 == 0
        rows.append(
            Application(
                applicant=alice if i % 2 else carol,
                organisation=alice_org,
                access_mode=mode_list[i % len(mode_list)],
                system=systems[i % len(systems)],
                title=f"Project {i}",
                gpu_hours=1000 + i,
                start_date=timezone.localdate() + timedelta(days=30),
                duration_months=2,
                status="submitted" if submitted else "draft",
                submitted_at=now if submitted else None,
                expected_decision_by=timezone.localdate() + timedelta(days=5)
                if submitted
                else None,
            )
        )
    Application.objects.bulk_create(rows)
    return request.param


def test_it_renders_the_dashboard_in_constant_queries(
    client, alice, many, django_assert_num_queries
):
    client.force_login(alice)

    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get("/applications/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<th scope="row">') == min(many, ROWS_PER_PAGE)
    assert response.context["page"].paginator.count == many
    assert "for Alice AI GmbH" in html


def test_it_lists_applications_in_the_api_in_constant_queries(
    client, alice, many, django_assert_num_queries
):
    client.force_login(alice)

    with django_assert_num_queries(API_LIST_QUERIES):
        response = client.get("/api/v1/applications/?page_size=100")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == many
    assert len(body["results"]) == many
    assert {r["system"] for r in body["results"]} >= {"lumi", "leonardo"}


# Saving a draft over the API: the session and the user, the draft (readable by its owner), the
# draft again, locked, and its references checked (applicant, organisation, access mode,
# system), the UPDATE and its `edited` event, then the answer's reads (the organisations Alice
# represents, the application, its timeline, team, attachments, resource lines, milestones and
# excluded reviewers), and the SAVEPOINT and RELEASE of its two atomic blocks (a test runs in a
# transaction). The table's constraints are about submitted applications and are left to the
# database: checking them cost three more queries, each in a savepoint, on every save.
DRAFT_SAVE_QUERIES = SESSION_QUERIES + USER_QUERIES + 20


def test_saving_a_draft_costs_a_fixed_number_of_queries(
    client, alice, draft, django_assert_num_queries
):
    client.force_login(alice)
    with django_assert_num_queries(DRAFT_SAVE_QUERIES):
        response = client.patch(
            f"/api/v1/applications/{draft.pk}/",
            {"title": "A better title"},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.title == "A better title"


# Submitting reads the draft once locked, with its organisation, access mode, system, site and
# applicant (what the rules and the receipt read): they are not loaded one by one.
SUBMIT_QUERIES = SESSION_QUERIES + USER_QUERIES + 28


def test_submitting_costs_a_fixed_number_of_queries(
    client, alice, draft, django_assert_num_queries
):
    client.force_login(alice)
    with django_assert_num_queries(SUBMIT_QUERIES):
        response = client.post(f"/api/v1/applications/{draft.pk}/submit/")
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.status == "submitted"
