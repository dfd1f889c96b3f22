"""The steps of the application form. Forms validate shapes; the rules live in services and
rules.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from applications.models import AccessMode, Application, TeamMember
from factories.models import System
from organisations.models import Organisation
from portal.forms import BootstrapMixin

if TYPE_CHECKING:
    from accounts.models import User


class StepForm(BootstrapMixin, forms.ModelForm):
    """A page of the multi-step application form. Every field is optional in a draft."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            field.required = False
        self._style()

    def _choice_field(self, name: str) -> forms.ModelChoiceField[Any]:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        return field


class OrganisationStepForm(StepForm):
    class Meta:
        model = Application
        fields = ["organisation", "access_mode"]
        widgets = {"access_mode": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = self._choice_field("organisation")
        organisation.queryset = Organisation.objects.filter(memberships__user=self.user).distinct()
        organisation.empty_label = "Choose an organisation"
        access_mode = self._choice_field("access_mode")
        access_mode.queryset = AccessMode.objects.filter(is_active=True)
        access_mode.empty_label = None


class ProjectStepForm(StepForm):
    class Meta:
        model = Application
        fields = [
            "title",
            "abstract",
            "ai_domain",
            "workload",
            "model_parameters_billions",
            "frameworks",
        ]
        widgets = {"abstract": forms.Textarea(attrs={"rows": 6})}


class SystemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, system: System) -> str:
        status = system.get_status_display() if system.status else "status not yet published"
        return f"{system.name} ({system.factory.display_name}, {system.factory.city}) · {status}"


class ResourcesStepForm(StepForm):
    system = SystemChoiceField(queryset=System.objects.none(), required=False)

    class Meta:
        model = Application
        fields = ["system", "gpu_hours", "start_date", "duration_months"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mode = self.instance.access_mode
        systems = System.objects.select_related("factory").exclude(status=System.Status.RETIRED)
        if mode is not None:
            systems = systems.filter(access_modes=mode)
            choices = [("", "Choose")] + [(m, f"{m} months") for m in mode.durations_months]
            self.fields["duration_months"].widget = forms.Select(choices=choices)
        system = self._choice_field("system")
        system.queryset = systems
        system.empty_label = "Choose a system"
        self._style()


class DataStepForm(StepForm):
    personal_data = forms.TypedChoiceField(
        label="Does the project process personal data?",
        choices=[("", "Not answered"), ("yes", "Yes"), ("no", "No")],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    attachment = forms.FileField(
        required=False,
        label="Add an attachment (PDF, at most 10 MB)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    class Meta:
        model = Application
        fields = ["data_sources", "data_licence", "personal_data", "gdpr_basis", "ai_act_risk"]
        widgets = {"data_sources": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        value = self.instance.personal_data
        self.initial["personal_data"] = {True: "yes", False: "no"}.get(value, "")


class TeamMemberForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = TeamMember
        fields = ["name", "email", "role", "affiliation"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


TeamMemberFormSet = forms.formset_factory(TeamMemberForm, extra=2, max_num=30, can_delete=True)

STEPS: list[tuple[str, str, type[StepForm] | None]] = [
    ("organisation", "Organisation", OrganisationStepForm),
    ("project", "Project", ProjectStepForm),
    ("resources", "Resources", ResourcesStepForm),
    ("data", "Data & compliance", DataStepForm),
    ("review", "Review & submit", None),
]
STEP_NAMES = [name for name, _, _ in STEPS]
# Where each field is entered, so a rule's message can link back to it.
FIELD_STEP = {
    field: name for name, _, form in STEPS if form is not None for field in form._meta.fields or ()
} | {"team_members": "project", "attachments": "data", "applicant": "review"}
