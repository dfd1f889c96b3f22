from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import AIFactory, Antenna, AntennaLink, Partition, Source, System


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


class FactoryAntennaSerializer(serializers.ModelSerializer):
    """A solid or medium link of a factory to an antenna."""

    slug = serializers.CharField(source="antenna.slug")
    name = serializers.CharField(source="antenna.display_name")
    country = serializers.CharField(source="antenna.country.code")
    url: serializers.HyperlinkedRelatedField[Antenna] = serializers.HyperlinkedRelatedField(
        source="antenna", view_name="api:antenna-detail", lookup_field="slug", read_only=True
    )

    class Meta:
        model = AntennaLink
        fields = ["slug", "name", "country", "url", "confidence"]


class FactorySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:factory-detail", lookup_field="slug")
    country = serializers.CharField(source="country.code")
    country_name = serializers.CharField(source="country.name")
    partners = serializers.SerializerMethodField()
    systems = SystemSummarySerializer(many=True, read_only=True)
    antennas = FactoryAntennaSerializer(source="shown_antenna_links", many=True, read_only=True)

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
            "antennas",
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


class PartitionSerializer(serializers.ModelSerializer):
    """A part of a system applicants ask resources on. `gpus_per_node`: its own figure, null
    where it is the system's (or not yet published); `is_open`: offered in the form now."""

    class Meta:
        model = Partition
        fields = ["id", "name", "accelerator", "gpus_per_node", "is_open"]


class SystemSerializer(SystemSummarySerializer):
    factory = FactoryRefSerializer(read_only=True)
    partitions = PartitionSerializer(many=True, read_only=True)

    class Meta(SystemSummarySerializer.Meta):
        fields = [
            *SystemSummarySerializer.Meta.fields,
            "factory",
            "vendor",
            "nodes",
            "gpus_per_node",
            "partitions",
            "available_from_note",
            "allocatable_gpu_hours_per_year",
            "notes",
        ]


class IntakeSerializer(serializers.Serializer):
    """Whether the system can take an application under a mode now, and why not."""

    mode = serializers.CharField(source="mode.slug")
    mode_name = serializers.CharField(source="mode.short_name")
    can_take = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why it cannot; empty when it can.")


class SystemDetailSerializer(SystemSerializer):
    sources = SourceSerializer(many=True, read_only=True)
    taking_applications = IntakeSerializer(source="intakes", many=True, read_only=True)

    class Meta(SystemSerializer.Meta):
        fields = [*SystemSerializer.Meta.fields, "sources", "taking_applications"]


class AntennaLinkSerializer(serializers.ModelSerializer):
    """A solid or medium link of an antenna to a factory."""

    slug = serializers.CharField(source="factory.slug")
    name = serializers.CharField(source="factory.display_name")
    url: serializers.HyperlinkedRelatedField[AIFactory] = serializers.HyperlinkedRelatedField(
        source="factory", view_name="api:factory-detail", lookup_field="slug", read_only=True
    )

    class Meta:
        model = AntennaLink
        fields = ["slug", "name", "url", "confidence", "basis"]


class AntennaSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:antenna-detail", lookup_field="slug")
    name = serializers.SerializerMethodField(help_text="Null while not yet published.")
    display_name = serializers.CharField()
    country = serializers.CharField(source="country.code")
    country_name = serializers.CharField(source="country.name")
    partners = serializers.SerializerMethodField()
    factories = AntennaLinkSerializer(source="shown_links", many=True, read_only=True)

    class Meta:
        model = Antenna
        fields = [
            "slug",
            "name",
            "display_name",
            "url",
            "country",
            "country_name",
            "membership",
            "host_entity",
            "partners",
            "selected_on",
            "budget",
            "notes",
            "factories",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_name(self, antenna: Antenna) -> str | None:
        return antenna.name or None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_partners(self, antenna: Antenna) -> list[str]:
        return antenna.partner_list


class AntennaDetailSerializer(AntennaSerializer):
    unconfirmed_links = AntennaLinkSerializer(many=True, read_only=True)
    sources = SourceSerializer(many=True, read_only=True)

    class Meta(AntennaSerializer.Meta):
        fields = [*AntennaSerializer.Meta.fields, "unconfirmed_links", "sources"]
