"""API v1 for applicants: access modes and applications."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from applications import call_form_services, selectors, services
from applications.filters import ApplicationFilter
from applications.models import Application
from applications.serializers import (
    AccessModeSerializer,
    ApplicationInputSerializer,
    ApplicationListSerializer,
    ApplicationSerializer,
)
from portal.api_schema import (
    AUTH_ERRORS,
    ERROR_400,
    ERROR_404,
    FILTERED_LIST_ERRORS,
)
from portal.http import AuthenticatedRequest


class AccessModeListApi(generics.ListAPIView):
    """The access modes, their rules and their next cut-off. Public."""

    permission_classes = [AllowAny]
    serializer_class = AccessModeSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.access_mode_list()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(tags=["applications"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@transaction.atomic
def _save_draft(
    request: AuthenticatedRequest, application: Application | None = None
) -> Application:
    """The draft's fields and its team in one transaction with their validation: a refusal of
    either leaves the draft as it was (or no draft at all)."""
    serializer = ApplicationInputSerializer(
        data=request.data, partial=application is not None, context={"request": request}
    )
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    team = values.pop("team_members", None)
    lines = values.pop("resource_lines", None)
    milestones = values.pop("milestones", None)
    excluded = values.pop("excluded_reviewers", None)
    if application is None:
        application = services.application_create(applicant=request.user, **values)
    else:
        application = services.application_update(
            application=application, actor=request.user, **values
        )
    actor = request.user
    if team is not None:
        services.team_members_set(application=application, actor=actor, members=team)
    if lines is not None:
        call_form_services.resource_lines_set(application=application, actor=actor, lines=lines)
    if milestones is not None:
        call_form_services.milestones_set(
            application=application, actor=actor, milestones=milestones
        )
    if excluded is not None:
        call_form_services.excluded_reviewers_set(
            application=application, actor=actor, reviewers=excluded
        )
    return selectors.application_get_for_applicant(user=request.user, pk=application.pk)


class ApplicationListCreateApi(generics.ListAPIView):
    """Applications you may follow (yours and those of organisations you represent)."""

    permission_classes = [IsAuthenticated]
    serializer_class = ApplicationListSerializer
    filterset_class = ApplicationFilter
    request: AuthenticatedRequest

    def get_queryset(self) -> QuerySet[Application]:
        return selectors.application_list_for_applicant_api(user=self.request.user)

    @extend_schema(
        tags=["applications"],
        responses={200: ApplicationListSerializer(many=True), **FILTERED_LIST_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["applications"],
        request=ApplicationInputSerializer,
        responses={201: ApplicationSerializer, 400: ERROR_400, **AUTH_ERRORS},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        """Create a draft. Every field is optional until submission."""
        application = _save_draft(request)
        body = ApplicationSerializer(application, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ApplicationDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["applications"], responses={200: ApplicationSerializer, 404: ERROR_404, **AUTH_ERRORS}
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        application = selectors.application_get_for_applicant(user=request.user, pk=pk)
        return Response(ApplicationSerializer(application, context={"request": request}).data)

    @extend_schema(
        tags=["applications"],
        request=ApplicationInputSerializer,
        responses={200: ApplicationSerializer, 400: ERROR_400, 404: ERROR_404, **AUTH_ERRORS},
    )
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        """Change a draft (only the applicant, only while it is a draft)."""
        application = selectors.application_get_for_owner(user=request.user, pk=pk)
        application = _save_draft(request, application)
        return Response(ApplicationSerializer(application, context={"request": request}).data)


class ApplicationSubmitApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["applications"],
        request=None,
        responses={200: ApplicationSerializer, 400: ERROR_400, 404: ERROR_404, **AUTH_ERRORS},
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        """Submit a draft: every rule is checked; 400 names each broken one. Idempotent."""
        application = selectors.application_get_for_owner(user=request.user, pk=pk)
        services.application_submit(application=application, actor=request.user)
        application = selectors.application_get_for_applicant(user=request.user, pk=pk)
        return Response(ApplicationSerializer(application, context={"request": request}).data)


class ApplicationWithdrawApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["applications"],
        request=None,
        responses={200: ApplicationSerializer, 400: ERROR_400, 404: ERROR_404, **AUTH_ERRORS},
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        """Withdraw an application before a decision. Idempotent."""
        application = selectors.application_get_for_owner(user=request.user, pk=pk)
        services.application_withdraw(application=application, actor=request.user)
        application = selectors.application_get_for_applicant(user=request.user, pk=pk)
        return Response(ApplicationSerializer(application, context={"request": request}).data)
