"""API shapes of assignments, reviews and decisions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from applications.models import AccessMode
from factories.models import System
from portal.api_rows import iso_date, row_context
from portal.validators import InputSerializer
from reviews.models import Assignment, Decision, Review

# The most GPU-hours a review may recommend or a decision award (the draft's own bound).
MAX_GPU_HOURS = 2_000_000_000


class AssignmentSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    title = serializers.CharField(source="application.title", read_only=True)
    access_mode: serializers.SlugRelatedField[AccessMode] = serializers.SlugRelatedField(
        source="application.access_mode", slug_field="slug", read_only=True
    )
    system: serializers.SlugRelatedField[System] = serializers.SlugRelatedField(
        source="application.system", slug_field="slug", read_only=True
    )
    factory = serializers.CharField(source="application.system.factory.slug", read_only=True)
    gpu_hours = serializers.IntegerField(source="application.gpu_hours", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "application",
            "title",
            "access_mode",
            "system",
            "factory",
            "gpu_hours",
            "kind",
            "status",
            "due_by",
            "decline_reason",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Assignment) -> dict[str, Any]:
        """The declared fields' values, built in one step (portal/api_rows.py; the test compares
        them with DRF's field-by-field output)."""
        rows = row_context(self)
        application = instance.application
        mode, system = application.access_mode, application.system
        data: dict[str, Any] = {
            "id": instance.pk,
            "application": instance.application_id,
            "title": application.title,
            "access_mode": mode.slug if mode else None,
            "system": system.slug if system else None,
            "factory": system.factory.slug if system else None,
            "gpu_hours": application.gpu_hours,
            "kind": instance.kind,
            "status": instance.status,
            "due_by": iso_date(instance.due_by),
            "decline_reason": instance.decline_reason,
            "created_at": rows.datetime(instance.created_at),
        }
        if system is None:
            del data["factory"]  # as DRF does: a dotted source through a missing system
        return data


class ReviewInputSerializer(InputSerializer):
    multi_line_fields = frozenset(
        {
            "technical_feasibility_note",
            "ai_innovation_note",
            "team_readiness_note",
            "resource_justification_note",
            "comment_for_applicant",
            "internal_note",
        }
    )

    technical_feasibility = serializers.IntegerField(min_value=0, max_value=5)
    technical_feasibility_note = serializers.CharField(max_length=1000)
    ai_innovation = serializers.IntegerField(min_value=0, max_value=5)
    ai_innovation_note = serializers.CharField(max_length=1000)
    team_readiness = serializers.IntegerField(min_value=0, max_value=5)
    team_readiness_note = serializers.CharField(max_length=1000)
    resource_justification = serializers.IntegerField(min_value=0, max_value=5)
    resource_justification_note = serializers.CharField(max_length=1000)
    comment_for_applicant = serializers.CharField(max_length=4000)
    internal_note = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    recommendation = serializers.ChoiceField(choices=Review.Recommendation.choices)
    recommended_gpu_hours = serializers.IntegerField(
        min_value=1, max_value=MAX_GPU_HOURS, required=False, allow_null=True
    )


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = [
            "id",
            "technical_feasibility",
            "technical_feasibility_note",
            "ai_innovation",
            "ai_innovation_note",
            "team_readiness",
            "team_readiness_note",
            "resource_justification",
            "resource_justification_note",
            "comment_for_applicant",
            "internal_note",
            "recommendation",
            "recommended_gpu_hours",
            "created_at",
        ]
        read_only_fields = fields


class DeclineInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=300)
    conflict_of_interest = serializers.BooleanField(required=False, default=False)


class DecisionInputSerializer(InputSerializer):
    multi_line_fields = frozenset({"comment"})

    outcome = serializers.ChoiceField(choices=Decision.Outcome.choices)
    # A rejection gives no hours: absent means None (the service's argument is required).
    gpu_hours = serializers.IntegerField(
        min_value=1, max_value=MAX_GPU_HOURS, required=False, allow_null=True, default=None
    )
    comment = serializers.CharField(max_length=4000)


class DecisionSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    allocation = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = ["application", "outcome", "gpu_hours", "comment", "created_at", "allocation"]
        read_only_fields = fields

    def get_allocation(self, decision: Decision) -> int | None:
        allocation = getattr(decision.application, "allocation", None)
        return allocation.pk if allocation else None
