"""Shared API pieces: pagination, one JSON shape for every error, the 404 of unknown /api/ URLs.

The status codes of a refusal (README, "API"):
  400 invalid    the request breaks what the schema states (a type, a bound, a pattern, an
                 unknown field, a body that is not JSON or too deep); `errors` names each field.
  409 conflict   well-formed, but the portal's data or rules refuse it: an organisation, access
                 mode or system that does not exist or is not yours, a member listed twice, a
                 start date beyond the horizon, a draft that breaks a submission rule, an
                 application or assignment past the state the request needs. `errors` too.
  413 too_large  the body is over DATA_UPLOAD_MAX_MEMORY_SIZE.
  415            the body is not JSON.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import bad_request as django_bad_request
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.parsers import RequestTooLarge, body_limit

NON_FIELD = "non_field_errors"


class Pagination(pagination.PageNumberPagination):
    """Pages of 20; `page_size` from 1 to 100, anything else a 400 (not silently the default)."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Any) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        message = f"A whole number from 1 to {self.max_page_size}."
        try:
            value = int(raw)
        except ValueError:
            raise exceptions.ValidationError({self.page_size_query_param: [message]}) from None
        if not 1 <= value <= self.max_page_size:
            raise exceptions.ValidationError({self.page_size_query_param: [message]})
        return value


class Conflict(exceptions.APIException):
    """A well-formed request that the portal's data or rules refuse (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = _("The request conflicts with the portal's data or rules.")

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__()
        self.errors = errors


def flat_errors(errors: Any, prefix: str = "") -> list[str]:
    """Nested errors (a list's item, a nested object's field) as one list of messages, each
    naming where it applies: `Item 2, email: Enter a valid email address.`"""
    if isinstance(errors, dict):
        return [
            message
            for key, value in errors.items()
            for message in flat_errors(value, prefix + _where(key))
        ]
    if isinstance(errors, list | tuple):
        if all(isinstance(e, str) for e in errors):
            return [f"{prefix}{e}" for e in errors]
        return [
            message
            for i, value in enumerate(errors)
            if value
            for message in flat_errors(value, prefix + _where(i))
        ]
    return [f"{prefix}{errors}"]


def _where(key: Any) -> str:
    """How a message names where it applies: a list's item (DRF keys them by index) by its
    number, a nested field by its name."""
    if key == NON_FIELD:
        return ""
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return gettext("Item %(number)s, ") % {"number": int(key) + 1}
    return f"{key}: "


def error_lists(detail: Any) -> dict[str, list[str]]:
    """`{field: [messages]}`, every value a list of strings, as the schema says."""
    if not isinstance(detail, dict):
        return {NON_FIELD: list(dict.fromkeys(flat_errors(detail)))}
    # Each message once, though two validators (a format and a pattern) said it.
    return {str(field): list(dict.fromkeys(flat_errors(value))) for field, value in detail.items()}


def _django_errors(exc: DjangoValidationError) -> dict[str, Any]:
    return exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}


def invalid_body(errors: dict[str, list[str]]) -> dict[str, Any]:
    """The body of a 400 naming each bad field (or parameter, header, cookie)."""
    return _invalid_body(errors, "invalid")


def _invalid_body(errors: dict[str, list[str]], code: str) -> dict[str, Any]:
    fields = ", ".join(sorted(errors))
    detail = (
        gettext("The request is refused by the portal's rules: %(fields)s.")
        if code == "conflict"
        else gettext("The request has invalid fields: %(fields)s.")
    )
    return {
        "detail": detail % {"fields": fields},
        "code": code,
        "errors": errors,
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error is `{"detail": "...", "code": "...", "errors": {field: [messages]}}`; `errors`
    on a 400 and a 409, where it is always present.

    Django's own ValidationError (raised by services: a rule of the portal) becomes a 409, so a
    broken rule never surfaces as a 500.
    """
    if isinstance(exc, DjangoValidationError):
        exc = Conflict(_django_errors(exc))
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(body_limit())
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _invalid_body(error_lists(response.data), "invalid")
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, Conflict):
        response.data = _invalid_body(error_lists(exc.errors), "conflict")
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "detail": str(exc.detail),
            "code": codes if isinstance(codes, str) else "error",
        }
        if response.status_code == status.HTTP_400_BAD_REQUEST:
            # A body that is not JSON (ParseError) names no field, but a 400 has `errors` too.
            response.data["errors"] = {NON_FIELD: [str(exc.detail)]}
    return response


def bad_request_body(detail: str) -> dict[str, Any]:
    return {"detail": detail, "code": "invalid", "errors": {NON_FIELD: [detail]}}


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The answer to an /api/ URL that matches no operation, in every mode (DEBUG too)."""
    return JsonResponse({"detail": gettext("Not found."), "code": "not_found"}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 (a body over the size limit read outside the API's parser, a suspicious
    request): JSON under /api/, Django's own page elsewhere."""
    if not request.path.startswith("/api/"):
        return django_bad_request(request, exception)  # type: ignore[arg-type]
    if isinstance(exception, RequestDataTooBig):
        body = {"detail": str(RequestTooLarge(body_limit()).detail), "code": "too_large"}
        return JsonResponse(body, status=413)
    return JsonResponse(bad_request_body(gettext("The request is malformed.")), status=400)
