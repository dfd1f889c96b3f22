"""The site API of hand-offs (`Authorization: Site <key>`): the factory's hand-offs, with the
site export's document and Slurm commands, and the site's confirmation that it applied one."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from handoffs import selectors, services
from handoffs.models import HandOff, HandOffStatus, SiteToken
from handoffs.serializers import HandOffConfirmSerializer, HandOffSerializer
from handoffs.site_auth import SITE_AUTHENTICATION, IsSite
from portal.api_schema import AUTH_ERRORS, ERROR_400, ERROR_404, PAGE_ERRORS, WRITE_ERRORS


class SiteApi(APIView):
    """A view of the site API: a factory's site key, never a person."""

    authentication_classes: Sequence[type[BaseAuthentication]] = SITE_AUTHENTICATION
    permission_classes: Sequence[type[BasePermission]] = [IsSite]

    def token(self) -> SiteToken:
        token = self.request.auth
        assert isinstance(token, SiteToken)  # IsSite let the request through
        return token

    def factory_id(self) -> int:
        return self.token().factory_id


class SiteHandOffListApi(SiteApi, generics.ListAPIView):
    """The factory's hand-offs, newest first; `status` filters (e.g. `waiting`)."""

    serializer_class = HandOffSerializer

    def get_queryset(self) -> QuerySet[HandOff]:
        if getattr(self, "swagger_fake_view", False):  # the schema's generator: no request
            return HandOff.objects.none()
        queryset = selectors.handoff_list_for_factory(factory_id=self.factory_id())
        status = self.request.query_params.get("status")
        if status:
            if status not in HandOffStatus.values:
                raise exceptions.ValidationError(
                    {"status": [gettext("Not a status: %(status)s.") % {"status": repr(status)}]}
                )
            queryset = queryset.filter(status=status)
        return queryset

    @extend_schema(
        tags=["site"],
        parameters=[OpenApiParameter("status", enum=HandOffStatus.values)],
        responses={200: HandOffSerializer(many=True), 400: ERROR_400, **PAGE_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _handoff(factory_id: int, pk: int) -> HandOff:
    try:
        return selectors.handoff_get_for_factory(factory_id=factory_id, pk=pk)
    except HandOff.DoesNotExist as error:
        raise exceptions.NotFound() from error


class SiteHandOffDetailApi(SiteApi):
    serializer_class = HandOffSerializer

    @extend_schema(tags=["site"], responses={200: HandOffSerializer, 404: ERROR_404, **AUTH_ERRORS})
    def get(self, request, pk: int) -> Response:
        """One hand-off of the factory: its state and, for the site export, the document."""
        return Response(HandOffSerializer(_handoff(self.factory_id(), pk)).data)


class SiteHandOffConfirmApi(SiteApi):
    @extend_schema(
        tags=["site"], request=HandOffConfirmSerializer,
        responses={200: HandOffSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def post(self, request, pk: int) -> Response:
        """The site has created the account: the hand-off is done and the allocation active.
        Idempotent; 409 while the hand-off is queued or failed."""
        handoff = _handoff(self.factory_id(), pk)
        body = HandOffConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        handoff = services.handoff_confirm(
            handoff=handoff,
            factory=request.auth.factory,
            account=body.validated_data.get("account", ""),
        )
        return Response(HandOffSerializer(_handoff(self.factory_id(), handoff.pk)).data)
