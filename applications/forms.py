"""The steps of the application form. Forms validate shapes; the rules live in services and
rules.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from applications.call_form_models import ETHICS_FIELDS
from applications.intake import systems_taking_applications
from applications.mode_rules import mode_rules
from applications.models import TEAM_MAX_MEMBERS, AccessMode, Application, Cutoff, TeamMember
from factories.models import System
from organisations.models import Organisation
from portal.forms import BootstrapMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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


class ApplicationStartForm(forms.Form):
    """The mode and system an "Apply" link names (by slug), to start a draft with them."""

    mode = forms.ModelChoiceField(
        queryset=AccessMode.objects.filter(is_active=True), to_field_name="slug", required=False
    )
    system = forms.ModelChoiceField(
        queryset=System.objects.select_related("factory"), to_field_name="slug", required=False
    )

    def prefill(self) -> dict[str, Any]:
        """The draft's values: the valid ones only (call `is_valid()` first)."""
        data = getattr(self, "cleaned_data", {})
        values = {"access_mode": data.get("mode"), "system": data.get("system")}
        return {name: value for name, value in values.items() if value is not None}


class AccessModeChoiceField(forms.ModelChoiceField):
    """Each mode with its rules beside it (applications.mode_rules)."""

    def label_from_instance(self, mode: AccessMode) -> str:
        rules = mode_rules(mode, cutoffs=list(mode.cutoffs.all()))
        # Translators: a mode's short name, its rules (e.g. "up to 50,000 GPU-hours, 1 to 3
        # months") and who may apply (e.g. "companies, research organisations").
        return gettext("%(mode)s: %(rules)s. Open to %(who)s.") % {
            "mode": mode.short_name,
            "rules": rules.summary,
            "who": rules.who,
        }


class OrganisationStepForm(StepForm):
    """The organisation, and the modes it may apply under, each with its rules."""

    access_mode = AccessModeChoiceField(
        queryset=AccessMode.objects.none(), required=False, widget=forms.RadioSelect
    )

    class Meta:
        model = Application
        fields = ["organisation", "access_mode"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = self._choice_field("organisation")
        organisations = Organisation.objects.filter(memberships__user=self.user).distinct()
        organisation.queryset = organisations
        organisation.empty_label = gettext("Choose an organisation")
        # The modes open to the chosen organisation, or to any of the user's before one is.
        chosen = self.instance.organisation
        types = (
            [chosen.org_type] if chosen else list(organisations.values_list("org_type", flat=True))
        )
        modes = [m for m in _active_modes() if set(types) & set(m.eligible_org_types) or not types]
        access_mode = self._choice_field("access_mode")
        access_mode.queryset = AccessMode.objects.filter(pk__in=[m.pk for m in modes])
        access_mode.empty_label = None
        self.modes = modes
        self._style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        organisation, mode = data.get("organisation"), data.get("access_mode")
        if mode is None or organisation is None:
            return data
        if organisation.org_type not in mode.eligible_org_types:
            allowed = ", ".join(mode.get_eligible_org_types_display()) or gettext("nobody")
            self.add_error(
                "access_mode",
                gettext(
                    "%(mode)s is open to %(allowed)s; %(organisation)s is registered as %(type)s."
                )
                % {
                    "mode": mode.short_name,
                    "allowed": allowed,
                    "organisation": organisation.legal_name,
                    "type": organisation.get_org_type_display(),
                },
            )
        return data


def _active_modes() -> list[AccessMode]:
    """The active modes with their coming cut-offs (two queries)."""
    upcoming = Cutoff.objects.filter(closes_at__gt=timezone.now()).order_by("closes_at")
    return list(
        AccessMode.objects.filter(is_active=True).prefetch_related(Prefetch("cutoffs", upcoming))
    )


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


def system_label(system: System) -> str:
    status = system.get_status_display() if system.status else gettext("status not yet published")
    # Translators: a system, its factory and city, then its status (e.g. "in operation").
    return gettext("%(system)s (%(factory)s, %(city)s) · %(status)s") % {
        "system": system.name,
        "factory": system.factory.display_name,
        "city": system.factory.city,
        "status": status,
    }


class SystemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, system: System) -> str:
        return system_label(system)


class SystemRadioSelect(forms.RadioSelect):
    """The systems that can take the application, then the others greyed out (disabled) with
    the reason they cannot (`unavailable`: (value, label) pairs), so the applicant sees why."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unavailable: list[tuple[str, str]] = []

    def optgroups(self, name: str, value: list[str], attrs: dict[str, Any] | None = None) -> Any:
        groups = super().optgroups(name, value, attrs)
        for index, (option_value, label) in enumerate(self.unavailable, start=len(groups)):
            option_attrs = {**(attrs or {}), "disabled": True}
            selected = option_value in value
            option = self.create_option(
                name, option_value, label, selected, index, attrs=option_attrs
            )
            groups.append((None, [option], index))
        return groups


class ResourcesStepForm(StepForm):
    """The system step: only the systems that can take an application under the draft's mode
    now (applications.intake) may be chosen; the others are shown disabled, with the reason."""

    system = SystemChoiceField(
        queryset=System.objects.none(), required=False, widget=SystemRadioSelect
    )

    class Meta:
        model = Application
        fields = ["system", "gpu_hours", "start_date", "duration_months"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mode = self.instance.access_mode
        system = self._choice_field("system")
        widget = system.widget
        assert isinstance(widget, SystemRadioSelect)
        systems = list(
            System.objects.select_related("factory").exclude(status=System.Status.RETIRED)
        )
        if mode is None:
            open_pks: list[int] = []
            widget.unavailable = [
                (
                    str(s.pk),
                    gettext("%(system)s: choose an access mode first (step 1).")
                    % {"system": system_label(s)},
                )
                for s in systems
            ]
        else:
            choices = [("", pgettext("a select's empty choice", "Choose"))] + [
                (m, ngettext("%(n)s month", "%(n)s months", int(m)) % {"n": m})
                for m in mode.durations_months
            ]
            self.fields["duration_months"].widget = forms.Select(choices=choices)
            intakes = systems_taking_applications(
                mode=mode, organisation=self.instance.organisation, systems=systems
            )
            open_pks = [i.system.pk for i in intakes if i.can_take]
            widget.unavailable = [
                (
                    str(i.system.pk),
                    # Translators: a system, then the reason it cannot take the application.
                    gettext("%(system)s: cannot take it now. %(reason)s")
                    % {"system": system_label(i.system), "reason": i.reason},
                )
                for i in intakes
                if not i.can_take
            ]
        system.queryset = System.objects.select_related("factory").filter(pk__in=open_pks)
        system.empty_label = None
        if not open_pks:
            system.help_text = gettext("No system can take an application under this mode now.")
        self._style()


class DataStepForm(StepForm):
    personal_data = forms.TypedChoiceField(
        label=_("Does the project process personal data?"),
        choices=[("", _("Not answered")), ("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    attachment = forms.FileField(
        required=False,
        label=_("Add an attachment (PDF, at most 10 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    class Meta:
        model = Application
        fields = [
            "data_sources",
            "data_licence",
            "personal_data",
            "gdpr_basis",
            "ai_act_risk",
            *ETHICS_FIELDS,
            "pi_contract_end",
            "pi_contract_permanent",
            "fcfs_consent",
        ]
        widgets = {
            "data_sources": forms.Textarea(attrs={"rows": 4}),
            "pi_contract_end": forms.DateInput(attrs={"type": "date"}),
            **{name: forms.Textarea(attrs={"rows": 3}) for name in ETHICS_FIELDS},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        value = self.instance.personal_data
        self.initial["personal_data"] = {True: "yes", False: "no"}.get(value, "")
        mode = self.instance.access_mode
        # The consent is asked only where the mode's form asks it (its reference data).
        if mode is None or not mode.requires_fcfs_consent:
            del self.fields["fcfs_consent"]
        self.mode = mode

    @property
    def ethics(self) -> list[forms.BoundField]:
        return [self[name] for name in ETHICS_FIELDS]

    @property
    def general(self) -> list[forms.BoundField]:
        """The fields shown before the call form's parts (ethics, PI contract, consent)."""
        later = {*ETHICS_FIELDS, "pi_contract_end", "pi_contract_permanent", "fcfs_consent"}
        return [self[name] for name in self.fields if name not in later]


class TeamMemberForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = TeamMember
        fields = ["name", "email", "role", "affiliation"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


# validate_max: more than TEAM_MAX_MEMBERS posted is an error, not silently cut (or accepted).
TeamMemberFormSet = forms.formset_factory(
    TeamMemberForm,
    extra=2,
    max_num=TEAM_MAX_MEMBERS,
    validate_max=True,
    absolute_max=TEAM_MAX_MEMBERS + 2,
    can_delete=True,
)


STEPS: list[tuple[str, StrOrPromise, type[StepForm] | None]] = [
    ("organisation", pgettext_lazy("a step of the form", "Organisation"), OrganisationStepForm),
    ("project", pgettext_lazy("a step of the form", "Project"), ProjectStepForm),
    ("resources", pgettext_lazy("a step of the form", "Resources"), ResourcesStepForm),
    ("data", pgettext_lazy("a step of the form", "Data & compliance"), DataStepForm),
    ("review", pgettext_lazy("a step of the form", "Review & submit"), None),
]
STEP_NAMES = [name for name, _, _ in STEPS]
# Where each field is entered, so a rule's message can link back to it.
FIELD_STEP = {
    field: name for name, _, form in STEPS if form is not None for field in form._meta.fields or ()
} | {
    "team_members": "project",
    "attachments": "data",
    "applicant": "review",
    "resource_lines": "resources",
    "milestones": "resources",
    "excluded_reviewers": "data",
}
