"""API shapes of the call form's parts (applications.call_form): hours both ways, resources per
partition, milestones, excluded reviewers, and their input."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from applications import call_form
from applications.call_form_models import (
    EXCLUDED_REVIEWERS_MAX,
    MILESTONES_MAX,
    RESOURCE_LINES_MAX,
    ExcludedReviewer,
    Milestone,
    ResourceLine,
)
from factories.models import Partition
from portal.validators import InputSerializer

# An address Django's EmailValidator takes, as a pattern the schema can state (the server checks
# both): a dot-atom local part, host labels and a top-level domain of letters.
EMAIL_PATTERN = (
    r"\A[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z"
)


class HoursSerializer(serializers.Serializer):
    """An amount both ways; null where the GPUs per node are not published."""

    gpu_hours = serializers.IntegerField(allow_null=True)
    node_hours = serializers.IntegerField(allow_null=True)
    gpus_per_node = serializers.IntegerField(allow_null=True)


class ResourceLineSerializer(serializers.ModelSerializer):
    partition_name = serializers.SerializerMethodField()
    converted = serializers.SerializerMethodField()

    class Meta:
        model = ResourceLine
        fields = [
            "partition",
            "partition_name",
            "node_hours",
            "gpu_hours",
            "parallel_jobs",
            "gpus_per_job",
            "memory_gb",
            "storage_tb",
            "checkpoint_hours",
            "converted",
        ]

    def get_partition_name(self, line: ResourceLine) -> str | None:
        return line.partition.name if line.partition else None

    @extend_schema_field(HoursSerializer)
    def get_converted(self, line: ResourceLine) -> dict[str, Any]:
        return call_form.line_hours(line, line.application.system).__dict__


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["title", "month", "hours"]


class ExcludedReviewerSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExcludedReviewer
        fields = ["name", "email", "reason"]


class CallFormAnswersSerializer(serializers.Serializer):
    """The call form's lists and conversion in an application's output (mixed into
    ApplicationSerializer, whose Meta lists the fields)."""

    hours = serializers.SerializerMethodField()
    resource_lines = ResourceLineSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    excluded_reviewers = ExcludedReviewerSerializer(many=True, read_only=True)

    @extend_schema_field(HoursSerializer)
    def get_hours(self, application: Any) -> dict[str, Any]:
        """The GPU-hours asked, also as node-hours on the system."""
        return call_form.request_hours(application).__dict__


def _count(most: int | None = None, **kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=kwargs.pop("min_value", 0),
        max_value=most or 2_000_000_000,
        required=False,
        allow_null=True,
        **kwargs,
    )


def _amount(digits: int) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=digits, decimal_places=2, min_value=0, required=False, allow_null=True
    )


class ResourceLineInputSerializer(InputSerializer):
    """One partition's resources; the partition by its id (null: the whole system)."""

    partition = serializers.IntegerField(
        min_value=1, max_value=2_147_483_647, required=False, allow_null=True
    )
    node_hours = _count()
    gpu_hours = _count()
    parallel_jobs = _count(32_767, min_value=1)
    gpus_per_job = _count(min_value=1)
    memory_gb = _count()
    storage_tb = _amount(9)
    checkpoint_hours = _amount(6)


class MilestoneInputSerializer(InputSerializer):
    title = serializers.CharField(max_length=200)
    month = serializers.IntegerField(min_value=1, max_value=36)
    hours = serializers.IntegerField(min_value=0, max_value=2_000_000_000)


class ExcludedReviewerInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(
        max_length=254,
        validators=[RegexValidator(EMAIL_PATTERN, _("Enter a valid email address."))],
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


def _rows(child: serializers.Serializer, most: int) -> serializers.ListField:
    """A list of at most `most` rows, stated in the schema (maxItems) too."""
    return serializers.ListField(child=child, max_length=most, required=False)


class CallFormInputSerializer(InputSerializer):
    """The call form's fields of a draft's input (ApplicationInputSerializer extends it)."""

    ethics_human_agency = serializers.CharField(
        max_length=3000, required=False, allow_blank=True, trim_whitespace=False
    )
    ethics_privacy = serializers.CharField(
        max_length=3000, required=False, allow_blank=True, trim_whitespace=False
    )
    ethics_fairness = serializers.CharField(
        max_length=3000, required=False, allow_blank=True, trim_whitespace=False
    )
    ethics_wellbeing = serializers.CharField(
        max_length=3000, required=False, allow_blank=True, trim_whitespace=False
    )
    ethics_transparency = serializers.CharField(
        max_length=3000, required=False, allow_blank=True, trim_whitespace=False
    )
    ethics_accountability = serializers.CharField(
        max_length=3000, required=False, allow_blank=True, trim_whitespace=False
    )
    pi_contract_end = serializers.DateField(required=False, allow_null=True)
    pi_contract_permanent = serializers.BooleanField(required=False)
    fcfs_consent = serializers.BooleanField(required=False)
    resource_lines = _rows(ResourceLineInputSerializer(), RESOURCE_LINES_MAX)
    milestones = _rows(MilestoneInputSerializer(), MILESTONES_MAX)
    excluded_reviewers = _rows(ExcludedReviewerInputSerializer(), EXCLUDED_REVIEWERS_MAX)

    def validate_milestones(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _whole(rows, ("title", "month", "hours"))

    def validate_excluded_reviewers(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _whole(rows, ("name", "email"))


def _whole(rows: list[dict[str, Any]], names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each row whole, in a PATCH too (DRF makes nested fields optional there)."""
    errors = [
        {name: [gettext("This field is required.")] for name in names if name not in r}
        for r in rows
    ]
    if any(errors):
        raise serializers.ValidationError(errors)
    return rows


def resolve_partitions(attrs: dict[str, Any], errors: dict[str, list[str]], unknown: str) -> None:
    """The partitions of `attrs["resource_lines"]`, by id, as rows; an unknown one in `errors`
    (`unknown`: the message, with a `%(value)s` for the number)."""
    lines = attrs.get("resource_lines") or ()
    numbers = {line["partition"] for line in lines if line.get("partition") is not None}
    found = Partition.objects.in_bulk(numbers)
    for line in lines:
        number = line.get("partition")
        if number is not None and number not in found:
            errors.setdefault("resource_lines", []).append(unknown % {"value": number})
        line["partition"] = found.get(number) if number is not None else None
