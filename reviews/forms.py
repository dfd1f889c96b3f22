"""The review, decline, decision and desk-filter forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import BootstrapMixin
from reviews.models import Decision, Review

# What each field of the review form is: a score (0 to 5) per criterion, the justification of
# that score, and the recommendation. Every visible label is distinct and says what it asks for.
REVIEW_LABELS = {
    "technical_feasibility": _("Technical feasibility (score)"),
    "technical_feasibility_note": _("Justification of the technical-feasibility score"),
    "ai_innovation": _("AI innovation and impact (score)"),
    "ai_innovation_note": _("Justification of the AI-innovation score"),
    "team_readiness": _("Team readiness (score)"),
    "team_readiness_note": _("Justification of the team-readiness score"),
    "resource_justification": _("Resource justification (score)"),
    "resource_justification_note": _("Justification of the resource-justification score"),
    "comment_for_applicant": _("Comment for the applicant"),
    "internal_note": _("Internal note (never shown to the applicant)"),
    "recommendation": _("Your recommendation"),
    "recommended_gpu_hours": _("Recommended GPU-hours"),
}
REVIEW_HELP_TEXTS = {
    "technical_feasibility": _(
        "Can the project run on the system as planned? 0 (poor) to 5 (excellent)."
    ),
    "technical_feasibility_note": _("Why this technical-feasibility score, in a few sentences."),
    "ai_innovation": _("How new and how useful is the AI work? 0 (poor) to 5 (excellent)."),
    "ai_innovation_note": _("Why this AI-innovation score, in a few sentences."),
    "team_readiness": _("Can the team do the work now? 0 (poor) to 5 (excellent)."),
    "team_readiness_note": _("Why this team-readiness score, in a few sentences."),
    "resource_justification": _(
        "Are the GPU-hours asked for justified by the plan? 0 (poor) to 5 (excellent)."
    ),
    "resource_justification_note": _("Why this resource-justification score, in a few sentences."),
    "comment_for_applicant": _("The applicant reads this with the decision."),
    "internal_note": _("Only the site's reviewers and approvers read this."),
    "recommendation": _("What you recommend the site approver decides."),
    "recommended_gpu_hours": _(
        "When you recommend fewer GPU-hours: how many (leave empty otherwise)."
    ),
}


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
        labels = REVIEW_LABELS
        help_texts = REVIEW_HELP_TEXTS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in Review.CRITERIA:
            self.fields[field].widget = forms.NumberInput(attrs={"min": 0, "max": 5})
        self._style()


class DeclineForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(max_length=300, label=_("Why do you decline?"))
    conflict_of_interest = forms.BooleanField(
        required=False, label=_("I have a conflict of interest with the applicant")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class DecisionForm(BootstrapMixin, forms.Form):
    outcome = forms.ChoiceField(
        choices=Decision.Outcome.choices, widget=forms.RadioSelect, label=_("Decision")
    )
    gpu_hours = forms.IntegerField(
        min_value=1, required=False, label=_("GPU-hours awarded (when approving)")
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Reasons"))
    conditions = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Conditions of the award, one a line (when approving: on the letter)"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()
