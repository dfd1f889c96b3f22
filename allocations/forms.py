"""The forms of an allocation's page: a move (approver), a change request (holder) and its
decision (approver), a report (holder), and staff's lifting of a report block."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allocations.models import ChangeRequest
from factories.models import AIFactory
from organisations.models import Organisation
from portal.forms import BootstrapMixin

MOVES = {
    "activate": _("Activate (the project is set up at the site)"),
    "suspend": _("Suspend"),
    "resume": _("Resume"),
    "close": _("Close early"),
}


class MoveForm(BootstrapMixin, forms.Form):
    move = forms.ChoiceField(choices=list(MOVES.items()), label=_("Change"))
    reason = forms.CharField(
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Reason (on the timeline)"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ChangeRequestForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(choices=ChangeRequest.Kind.choices, label=_("What do you need?"))
    new_end = forms.DateField(
        required=False,
        label=_("New end date (extension)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    extra_gpu_hours = forms.IntegerField(
        required=False, min_value=1, max_value=100_000_000, label=_("More GPU-hours")
    )
    team_change = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Team change: who joins or leaves, with their role and email"),
    )
    reason = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ChangeDecisionForm(BootstrapMixin, forms.Form):
    outcome = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reasons")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ReportForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        label=_("Report: what was done, results, publications, GPU-hours used"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ReportBlockOverrideForm(BootstrapMixin, forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.order_by("legal_name"))
    factory = forms.ModelChoiceField(
        queryset=AIFactory.objects.order_by("name"), label=_("AI Factory")
    )
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ReclaimNoticeForm(BootstrapMixin, forms.Form):
    gpu_hours = forms.IntegerField(
        min_value=1, max_value=100_000_000, label=_("GPU-hours to reclaim")
    )
    reason = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Why (sent to the holder)"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ReclaimAnswerForm(BootstrapMixin, forms.Form):
    answer = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), label=_("Your answer")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ReclaimDecisionForm(BootstrapMixin, forms.Form):
    outcome = forms.ChoiceField(
        choices=[("reclaim", _("Reclaim the GPU-hours")), ("withdraw", _("Withdraw the notice"))],
        label=_("Decision"),
    )
    gpu_hours = forms.IntegerField(
        required=False, min_value=1, max_value=100_000_000,
        label=_("GPU-hours (empty: as noticed)"),
    )  # fmt: skip
    comment = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reasons")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()
