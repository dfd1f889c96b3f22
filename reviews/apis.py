"""API v1 for reviewers and approvers. Someone else's assignment or another site: 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.models import Application
from portal import permissions
from portal.api_schema import (
    FILTERED_LIST_ERRORS,
    WRITE_ERRORS,
)
from portal.http import AuthenticatedRequest
from reviews import selectors as rs
from reviews.filters import AssignmentFilter
from reviews.models import Assignment
from reviews.serializers import (
    AssignmentSerializer,
    DecisionInputSerializer,
    DecisionSerializer,
    DeclineInputSerializer,
    ReviewInputSerializer,
    ReviewSerializer,
)
from reviews.services import assignments as assignment_services
from reviews.services import decisions as decision_services


class AssignmentListApi(generics.ListAPIView):
    """Your review assignments, soonest due first."""

    permission_classes = [IsAuthenticated]
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    request: AuthenticatedRequest

    def get_queryset(self) -> QuerySet[Assignment]:
        return rs.assignment_list_for_reviewer_api(user=self.request.user)

    @extend_schema(
        tags=["reviews"],
        responses={200: AssignmentSerializer(many=True), **FILTERED_LIST_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AssignmentAcceptApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reviews"], request=None, responses={200: AssignmentSerializer, **WRITE_ERRORS}
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        assignment = rs.assignment_get_for_reviewer(user=request.user, pk=pk)
        assignment = assignment_services.assignment_accept(
            assignment=assignment, reviewer=request.user
        )
        return Response(AssignmentSerializer(assignment).data)


class AssignmentReviewApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reviews"], request=ReviewInputSerializer,
        responses={201: ReviewSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        """Submit your review: scores 0-5 with a justification per criterion, comments, and a
        recommendation."""
        assignment = rs.assignment_get_for_reviewer(user=request.user, pk=pk)
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = assignment_services.review_record(
            assignment=assignment, reviewer=request.user, **serializer.validated_data
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class AssignmentDeclineApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reviews"], request=DeclineInputSerializer,
        responses={200: AssignmentSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        """Decline; with `conflict_of_interest` the application is routed to someone else."""
        assignment = rs.assignment_get_for_reviewer(user=request.user, pk=pk)
        serializer = DeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = assignment_services.assignment_decline(
            assignment=assignment, reviewer=request.user, **serializer.validated_data
        )
        return Response(AssignmentSerializer(assignment).data)


class ApplicationDecisionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reviews"], request=DecisionInputSerializer,
        responses={201: DecisionSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        """The site approver's decision. Approving creates an allocation, never beyond the
        system's remaining capacity for the period."""
        application = rs.application_get_for_reviewer(user=request.user, pk=pk)
        if not permissions.may_decide(request.user, application):
            raise Http404
        serializer = DecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            decision = decision_services.application_decide(
                application=application, approver=request.user, **serializer.validated_data
            )
        except Application.DoesNotExist:
            raise Http404 from None
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)
