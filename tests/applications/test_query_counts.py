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
