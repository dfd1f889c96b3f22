"""The organisation form; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation
from portal.forms import BootstrapMixin


class OrganisationForm(BootstrapMixin, forms.ModelForm):
    sme_declared = forms.BooleanField(
        required=False,
        label=_(
            "I declare that this organisation is an SME or startup under the EU SME definition "
            "(fewer than 250 staff; turnover ≤ €50 M or balance sheet ≤ €43 M)."
        ),
    )

    class Meta:
        model = Organisation
        fields = ["legal_name", "country", "org_type", "registration_number", "website"]
        # The model's own names for legal_name and country are its field names (no migration
        # for a label): named here, for translation.
        labels = {"legal_name": _("Legal name"), "country": _("Country")}

    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._style()
