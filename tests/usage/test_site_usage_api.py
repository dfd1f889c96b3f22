"""POST /api/v1/site/usage/: a factory's key pushes usage of that factory's allocations only;
all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from allocations.models import Allocation
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db
URL = "/api/v1/site/usage/"


def site(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Site {key}")
    return client


def record(allocation: Allocation, hours: str = "12.5", start: str | None = None) -> dict:
    day = start or allocation.start.isoformat()
    return {"allocation": allocation.pk, "period_start": day, "period_end": day, "gpu_hours": hours}


def test_the_site_pushes_usage_and_the_total_follows(allocation, key):
    response = site(key).post(URL, {"records": [record(allocation, "12.5")]}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()[0]["gpu_hours"] == "12.5000"
    allocation.refresh_from_db()
    assert allocation.used_gpu_hours == Decimal("12.50")

    # The same period again replaces its figure; it is not added twice.
    site(key).post(URL, {"records": [record(allocation, "20")]}, format="json")
    allocation.refresh_from_db()
    assert allocation.used_gpu_hours == Decimal("20.00")
    assert UsageRecord.objects.count() == 1


def test_another_factorys_allocation_is_404_and_nothing_is_saved(
    allocation, leonardo_allocation, key
):
    body = {"records": [record(allocation), record(leonardo_allocation)]}

    response = site(key).post(URL, body, format="json")

    assert response.status_code == 404
    assert not UsageRecord.objects.exists()
    allocation.refresh_from_db()
    assert allocation.used_gpu_hours == 0


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"gpu_hours": "-1"}, 400),
        ({"gpu_hours": "lots"}, 400),
        ({"period_start": "2026-13-01"}, 400),
        ({"allocation": None}, 400),
        # Well-formed, refused by the allocation's dates (the portal's rules answer 409).
        ({"period_start": "2030-01-01", "period_end": "2030-01-02"}, 409),  # after its end
        ({"period_end": "2000-01-01"}, 409),  # ends before it starts
    ],
)
def test_a_bad_record_is_refused_and_nothing_is_saved(allocation, key, change, status):
    good = record(allocation)
    body = {"records": [good, {**good, "period_end": good["period_end"], **change}]}

    response = site(key).post(URL, body, format="json")

    assert response.status_code == status, response.json()
    assert response.json()["errors"]
    assert not UsageRecord.objects.exists()


@pytest.mark.parametrize("body", [{}, {"records": []}, {"records": "x"}, []])
def test_a_body_without_records_is_400(allocation, key, body):
    assert site(key).post(URL, body, format="json").status_code == 400
    assert not UsageRecord.objects.exists()


def test_without_a_site_key_it_is_refused(allocation, alice):
    anonymous = APIClient().post(URL, {"records": [record(allocation)]}, format="json")
    assert anonymous.status_code == 401
    person = APIClient()
    person.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    assert person.post(URL, {"records": [record(allocation)]}, format="json").status_code == 403
    assert (
        site("wrong-key").post(URL, {"records": [record(allocation)]}, format="json").status_code
        == 401
    )
    assert not UsageRecord.objects.exists()
