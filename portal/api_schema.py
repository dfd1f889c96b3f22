"""The error shapes of the API, for the OpenAPI schema (see portal.api.exception_handler)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
    },
)
ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)

ERROR_400 = OpenApiResponse(
    ValidationErrorSerializer, description="Invalid input; `errors` names each bad field."
)
ERROR_401 = OpenApiResponse(ErrorSerializer, description="Not signed in.")
ERROR_403 = OpenApiResponse(ErrorSerializer, description="Signed in, but not allowed.")
ERROR_404 = OpenApiResponse(ErrorSerializer, description="No such object, or not visible to you.")
ERROR_503 = OpenApiResponse(ErrorSerializer, description="The database is unreachable.")

AUTH_ERRORS = {401: ERROR_401, 403: ERROR_403}
# A paginated list answers 404 for a page beyond the last one (`?page=99`).
PAGE_ERRORS = {404: ERROR_404, **AUTH_ERRORS}
# A filtered list answers 400 for a filter value it does not know (`?status=bogus`).
FILTERED_LIST_ERRORS = {400: ERROR_400, **PAGE_ERRORS}
WRITE_ERRORS = {400: ERROR_400, 404: ERROR_404, **AUTH_ERRORS}
