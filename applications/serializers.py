"""API shapes of access modes and applications."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from applications.models import AccessMode, Application, ApplicationEvent, Attachment, TeamMember
from applications.selectors import application_public_events
from factories.models import System
from organisations.models import Organisation


class AccessModeSerializer(serializers.ModelSerializer):
    systems: serializers.ManyRelatedField = serializers.SlugRelatedField(  # type: ignore[assignment]  # stubs: many=True makes a ManyRelatedField
        slug_field="slug", many=True, read_only=True
    )
    next_cutoff = serializers.SerializerMethodField()

    class Meta:
        model = AccessMode
        fields = [
            "slug",
            "name",
            "short_name",
            "family",
            "description",
            "eligible_org_types",
            "min_gpu_hours",
            "max_gpu_hours",
            "durations_months",
            "schedule",
            "next_cutoff",
            "decision_target_working_days",
            "review_steps",
            "systems",
        ]

    def get_next_cutoff(self, mode: AccessMode) -> str | None:
        now = self.context["now"]
        upcoming = [c.closes_at for c in mode.cutoffs.all() if c.closes_at > now]
        return min(upcoming).isoformat() if upcoming else None


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationEvent
        fields = ["kind", "from_status", "to_status", "message", "actor", "created_at"]

    def get_actor(self, event: ApplicationEvent) -> str | None:
        # Applicants see who acted only when it was themselves or a co-applicant.
        if event.actor_id is None:
            return None
        if event.actor_id == event.application.applicant_id:
            return str(event.actor)
        return "AI Factory staff"


class TeamMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamMember
        fields = ["name", "email", "role", "affiliation"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "created_at"]


def _blank_choice(name: str) -> serializers.ChoiceField:
    """A read-only choice of Application that a draft may leave blank.

    DRF drops `allow_blank` from read-only model fields, and the schema would then forbid the
    `""` that a draft has.
    """
    field = _model_field(name)
    return serializers.ChoiceField(
        choices=_choices(name), allow_blank=True, read_only=True, label=field.verbose_name
    )


def _model_field(name: str) -> models.Field[Any, Any]:
    field = Application._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _choices(name: str) -> list[tuple[str, str]]:
    """The choices of one of Application's TextChoices fields."""
    return list(_model_field(name).choices or ())


class ApplicationSerializer(serializers.ModelSerializer):
    """What an applicant sees of an application."""

    # A draft may have no access mode, system or choices yet: null and "" in the schema too.
    access_mode: serializers.SlugRelatedField[AccessMode] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    system: serializers.SlugRelatedField[System] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    ai_domain = _blank_choice("ai_domain")
    workload = _blank_choice("workload")
    gdpr_basis = _blank_choice("gdpr_basis")
    ai_act_risk = _blank_choice("ai_act_risk")
    url = serializers.HyperlinkedIdentityField(view_name="api:application-detail")
    events = serializers.SerializerMethodField()
    team_members = TeamMemberSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "url",
            "status",
            "organisation",
            "access_mode",
            "system",
            "title",
            "abstract",
            "ai_domain",
            "workload",
            "model_parameters_billions",
            "frameworks",
            "gpu_hours",
            "start_date",
            "duration_months",
            "data_sources",
            "data_licence",
            "personal_data",
            "gdpr_basis",
            "ai_act_risk",
            "team_members",
            "attachments",
            "submitted_at",
            "expected_decision_by",
            "created_at",
            "updated_at",
            "events",
        ]
        read_only_fields = fields

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, application: Application) -> list[dict[str, Any]]:
        events = application_public_events(application)
        for event in events:
            event.application = application
        return EventSerializer(events, many=True).data  # type: ignore[return-value]  # stubs: many=True gives a list


class ApplicationListSerializer(ApplicationSerializer):
    class Meta(ApplicationSerializer.Meta):
        fields = [
            "id",
            "url",
            "status",
            "organisation",
            "access_mode",
            "system",
            "title",
            "gpu_hours",
            "start_date",
            "duration_months",
            "submitted_at",
            "expected_decision_by",
            "updated_at",
        ]
        read_only_fields = fields


class ApplicationInputSerializer(serializers.Serializer):
    """A draft's fields; everything optional (a draft may be incomplete)."""

    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    access_mode = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=AccessMode.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    system = serializers.SlugRelatedField(
        slug_field="slug", queryset=System.objects.all(), required=False, allow_null=True
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    abstract = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    ai_domain = serializers.ChoiceField(
        choices=_choices("ai_domain"), required=False, allow_blank=True
    )
    workload = serializers.ChoiceField(
        choices=_choices("workload"), required=False, allow_blank=True
    )
    model_parameters_billions = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    frameworks = serializers.CharField(max_length=500, required=False, allow_blank=True)
    gpu_hours = serializers.IntegerField(
        min_value=0, max_value=2_000_000_000, required=False, allow_null=True
    )
    start_date = serializers.DateField(required=False, allow_null=True)
    duration_months = serializers.IntegerField(
        min_value=1, max_value=36, required=False, allow_null=True
    )
    data_sources = serializers.CharField(max_length=3000, required=False, allow_blank=True)
    data_licence = serializers.CharField(max_length=200, required=False, allow_blank=True)
    personal_data = serializers.BooleanField(required=False, allow_null=True)
    gdpr_basis = serializers.ChoiceField(
        choices=_choices("gdpr_basis"), required=False, allow_blank=True
    )
    ai_act_risk = serializers.ChoiceField(
        choices=_choices("ai_act_risk"),
        required=False,
        allow_blank=True,
    )
    team_members = TeamMemberSerializer(many=True, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the user's own organisations: someone else's id reads as unknown, so the API
        # does not tell which organisation ids exist.
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            organisation = self.fields["organisation"]
            assert isinstance(organisation, serializers.PrimaryKeyRelatedField)
            organisation.queryset = Organisation.objects.filter(
                memberships__user=request.user
            ).distinct()
