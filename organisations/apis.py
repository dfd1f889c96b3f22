"""API v1: the user's organisations, and describing a new one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from organisations import selectors, services
from organisations.serializers import OrganisationInputSerializer, OrganisationSerializer
from portal.api_schema import (
    AUTH_ERRORS,
    ERROR_400,
)
from portal.http import AuthenticatedRequest


class OrganisationListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["applications"],
        responses={200: OrganisationSerializer(many=True), **AUTH_ERRORS},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        organisations = selectors.organisation_list_for_user(user=request.user).prefetch_related(
            "memberships"
        )
        data = OrganisationSerializer(organisations, many=True, context={"request": request}).data
        return Response(data)

    @extend_schema(
        tags=["applications"],
        request=OrganisationInputSerializer,
        responses={201: OrganisationSerializer, 400: ERROR_400, **AUTH_ERRORS},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        serializer = OrganisationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = services.organisation_create(user=request.user, **serializer.validated_data)
        organisation = (
            selectors.organisation_list_for_user(user=request.user)
            .prefetch_related("memberships")
            .get(pk=organisation.pk)
        )
        body = OrganisationSerializer(organisation, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)
