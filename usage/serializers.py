"""API shapes of usage, for the site API."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from usage.models import UsageRecord


class UsageRecordInSerializer(serializers.Serializer):
    allocation = serializers.IntegerField(min_value=1)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    gpu_hours = serializers.DecimalField(
        max_digits=14, decimal_places=4, min_value=Decimal("0"),
        help_text=_("GPU-hours used in the period (the period's total, not a running total)."),
    )  # fmt: skip


class UsagePushSerializer(serializers.Serializer):
    records = UsageRecordInSerializer(many=True, allow_empty=False, max_length=1000)  # type: ignore[call-arg]


class UsageRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = UsageRecord
        fields = ["id", "allocation", "source", "key", "period_start", "period_end", "gpu_hours",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields
