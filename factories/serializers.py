from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import AIFactory, Source, System


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["url", "confidence", "note"]


class SystemSummarySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:system-detail", lookup_field="slug")

    class Meta:
        model = System
        fields = [
            "slug",
            "name",
            "url",
            "kind",
            "origin",
            "status",
            "accelerator",
            "accelerator_count",
            "accelerator_count_is_minimum",
            "peak_pflops",
            "ai_exaflops_training",
            "ai_exaflops_inference",
            "available_from",
            "available_from_precision",
        ]


class FactorySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:factory-detail", lookup_field="slug")
    country = serializers.CharField(source="country.code")
    country_name = serializers.CharField(source="country.name")
    partners = serializers.SerializerMethodField()
    systems = SystemSummarySerializer(many=True, read_only=True)

    class Meta:
        model = AIFactory
        fields = [
            "slug",
            "name",
            "short_name",
            "url",
            "city",
            "location_note",
            "country",
            "country_name",
            "host_entity",
            "partners",
            "wave",
            "selected_on",
            "website",
            "description",
            "systems",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_partners(self, factory: AIFactory) -> list[str]:
        return factory.partner_list


class FactoryDetailSerializer(FactorySerializer):
    sources = SourceSerializer(many=True, read_only=True)

    class Meta(FactorySerializer.Meta):
        fields = [*FactorySerializer.Meta.fields, "funding_notes", "services_note", "sources"]


class FactoryRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:factory-detail", lookup_field="slug")
    country = serializers.CharField(source="country.code")

    class Meta:
        model = AIFactory
        fields = ["slug", "name", "short_name", "url", "city", "country"]


class SystemSerializer(SystemSummarySerializer):
    factory = FactoryRefSerializer(read_only=True)

    class Meta(SystemSummarySerializer.Meta):
        fields = [
            *SystemSummarySerializer.Meta.fields,
            "factory",
            "vendor",
            "nodes",
            "available_from_note",
            "allocatable_gpu_hours_per_year",
            "notes",
        ]


class SystemDetailSerializer(SystemSerializer):
    sources = SourceSerializer(many=True, read_only=True)

    class Meta(SystemSerializer.Meta):
        fields = [*SystemSerializer.Meta.fields, "sources"]
