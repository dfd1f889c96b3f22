"""API shapes of hand-offs, for the site API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from handoffs.models import HandOff


class HandOffSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="allocation.application_id", read_only=True)
    system = serializers.CharField(source="allocation.system.slug", read_only=True)
    gpu_hours = serializers.IntegerField(source="allocation.gpu_hours", read_only=True)
    start = serializers.DateField(source="allocation.start", read_only=True)
    end = serializers.DateField(source="allocation.end", read_only=True)
    export = serializers.JSONField(
        read_only=True,
        help_text=_(
            "The site export: the allocation, its Slurm account and `slurm_commands` (empty for "
            "the other backends)."
        ),
    )

    class Meta:
        model = HandOff
        fields = [
            "id", "allocation", "application", "system", "gpu_hours", "start", "end", "backend",
            "status", "attempts", "last_error", "slurm_account", "export", "waldur_project_uuid",
            "waldur_order_uuid", "waldur_order_state", "waldur_resource_uuid", "created_at",
            "updated_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class HandOffConfirmSerializer(serializers.Serializer):
    account = serializers.RegexField(
        r"^[a-z0-9][a-z0-9_-]*$", max_length=60, required=False, allow_blank=True,
        help_text=_("The Slurm account created, when it differs from the exported one."),
    )  # fmt: skip
