"""API shapes of allocations and their change requests."""

from __future__ import annotations

from rest_framework import serializers

from allocations.models import Allocation, ChangeRequest, ReclaimNotice, Report
from factories.models import System


class AllocationSerializer(serializers.ModelSerializer):
    system: serializers.SlugRelatedField[System] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    factory = serializers.CharField(source="system.factory.slug", read_only=True)
    reference = serializers.CharField(read_only=True)
    title = serializers.CharField(source="application.title", read_only=True)
    total_gpu_hours = serializers.IntegerField(read_only=True)
    left_gpu_hours = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "reference", "application", "title", "system", "factory", "status",
                  "gpu_hours", "extra_gpu_hours", "reclaimed_gpu_hours", "total_gpu_hours",
                  "used_gpu_hours", "left_gpu_hours", "usage_updated_at", "start", "end",
                  "ended_on", "period_year", "created_at"]  # fmt: skip
        read_only_fields = fields


class ChangeRequestSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="allocation.application_id", read_only=True)
    title = serializers.CharField(source="allocation.application.title", read_only=True)

    class Meta:
        model = ChangeRequest
        fields = ["id", "application", "title", "kind", "status", "reason", "new_end",
                  "extra_gpu_hours", "team_change", "created_at", "decided_at",
                  "decision_comment"]  # fmt: skip
        read_only_fields = fields


class ChangeRequestInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ChangeRequest.Kind.choices)
    reason = serializers.CharField(max_length=5000)
    new_end = serializers.DateField(required=False, allow_null=True, default=None)
    extra_gpu_hours = serializers.IntegerField(
        min_value=1, max_value=100_000_000, required=False, allow_null=True, default=None
    )
    team_change = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )


class ChangeDecisionInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = serializers.CharField(max_length=2000)


class ReclaimNoticeSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="allocation.application_id", read_only=True)
    title = serializers.CharField(source="allocation.application.title", read_only=True)

    class Meta:
        model = ReclaimNotice
        fields = ["id", "application", "title", "status", "gpu_hours", "reason", "deadline",
                  "answer", "answered_at", "reclaimed_gpu_hours", "decided_at", "decision_comment",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class ReclaimNoticeInputSerializer(serializers.Serializer):
    gpu_hours = serializers.IntegerField(min_value=1, max_value=100_000_000)
    reason = serializers.CharField(max_length=5000)


class ReclaimAnswerInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class ReclaimDecisionInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("reclaim", "Reclaim"), ("withdraw", "Withdraw")])
    comment = serializers.CharField(max_length=2000)
    gpu_hours = serializers.IntegerField(
        min_value=1, max_value=100_000_000, required=False, allow_null=True, default=None
    )


class UsageMonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    used_gpu_hours = serializers.DecimalField(max_digits=14, decimal_places=2)
    cumulative_gpu_hours = serializers.DecimalField(max_digits=14, decimal_places=2)


class AllocationUsageSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    total_gpu_hours = serializers.IntegerField()
    used_gpu_hours = serializers.DecimalField(max_digits=14, decimal_places=2)
    used_percent = serializers.IntegerField()
    elapsed_percent = serializers.IntegerField()
    months = UsageMonthSerializer(many=True)


class ReportSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="allocation.application_id", read_only=True)
    title = serializers.CharField(source="allocation.application.title", read_only=True)

    class Meta:
        model = Report
        fields = ["id", "application", "title", "kind", "due_on", "submitted_at"]
        read_only_fields = fields


class ReportInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20000)
