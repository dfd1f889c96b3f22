"""The finder's inputs: one form, read by the page (`/finder/`) and the API (`GET
/api/v1/finder/`) alike, so both accept and refuse the same things with the same words."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from applications.choices import Workload
from factories.models import System
from finder import ranking
from organisations.models import OrganisationType

# The code of an error no schema can state (a date in the past, two fields given together): the
# API answers it as a well-formed request its rules refuse (409), the rest as invalid (400).
RULE = "rule"


def _country_choices() -> list[tuple[str, str]]:
    return [("", "—"), *((code, str(name)) for code, name in countries)]


class FinderForm(forms.Form):
    org_type = forms.ChoiceField(
        label=_("Organisation type"), choices=OrganisationType.choices, help_text=_("Who applies.")
    )
    country = forms.ChoiceField(
        label=_("Organisation's country"), choices=_country_choices, required=False,
        help_text=_("Finds an AI Factory Antenna in your country linked to the factory."),
    )  # fmt: skip
    workload = forms.ChoiceField(
        label=_("Workload"),
        choices=[("", "—"), *Workload.choices],
        required=False,
        help_text=_("What you will run."),
    )
    model_parameters_billions = forms.FloatField(
        label=_("Model size (billions of parameters)"), required=False, min_value=0,
        max_value=100_000,
    )  # fmt: skip
    gpu_hours = forms.IntegerField(
        label=_("GPU-hours"), required=False, min_value=1, max_value=100_000_000
    )
    node_hours = forms.IntegerField(
        label=_("Node-hours"), required=False, min_value=1, max_value=10_000_000,
        help_text=_("Instead of GPU-hours: converted with each system's GPUs per node."),
    )  # fmt: skip
    accelerator = forms.CharField(
        label=_("Preferred accelerator"), required=False, max_length=60,
        help_text=_("A model name or part of it, e.g. H100, GH200, MI250X."),
    )  # fmt: skip
    gpu_memory_gb = forms.IntegerField(
        label=_("GPU memory needed (GB)"), required=False, min_value=1, max_value=4096
    )
    frameworks = forms.CharField(
        label=_("Frameworks or containers"), required=False, max_length=200,
        help_text=_("E.g. PyTorch, JAX, Apptainer."),
    )  # fmt: skip
    start = forms.DateField(label=_("Earliest start"), required=False, help_text=_("YYYY-MM-DD."))
    duration_months = forms.IntegerField(
        label=_("Duration (months)"), required=False, min_value=1, max_value=60
    )
    data_country = forms.ChoiceField(
        label=_("Data must stay in"), choices=_country_choices, required=False,
        help_text=_("A country your data may not leave."),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)
        self.fields["start"].widget.input_type = "date"

    def clean_start(self) -> Any:
        start = self.cleaned_data.get("start")
        if start is not None and start < timezone.localdate():
            raise forms.ValidationError(_("The earliest start cannot be in the past."), code=RULE)
        return start

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("gpu_hours") and data.get("node_hours"):
            self.add_error(
                "node_hours",
                forms.ValidationError(_("Give GPU-hours or node-hours, not both."), code=RULE),
            )
        return data

    def only_rules_broken(self) -> bool:
        """Invalid only by RULE errors (call `is_valid()` first)."""
        errors = [e for field in self.errors.as_data().values() for e in field]
        return bool(errors) and all(e.code == RULE for e in errors)

    def needs(self) -> ranking.Needs:
        """The needs stated (call `is_valid()` first, and only when it held)."""
        data = self.cleaned_data
        size = data.get("model_parameters_billions")
        return ranking.Needs(
            org_type=data["org_type"],
            country=data.get("country") or "",
            workload=data.get("workload") or "",
            model_parameters_billions=None if size is None else Decimal(str(size)),
            gpu_hours=data.get("gpu_hours"),
            node_hours=data.get("node_hours"),
            accelerator=(data.get("accelerator") or "").strip(),
            gpu_memory_gb=data.get("gpu_memory_gb"),
            frameworks=(data.get("frameworks") or "").strip(),
            start=data.get("start"),
            duration_months=data.get("duration_months"),
            data_country=data.get("data_country") or "",
        )


class MoveForm(forms.Form):
    """The system an applicant (or staff, proposing) chooses to move an application to."""

    system = forms.ModelChoiceField(
        label=_("System"), queryset=System.objects.select_related("factory"), to_field_name="slug",
        error_messages={"invalid_choice": _("No such system.")},
    )  # fmt: skip
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=500, widget=forms.Textarea
    )
