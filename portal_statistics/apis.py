"""GET /api/v1/statistics/: the public statistics, the same figures as the page."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal_statistics import selectors
from portal_statistics.serializers import PublicStatisticsSerializer


class StatisticsApi(APIView):
    """Per AI Factory and access mode: applications received and decided, working days to a
    decision against the mode's target, the share decided on time; the capacity left per
    system this year. Counts of 1 to 4 and figures from fewer than 5 decisions are null."""

    permission_classes = [AllowAny]

    @extend_schema(tags=["statistics"], responses={200: PublicStatisticsSerializer})
    def get(self, request: Request) -> Response:
        return Response(PublicStatisticsSerializer(selectors.public_statistics()).data)
