"""Shared API pieces: pagination and one JSON shape for every error."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error is `{"detail": "...", "code": "...", "errors": {field: [messages]}}`; `errors`
    only on a 400, where it is always present.

    Django's own ValidationError (raised by services) becomes a 400 like DRF's, so a broken rule
    never surfaces as a 500.
    """
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail=detail)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        response.data = {
            "detail": "The request has invalid fields: " + ", ".join(sorted(errors)) + ".",
            "code": "invalid",
            "errors": errors,
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "detail": str(exc.detail),
            "code": codes if isinstance(codes, str) else "error",
        }
        if response.status_code == status.HTTP_400_BAD_REQUEST:
            # A body that is not JSON (ParseError) names no field, but a 400 has `errors` too.
            response.data["errors"] = {"non_field_errors": [str(exc.detail)]}
    return response
