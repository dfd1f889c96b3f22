"""The site API of usage (`Authorization: Site <key>`): the site pushes the GPU-hours its
accounting counted, per allocation and period."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from allocations.models import Allocation
from handoffs.apis import SiteApi
from portal.api_schema import WRITE_ERRORS
from usage import services
from usage.serializers import UsagePushSerializer, UsageRecordSerializer


class SiteUsagePushApi(SiteApi):
    @extend_schema(
        tags=["site"], request=UsagePushSerializer,
        responses={201: UsageRecordSerializer(many=True), **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request) -> Response:
        """Usage records of the factory's allocations: each created, or replacing the record of
        the same allocation and period; the allocations' used totals follow. All or nothing:
        400 for a malformed record, 409 for one outside its allocation's dates, 404 for an
        allocation of another factory."""
        body = UsagePushSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            saved = services.usage_records_push(
                factory=self.token().factory, records=body.validated_data["records"]
            )
        except Allocation.DoesNotExist as error:
            raise exceptions.NotFound(gettext("No such allocation at this factory.")) from error
        return Response(
            UsageRecordSerializer(saved, many=True).data, status=status.HTTP_201_CREATED
        )
