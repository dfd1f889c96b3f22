"""API v1: an allocation's usage against its award, and the reclaim of its unused GPU-hours
(the site's notice, the holder's answer, the site's decision). Outsiders get 404."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from allocations import selectors as rs
from allocations.charts import monthly_usage, usage_chart
from allocations.serializers import (
    AllocationUsageSerializer,
    ReclaimAnswerInputSerializer,
    ReclaimDecisionInputSerializer,
    ReclaimNoticeInputSerializer,
    ReclaimNoticeSerializer,
)
from allocations.services import reclaim as reclaim_services
from portal.api_schema import AUTH_ERRORS, ERROR_404, WRITE_ERRORS
from portal.http import AuthenticatedRequest


class AllocationUsageApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["allocations"],
        responses={200: AllocationUsageSerializer, 404: ERROR_404, **AUTH_ERRORS},
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        """The allocation's usage against its award: GPU-hours used per month of its period
        and by each month's end, the share used and the share of the time passed."""
        allocation = rs.allocation_get_for_user(user=request.user, application_pk=pk)
        chart = usage_chart(
            allocation, monthly=monthly_usage(allocation), today=timezone.localdate()
        )
        data = {
            "application": allocation.application_id,
            "reference": allocation.reference,
            "title": allocation.application.title,
            "total_gpu_hours": allocation.total_gpu_hours,
            "used_gpu_hours": allocation.used_gpu_hours,
            "used_percent": chart.used_percent,
            "elapsed_percent": chart.elapsed_percent,
            "months": [
                {
                    "month": bar.label,
                    "used_gpu_hours": bar.used,
                    "cumulative_gpu_hours": bar.cumulative,
                }
                for bar in chart.bars
            ],
        }
        return Response(AllocationUsageSerializer(data).data)


class ReclaimNoticeListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["allocations"],
        responses={200: ReclaimNoticeSerializer(many=True), 404: ERROR_404, **AUTH_ERRORS},
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        """The reclaim notices of the allocation, newest first (its holders, its site, staff)."""
        allocation = rs.allocation_get_for_user(user=request.user, application_pk=pk)
        notices = rs.reclaim_notices_for(allocation)
        return Response(ReclaimNoticeSerializer(notices, many=True).data)

    @extend_schema(
        tags=["allocations"], request=ReclaimNoticeInputSerializer,
        responses={201: ReclaimNoticeSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        """The site's approver gives notice of reclaiming `gpu_hours` unused GPU-hours, with a
        `reason`: the holder may answer for 10 working days. 409 for more than is unused or
        with a notice open."""
        allocation = rs.allocation_get_for_manager(user=request.user, application_pk=pk)
        serializer = ReclaimNoticeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = reclaim_services.reclaim_notice_create(
            allocation, approver=request.user, **serializer.validated_data
        )
        return Response(ReclaimNoticeSerializer(notice).data, status=status.HTTP_201_CREATED)


class ReclaimAnswerApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["allocations"], request=ReclaimAnswerInputSerializer,
        responses={200: ReclaimNoticeSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: AuthenticatedRequest, pk: int, notice_id: int) -> Response:
        """The holder answers an open reclaim notice with a `text` (once)."""
        allocation = rs.allocation_get_for_holder(user=request.user, application_pk=pk)
        notice = rs.reclaim_notice_get(allocation=allocation, pk=notice_id)
        serializer = ReclaimAnswerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = reclaim_services.reclaim_notice_answer(
            notice, user=request.user, text=serializer.validated_data["text"]
        )
        return Response(ReclaimNoticeSerializer(notice).data)


class ReclaimDecideApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["allocations"], request=ReclaimDecisionInputSerializer,
        responses={200: ReclaimNoticeSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: AuthenticatedRequest, pk: int, notice_id: int) -> Response:
        """The site's approver `reclaim`s (once answered or past the deadline; at most what is
        unused) or `withdraw`s an open notice, with a `comment`."""
        allocation = rs.allocation_get_for_manager(user=request.user, application_pk=pk)
        notice = rs.reclaim_notice_get(allocation=allocation, pk=notice_id)
        serializer = ReclaimDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice = reclaim_services.reclaim_decide(
            notice, approver=request.user, **serializer.validated_data
        )
        return Response(ReclaimNoticeSerializer(notice).data)
