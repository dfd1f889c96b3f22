"""The API lists build their rows in one step (portal/api_rows.py): each row is what DRF's
field-by-field serialization of the declared fields gives, for drafts with nothing chosen yet,
submitted applications and their assignments, in another time zone too."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from applications.models import Application
from applications.selectors import application_list_for_applicant_api
from applications.serializers import ApplicationListSerializer
from reviews.models import Assignment
from reviews.selectors import assignment_list_for_reviewer_api
from reviews.serializers import AssignmentSerializer
from reviews.services import routing as routing_services

pytestmark = pytest.mark.django_db


def field_by_field(serializer_class, instance, context):
    """DRF's own representation of the declared fields."""
    return serializers.Serializer.to_representation(serializer_class(context=context), instance)


@pytest.fixture
def context():
    return {"request": APIRequestFactory().get("/api/v1/applications/", HTTP_HOST="testserver")}


@pytest.mark.parametrize("zone", ["Europe/Brussels", "UTC", "Asia/Tokyo"])
def test_an_application_row_is_what_drf_gives(alice, submit_application, context, zone):
    submit_application()
    Application.objects.create(applicant=alice)  # a draft: no organisation, mode, system, dates
    rows = list(application_list_for_applicant_api(user=alice))
    assert len(rows) == 2
    with timezone.override(zone):
        for row in rows:
            fast = ApplicationListSerializer(context=context).to_representation(row)
            assert fast == field_by_field(ApplicationListSerializer, row, context)
            assert list(fast) == ApplicationListSerializer.Meta.fields
    assert fast["url"].startswith("http://testserver/api/v1/applications/")


@pytest.mark.parametrize("zone", ["Europe/Brussels", "UTC"])
def test_an_assignment_row_is_what_drf_gives(submit_application, site_x, context, zone):
    routing_services.application_route(application_id=submit_application().pk)
    assignment = Assignment.objects.select_related("reviewer").first()
    assert assignment is not None
    rows = list(assignment_list_for_reviewer_api(user=assignment.reviewer))
    assert rows
    with timezone.override(zone):
        for row in rows:
            fast = AssignmentSerializer(context=context).to_representation(row)
            assert fast == field_by_field(AssignmentSerializer, row, context)


def test_a_list_of_rows_is_the_list_of_each(alice, submit_application, context):
    submit_application()
    submit_application(gpu_hours=2000)
    rows = list(application_list_for_applicant_api(user=alice))
    many = ApplicationListSerializer(rows, many=True, context=context).data
    assert [dict(r) for r in many] == [
        field_by_field(ApplicationListSerializer, r, context) for r in rows
    ]
