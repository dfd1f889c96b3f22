"""The error shapes of the API, for the OpenAPI schema (see portal.api.exception_handler), and
the schema class that states every bound the server enforces."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from portal.validators import QUERY_MAX_LENGTH, InputSerializer

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


ERROR_409 = OpenApiResponse(
    ValidationErrorSerializer,
    description=(
        "Well-formed, but refused by the portal's data or rules (an unknown or foreign "
        "organisation, access mode or system; a member listed twice; a start date beyond the "
        "horizon; a rule of submission; an application or assignment past the state the request "
        "needs); `errors` names each."
    ),
)
ERROR_413 = OpenApiResponse(ErrorSerializer, description="The body is over the size limit.")
ERROR_415 = OpenApiResponse(ErrorSerializer, description="The body is not JSON.")

# What a query parameter may not hold (portal.request_checks refuses it with a 400).
QUERY_TEXT_PATTERN = r"^[^\u0000-\u0008\u000a-\u001f\u007f-\u009f]*$"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, stating every bound the server enforces:

    - a request body (an InputSerializer) takes no unknown property and, when none is required,
      at least one; a write that takes one requires it (an empty body creates nothing);
    - every operation may answer 400 (a control character in the URL, a cookie or a header);
      every write 409, and a write with a body 413 and 415;
    - query parameters carry the bounds of their filter's form field (length, range, choices),
      page and page_size theirs; strings refuse control characters.
    """

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        instance = force_instance(serializer)
        if direction == "request" and isinstance(instance, InputSerializer):
            schema["additionalProperties"] = False
            for name, field in instance.fields.items():
                if isinstance(field, serializers.DecimalField) and name in schema["properties"]:
                    schema["properties"][name]["pattern"] = decimal_pattern(field)
            if not schema.get("required"):
                schema["minProperties"] = 1
        return schema

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body is None:  # no body (GET, DELETE): no serializer to guess either
            return None
        if isinstance(force_instance(self.get_request_serializer()), InputSerializer):
            body["required"] = True
        return body

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        extra: dict[int, OpenApiResponse] = {400: ERROR_400}
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            extra[409] = ERROR_409
            if "requestBody" in operation:
                extra.update({413: ERROR_413, 415: ERROR_415})
        for code, response in extra.items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    response, str(code), media_types=["application/json"]
                )
        fields = self._filter_form_fields()
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query":
                _bound_parameter(parameter["name"], parameter["schema"], fields)
        return operation

    def _filter_form_fields(self) -> dict[str, forms.Field]:
        filterset_class = getattr(self.view, "filterset_class", None)
        if filterset_class is None:
            return {}
        return dict(filterset_class(data={}).form.fields)


def decimal_pattern(field: serializers.DecimalField) -> str:
    """The decimal strings the field takes (portal.validators checks the same shape)."""
    whole = (field.max_digits or 20) - (field.decimal_places or 0)
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    return rf"^{sign}\d{{1,{whole}}}(\.\d{{1,{field.decimal_places}}})?$"


def _bound_parameter(name: str, schema: dict[str, Any], fields: dict[str, forms.Field]) -> None:
    schema.pop("nullable", None)
    if name in ("page", "page_size"):
        schema["minimum"] = 1
        if name == "page_size":
            schema["maximum"] = 100
        return
    field = fields.get(name)
    if schema.get("type") == "string" and "enum" not in schema:
        if isinstance(field, forms.ChoiceField) and not isinstance(
            field, forms.MultipleChoiceField | forms.NullBooleanField
        ):
            choices: Any = field.choices
            schema["enum"] = [str(value) for value, _ in choices if value != ""]
            return
        max_length = getattr(field, "max_length", None)
        # Every string is bounded (portal.request_checks), a filter's own bound if smaller.
        schema["maxLength"] = min(max_length or QUERY_MAX_LENGTH, QUERY_MAX_LENGTH)
        schema.setdefault("pattern", QUERY_TEXT_PATTERN)
    if schema.get("type") == "integer" and field is not None:
        # Exactly the bounds the form field enforces (none it does not).
        schema.pop("minimum", None)
        schema.pop("maximum", None)
        for validator in field.validators:
            # As the server compares: django-filter's 1e50 is a float, a little above 10**50.
            if isinstance(validator, MinValueValidator):
                schema["minimum"] = int(validator.limit_value)
            elif isinstance(validator, MaxValueValidator):
                schema["maximum"] = int(validator.limit_value)
