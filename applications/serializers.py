"""API shapes of access modes and applications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from applications.call_form_models import ETHICS_FIELDS
from applications.call_form_serializers import (
    EMAIL_PATTERN,
    CallFormAnswersSerializer,
    CallFormInputSerializer,
    resolve_partitions,
)
from applications.models import (
    TEAM_MAX_MEMBERS,
    AccessMode,
    Application,
    ApplicationEvent,
    Attachment,
    TeamMember,
)
from applications.selectors import application_public_events
from factories.models import System
from organisations.models import Organisation
from portal.api import Conflict
from portal.api_rows import iso_date, row_context
from portal.validators import InputSerializer

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Lazy: made a str in the request's language where the error is raised. The slugs are quoted
# as Python quotes them (repr), the numbers as they are.
UNKNOWN_REFERENCE: dict[str, StrOrPromise] = {
    "organisation": _("You are not a member of an organisation numbered %(value)s."),
    "access_mode": _("There is no open access mode %(value)s."),
    "system": _("There is no system %(value)s."),
    "partition": _("There is no partition numbered %(value)s."),
}


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
        return gettext("AI Factory staff")


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


class ApplicationSerializer(CallFormAnswersSerializer, serializers.ModelSerializer):
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
            "hours",
            "resource_lines",
            "milestones",
            *ETHICS_FIELDS,
            "pi_contract_end",
            "pi_contract_permanent",
            "fcfs_consent",
            "excluded_reviewers",
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

    def to_representation(self, instance: Application) -> dict[str, Any]:
        """The declared fields' values, built in one step (portal/api_rows.py; the test compares
        them with DRF's field-by-field output)."""
        rows = row_context(self)
        mode, system = instance.access_mode, instance.system
        return {
            "id": instance.pk,
            "url": rows.url("api:application-detail", instance.pk),
            "status": instance.status,
            "organisation": instance.organisation_id,
            "access_mode": mode.slug if mode else None,
            "system": system.slug if system else None,
            "title": instance.title,
            "gpu_hours": instance.gpu_hours,
            "start_date": iso_date(instance.start_date),
            "duration_months": instance.duration_months,
            "submitted_at": rows.datetime(instance.submitted_at),
            "expected_decision_by": iso_date(instance.expected_decision_by),
            "updated_at": rows.datetime(instance.updated_at),
        }


class TeamMemberInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(
        max_length=254,
        validators=[RegexValidator(EMAIL_PATTERN, _("Enter a valid email address."))],
    )
    role = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    affiliation = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


def _slug_field() -> serializers.SlugField:
    """The slug of an access mode or system: its shape here (400), whether it exists in
    `validate` (409, see portal.api)."""
    return serializers.SlugField(max_length=50, required=False, allow_null=True)


class ApplicationInputSerializer(CallFormInputSerializer):
    """A draft's fields; everything optional (a draft may be incomplete), but at least one.

    The shapes answer 400; an organisation, access mode or system that does not exist or is not
    yours, a member listed twice and a start date beyond the horizon answer 409 (`validate`).
    """

    multi_line_fields = frozenset({"abstract", "data_sources", *ETHICS_FIELDS})

    organisation = serializers.IntegerField(
        min_value=1, max_value=2_147_483_647, required=False, allow_null=True
    )
    access_mode = _slug_field()
    system = _slug_field()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    abstract = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, trim_whitespace=False
    )
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
    data_sources = serializers.CharField(
        max_length=3000, required=False, allow_blank=True, trim_whitespace=False
    )
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
    # As many as the form takes.
    team_members = TeamMemberInputSerializer(
        many=True,
        required=False,
        max_length=TEAM_MAX_MEMBERS,  # type: ignore[call-arg]  # stubs: ListSerializer takes it
    )

    def validate_team_members(self, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each member whole, in a PATCH too (DRF makes nested fields optional there)."""
        errors = [
            {
                name: [gettext("This field is required.")]
                for name in ("name", "email")
                if name not in m
            }
            for m in members
        ]
        if any(errors):
            raise serializers.ValidationError(errors)
        return members

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The references, resolved: a missing or foreign one is a Conflict (409)."""
        errors: dict[str, list[str]] = {}
        request = self.context["request"]
        lookups: list[tuple[str, QuerySet[Any], str]] = [
            (
                "organisation",
                Organisation.objects.filter(memberships__user=request.user).distinct(),
                "pk",
            ),
            ("access_mode", AccessMode.objects.filter(is_active=True), "slug"),
            ("system", System.objects.all(), "slug"),
        ]
        for name, queryset, key in lookups:
            value = attrs.get(name)
            if value is None:
                continue
            found = queryset.filter(**{key: value}).first()
            if found is None:
                # Someone else's organisation reads as unknown: the API does not tell which
                # organisation ids exist.
                shown = value if name == "organisation" else repr(value)
                errors[name] = [str(UNKNOWN_REFERENCE[name]) % {"value": shown}]
            attrs[name] = found
        resolve_partitions(attrs, errors, str(UNKNOWN_REFERENCE["partition"]))
        emails = [m["email"].lower() for m in attrs.get("team_members") or ()]
        twice = sorted({e for e in emails if emails.count(e) > 1})
        if twice:
            errors["team_members"] = [
                gettext("%(email)s is listed twice.") % {"email": e} for e in twice
            ]
        if errors:
            raise Conflict(errors)
        return attrs
