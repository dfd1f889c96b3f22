"""API v1: allocations."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from allocations import selectors as rs
from allocations.models import Allocation
from allocations.serializers import AllocationSerializer
from portal.api_schema import PAGE_ERRORS
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
