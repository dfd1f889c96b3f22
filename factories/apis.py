"""Read-only catalogue API: /api/v1/factories/, /api/v1/systems/ and /api/v1/antennas/."""

from __future__ import annotations

from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.permissions import AllowAny

from applications.intake import intakes_by_mode
from portal.api_schema import ERROR_400, ERROR_404

from . import selectors
from .caching import cache_public_catalogue
from .filters import AntennaFilter, FactoryFilter, SystemFilter
from .serializers import (
    AntennaDetailSerializer,
    AntennaSerializer,
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
    """The AI Factories with their systems and antennas. Filters: country, wave, antenna (slug:
    the factories it links to by a solid or medium link), kind, status, accelerator, q."""

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

    """One system with its sources and, for each active access mode, whether it can take an
    application now (`taking_applications`, with the reason when it cannot)."""

    def get_object(self):
        system = selectors.system_get(slug=self.kwargs["slug"])
        system.intakes = intakes_by_mode(system=system)  # type: ignore[attr-defined]
        return system


@method_decorator(cache_public_catalogue, name="dispatch")
@extend_schema_view(
    get=extend_schema(
        tags=["catalogue"],
        responses={200: AntennaSerializer(many=True), 400: ERROR_400, 404: ERROR_404},
    )
)
class AntennaListApi(generics.ListAPIView):
    """The AI Factory Antennas with the factories they link to (solid and medium links only).
    Filters: country, factory (slug)."""

    permission_classes = [AllowAny]
    serializer_class = AntennaSerializer
    filterset_class = AntennaFilter

    def get_queryset(self):
        return selectors.antenna_list()


@method_decorator(cache_public_catalogue, name="dispatch")
@extend_schema_view(
    get=extend_schema(tags=["catalogue"], responses={200: AntennaDetailSerializer, 404: ERROR_404})
)
class AntennaDetailApi(generics.RetrieveAPIView):
    """One antenna with its links, the weak ones apart (`unconfirmed_links`), and its sources."""

    permission_classes = [AllowAny]
    serializer_class = AntennaDetailSerializer

    def get_object(self):
        return selectors.antenna_get(slug=self.kwargs["slug"])
