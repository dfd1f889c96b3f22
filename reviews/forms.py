"""The review, decline, decision and desk-filter forms."""

from __future__ import annotations

from django import forms

from portal.forms import BootstrapMixin
from reviews.models import Decision, Review


class ReviewForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Review
        fields = [
            "technical_feasibility", "technical_feasibility_note",
            "ai_innovation", "ai_innovation_note",
            "team_readiness", "team_readiness_note",
            "resource_justification", "resource_justification_note",
            "comment_for_applicant", "internal_note", "recommendation", "recommended_gpu_hours",
        ]  # fmt: skip
        widgets = {
            "comment_for_applicant": forms.Textarea(attrs={"rows": 4}),
            "internal_note": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "comment_for_applicant": "Comment for the applicant",
            "internal_note": "Internal note (never shown to the applicant)",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in Review.CRITERIA:
            self.fields[field].widget = forms.NumberInput(attrs={"min": 0, "max": 5})
            self.fields[field].help_text = "0 (poor) to 5 (excellent)"
            self.fields[f"{field}_note"].label = "Justification"
        self._style()


class DeclineForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(max_length=300, label="Why do you decline?")
    conflict_of_interest = forms.BooleanField(
        required=False, label="I have a conflict of interest with the applicant"
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class DecisionForm(BootstrapMixin, forms.Form):
    outcome = forms.ChoiceField(choices=Decision.Outcome.choices, widget=forms.RadioSelect)
    gpu_hours = forms.IntegerField(
        min_value=1, required=False, label="GPU-hours awarded (when approving)"
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Reasons")
    conditions = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Conditions of the award, one a line (when approving: on the letter)",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()
