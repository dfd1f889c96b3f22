"""API shapes of allocations."""

from __future__ import annotations

from rest_framework import serializers

from allocations.models import Allocation
from factories.models import System


class AllocationSerializer(serializers.ModelSerializer):
    system: serializers.SlugRelatedField[System] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    factory = serializers.CharField(source="system.factory.slug", read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "application", "system", "factory", "gpu_hours", "start", "end",
                  "period_year", "created_at"]  # fmt: skip
        read_only_fields = fields
