"""Read-only catalogue API: /api/v1/factories/ and /api/v1/systems/."""

from __future__ import annotations

from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.permissions import AllowAny

from portal.api_schema import ERROR_400, ERROR_404

from . import selectors
from .caching import cache_public_catalogue
from .filters import FactoryFilter, SystemFilter
from .serializers import (
    FactoryDetailSerializer,
    FactorySerializer,
    SystemDetailSerializer,
    SystemSerializer,
)


@method_decorator(cache_public_catalogue, name="dispatch")
@extend_schema_view(
    get=extend_schema(
        tags=["catalogue"],
        responses={200: FactorySerializer(many=True), 400: ERROR_400, 404: ERROR_404},
    )
)
class FactoryListApi(generics.ListAPIView):
    """The AI Factories with their systems. Filters: country, wave, kind, status, accelerator, q."""

    permission_classes = [AllowAny]
    serializer_class = FactorySerializer
    filterset_class = FactoryFilter

    def get_queryset(self):
        return selectors.factory_list()


@method_decorator(cache_public_catalogue, name="dispatch")
@extend_schema_view(
    get=extend_schema(tags=["catalogue"], responses={200: FactoryDetailSerializer, 404: ERROR_404})
)
class FactoryDetailApi(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = FactoryDetailSerializer

    def get_object(self):
        return selectors.factory_get(slug=self.kwargs["slug"])


@method_decorator(cache_public_catalogue, name="dispatch")
@extend_schema_view(
    get=extend_schema(
        tags=["catalogue"],
        responses={200: SystemSerializer(many=True), 400: ERROR_400, 404: ERROR_404},
    )
)
class SystemListApi(generics.ListAPIView):
    """Systems of all factories. Filters: factory, country, kind, status, origin, accelerator."""

    permission_classes = [AllowAny]
    serializer_class = SystemSerializer
    filterset_class = SystemFilter

    def get_queryset(self):
        return selectors.system_list()


@method_decorator(cache_public_catalogue, name="dispatch")
@extend_schema_view(
    get=extend_schema(tags=["catalogue"], responses={200: SystemDetailSerializer, 404: ERROR_404})
)
class SystemDetailApi(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = SystemDetailSerializer

    def get_object(self):
        return selectors.system_get(slug=self.kwargs["slug"])
