"""API v1 for reviewers and approvers. Someone else's assignment or another site: 404."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api_schema import ERROR_400, ERROR_401, ERROR_403, ERROR_404

from . import review_selectors as rs
from . import review_services
from .models import Application
from .review_serializers import (
    AllocationSerializer,
    AssignmentSerializer,
    DecisionInputSerializer,
    DecisionSerializer,
    DeclineInputSerializer,
    ReviewInputSerializer,
    ReviewSerializer,
)

AUTH_ERRORS = {401: ERROR_401, 403: ERROR_403}
# A paginated list answers 404 for a page beyond the last one (`?page=99`).
PAGE_ERRORS = {404: ERROR_404, **AUTH_ERRORS}
WRITE_ERRORS = {400: ERROR_400, 404: ERROR_404, **AUTH_ERRORS}


class AssignmentListApi(generics.ListAPIView):
    """Your review assignments, soonest due first."""

    permission_classes = [IsAuthenticated]
    serializer_class = AssignmentSerializer

    def get_queryset(self):
        return rs.assignment_list_for_reviewer(user=self.request.user)

    @extend_schema(
        tags=["reviews"], responses={200: AssignmentSerializer(many=True), **PAGE_ERRORS}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AssignmentAcceptApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reviews"], request=None, responses={200: AssignmentSerializer, **WRITE_ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = rs.assignment_get_for_reviewer(user=request.user, pk=pk)
        assignment = review_services.assignment_accept(assignment=assignment, reviewer=request.user)
        return Response(AssignmentSerializer(assignment).data)


class AssignmentReviewApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reviews"], request=ReviewInputSerializer,
        responses={201: ReviewSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        """Submit your review: scores 0-5 with a justification per criterion, comments, and a
        recommendation."""
        assignment = rs.assignment_get_for_reviewer(user=request.user, pk=pk)
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = review_services.review_record(
            assignment=assignment, reviewer=request.user, **serializer.validated_data
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class AssignmentDeclineApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reviews"], request=DeclineInputSerializer,
        responses={200: AssignmentSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        """Decline; with `conflict_of_interest` the application is routed to someone else."""
        assignment = rs.assignment_get_for_reviewer(user=request.user, pk=pk)
        serializer = DeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = review_services.assignment_decline(
            assignment=assignment, reviewer=request.user, **serializer.validated_data
        )
        return Response(AssignmentSerializer(assignment).data)


class ApplicationDecisionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reviews"], request=DecisionInputSerializer,
        responses={201: DecisionSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        """The site approver's decision. Approving creates an allocation, never beyond the
        system's remaining capacity for the period."""
        application = rs.application_get_for_reviewer(user=request.user, pk=pk)
        if not rs.is_site_approver(request.user, application.system.factory_id):
            raise Http404
        serializer = DecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            decision = review_services.application_decide(
                application=application, approver=request.user, **serializer.validated_data
            )
        except Application.DoesNotExist:
            raise Http404 from None
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class AllocationListApi(generics.ListAPIView):
    """Allocations: of your applications, of the sites you approve for, or all for staff."""

    permission_classes = [IsAuthenticated]
    serializer_class = AllocationSerializer

    def get_queryset(self):
        return rs.allocation_list_for_user(user=self.request.user)

    @extend_schema(
        tags=["reviews"], responses={200: AllocationSerializer(many=True), **PAGE_ERRORS}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
