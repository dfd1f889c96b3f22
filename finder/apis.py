"""API v1: the factory finder (public) and an applicant's alternatives when their site cannot
take their application (theirs only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications import selectors as applications_selectors
from applications.serializers import ApplicationSerializer
from factories.models import System
from finder import selectors
from finder.forms import FinderForm
from finder.serializers import (
    AlternativesSerializer,
    FinderResultSerializer,
    MoveInputSerializer,
)
from portal.api import Conflict
from portal.api_schema import AUTH_ERRORS, ERROR_400, ERROR_404, ERROR_409, WRITE_ERRORS
from portal.http import AuthenticatedRequest
from reviews.services import rerouting


def _parameter(name: str, field: forms.Field) -> OpenApiParameter:
    kind: Any = OpenApiTypes.STR
    if isinstance(field, forms.IntegerField):
        kind = OpenApiTypes.INT
    elif isinstance(field, forms.FloatField):
        kind = {"type": "number", "minimum": field.min_value, "maximum": field.max_value}
    elif isinstance(field, forms.DateField):
        kind = OpenApiTypes.DATE
    return OpenApiParameter(
        name, kind, required=field.required, description=str(field.help_text or field.label)
    )


class _QueryForm:
    """The finder's form, as the schema generator reads a filter's (bounds, choices)."""

    def __init__(self, data: Any) -> None:
        self.form = FinderForm(data=data)


class FinderApi(APIView):
    """Systems ranked for your needs (the same inputs, bounds and errors as `/finder/`): each
    with the access mode you could apply under, whether it can take an application now, and
    the reasons (capacity left, the median working days to a decision here beside the mode's
    promise, accelerator fit, an antenna in your country). Unknowns read "not yet published"."""

    permission_classes = [AllowAny]
    serializer_class = FinderResultSerializer  # for the schema generator
    filterset_class = _QueryForm  # read by the schema only (portal.api_schema.AutoSchema)

    @extend_schema(
        tags=["finder"],
        parameters=[_parameter(n, f) for n, f in FinderForm.base_fields.items()],
        responses={200: FinderResultSerializer, 400: ERROR_400, 409: ERROR_409},
    )
    def get(self, request: Request) -> Response:
        form = FinderForm(request.query_params)
        if not form.is_valid():
            errors = {
                f: [e["message"] for e in es] for f, es in form.errors.get_json_data().items()
            }
            if form.only_rules_broken():
                raise Conflict(errors)
            raise exceptions.ValidationError(errors)
        results = selectors.finder_results(form.needs())
        return Response(FinderResultSerializer({"results": results}).data)


class ApplicationAlternativesApi(APIView):
    """Your application's alternatives: offered when its site cannot staff it, its system has
    no GPU-hours left for it, or staff propose a move; same access mode, systems that can take
    it now, ranked with reasons. Only the applicant."""

    permission_classes = [IsAuthenticated]
    serializer_class = AlternativesSerializer  # for the schema generator

    @extend_schema(
        tags=["applications"],
        responses={200: AlternativesSerializer, 404: ERROR_404, **AUTH_ERRORS},
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        application = applications_selectors.application_get_for_owner(user=request.user, pk=pk)
        proposals = selectors.pending_proposals(application)
        why = selectors.move_offer_reason(application, proposals)
        body = {
            "application": {"id": application.pk, "title": application.title},
            "offered": bool(why),
            "why": why,
            "proposed": [p.system.slug for p in proposals],
            "alternatives": selectors.application_alternatives(application) if why else [],
        }
        return Response(AlternativesSerializer(body).data)


class ApplicationMoveApi(APIView):
    """Accept an alternative: the application moves to that system (and its AI Factory), keeps
    its history and is routed to reviewers there. Only the applicant; a system that cannot take
    it now is refused with the reason (409), and nothing changes."""

    permission_classes = [IsAuthenticated]
    serializer_class = MoveInputSerializer  # for the schema generator

    @extend_schema(
        tags=["applications"],
        request=MoveInputSerializer,
        responses={200: ApplicationSerializer, 400: ERROR_400, **WRITE_ERRORS},
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        application = applications_selectors.application_get_for_owner(user=request.user, pk=pk)
        serializer = MoveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        system = (
            System.objects.select_related("factory")
            .filter(slug=serializer.validated_data["system"])
            .first()
        )
        if system is None:
            raise Conflict({"system": [_("No such system.")]})
        # A rule refusing the move (a system that cannot take it, none offered) is a 409.
        rerouting.application_move(application=application, system=system, actor=request.user)
        moved = applications_selectors.application_get_for_applicant(user=request.user, pk=pk)
        return Response(
            ApplicationSerializer(moved, context={"request": request}).data,
            status=status.HTTP_200_OK,
        )
