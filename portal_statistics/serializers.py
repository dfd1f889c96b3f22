"""The public statistics as JSON: numbers or null, and which fields the small-number rule
withheld."""

from __future__ import annotations

from rest_framework import serializers


class ModeFiguresSerializer(serializers.Serializer):
    factory = serializers.CharField(source="factory_slug")
    factory_name = serializers.CharField()
    access_mode = serializers.CharField(source="mode_slug")
    access_mode_name = serializers.CharField(source="mode_name")
    decision_target_working_days = serializers.IntegerField(source="target_working_days")
    received = serializers.IntegerField(allow_null=True)
    decided = serializers.IntegerField(allow_null=True)
    median_working_days = serializers.FloatField(allow_null=True)
    p90_working_days = serializers.IntegerField(allow_null=True)
    decided_on_time_share = serializers.FloatField(source="on_time_share", allow_null=True)
    withheld = serializers.ListField(
        child=serializers.CharField(),
        help_text="Fields withheld (null) because they count fewer than `small_number` "
        "applications or decisions.",
    )


class SystemCapacitySerializer(serializers.Serializer):
    factory = serializers.CharField(source="factory_slug")
    system = serializers.CharField(source="system_slug")
    system_name = serializers.CharField()
    allocatable_gpu_hours_per_year = serializers.IntegerField(source="capacity", allow_null=True)
    remaining_gpu_hours = serializers.IntegerField(
        source="remaining", allow_null=True, help_text="Null: the capacity is not published."
    )


class PublicStatisticsSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="The capacity period (calendar year).")
    computed_at = serializers.DateTimeField()
    small_number = serializers.IntegerField()
    access_modes = ModeFiguresSerializer(source="modes", many=True)
    capacity = SystemCapacitySerializer(many=True)
