"""API v1: allocations and their change requests (addressed by their application's number).
Outsiders get 404."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from allocations import selectors as rs
from allocations.models import Allocation
from allocations.serializers import (
    AllocationSerializer,
    ChangeDecisionInputSerializer,
    ChangeRequestInputSerializer,
    ChangeRequestSerializer,
    ReportInputSerializer,
    ReportSerializer,
)
from allocations.services import changes as change_services
from allocations.services import reports as report_services
from portal.api_schema import AUTH_ERRORS, ERROR_404, PAGE_ERRORS, WRITE_ERRORS
from portal.http import AuthenticatedRequest


class AllocationListApi(generics.ListAPIView):
    """Allocations: of your applications, of the sites you approve for, or all for staff."""

    permission_classes = [IsAuthenticated]
    serializer_class = AllocationSerializer
    request: AuthenticatedRequest

    def get_queryset(self) -> QuerySet[Allocation]:
        return rs.allocation_list_for_user(user=self.request.user)

    @extend_schema(
        tags=["reviews"], responses={200: AllocationSerializer(many=True), **PAGE_ERRORS}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AllocationDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["allocations"], responses={200: AllocationSerializer, 404: ERROR_404, **AUTH_ERRORS}
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        """The allocation of application `id`: its state, dates, GPU-hours awarded, used, left."""
        allocation = rs.allocation_get_for_user(user=request.user, application_pk=pk)
        return Response(AllocationSerializer(allocation).data)


class ChangeRequestListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["allocations"],
        responses={200: ChangeRequestSerializer(many=True), 404: ERROR_404, **AUTH_ERRORS},
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        """The change requests of the allocation of application `id`, newest first (its holders
        and its site see them)."""
        allocation = rs.allocation_get_for_user(user=request.user, application_pk=pk)
        changes = rs.change_requests_for(allocation)
        return Response(ChangeRequestSerializer(changes, many=True).data)

    @extend_schema(
        tags=["allocations"], request=ChangeRequestInputSerializer,
        responses={201: ChangeRequestSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        """Ask for a change, with a reason: `extension` (`new_end`), `gpu_hours`
        (`extra_gpu_hours`) or `team` (`team_change`). The applicant and the organisation's
        representatives only."""
        allocation = rs.allocation_get_for_holder(user=request.user, application_pk=pk)
        serializer = ChangeRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = change_services.change_request_create(
            allocation, user=request.user, **serializer.validated_data
        )
        return Response(ChangeRequestSerializer(change).data, status=status.HTTP_201_CREATED)


class ChangeRequestDecideApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["allocations"], request=ChangeDecisionInputSerializer,
        responses={200: ChangeRequestSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: AuthenticatedRequest, pk: int, change_id: int) -> Response:
        """The site approver's decision on a change request. More GPU-hours are granted only if
        the system has them left for the allocation's year."""
        allocation = rs.allocation_get_for_manager(user=request.user, application_pk=pk)
        change = rs.change_request_get(allocation=allocation, pk=change_id)
        serializer = ChangeDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = change_services.change_request_decide(
            change, approver=request.user, **serializer.validated_data
        )
        return Response(ChangeRequestSerializer(change).data)


class ReportSubmitApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["allocations"], request=ReportInputSerializer,
        responses={200: ReportSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: AuthenticatedRequest, pk: int, report_id: int) -> Response:
        """The holders hand in a progress or final report of the allocation: its `text`, once
        (409 when already in)."""
        allocation = rs.allocation_get_for_holder(user=request.user, application_pk=pk)
        report = rs.report_get(allocation=allocation, pk=report_id)
        serializer = ReportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = report_services.report_submit(
            report, user=request.user, text=serializer.validated_data["text"]
        )
        return Response(ReportSerializer(report).data)
