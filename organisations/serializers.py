"""API shapes of organisations."""

from __future__ import annotations

from rest_framework import serializers

from organisations.countries import ELIGIBLE_COUNTRIES
from organisations.models import Organisation, OrganisationType
from portal.validators import InputSerializer


class OrganisationSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code")
    role = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = [
            "id",
            "legal_name",
            "country",
            "org_type",
            "registration_number",
            "sme_declared_on",
            "website",
            "role",
        ]

    def get_role(self, organisation: Organisation) -> str | None:
        user = self.context["request"].user
        for membership in organisation.memberships.all():
            if membership.user_id == user.pk:
                return membership.role
        return None


class OrganisationInputSerializer(InputSerializer):
    """The shapes answer 400; a VAT number that fails its country's rules, an SME declaration of
    another type or a website the model refuses answer 409 (the service's rules)."""

    legal_name = serializers.CharField(max_length=255)
    # The countries whose organisations may apply (organisations/countries.py).
    country = serializers.ChoiceField(choices=ELIGIBLE_COUNTRIES)
    org_type = serializers.ChoiceField(choices=OrganisationType.choices)
    registration_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    sme_declared = serializers.BooleanField(required=False, default=False)
    # The shape of a web address; whether its host is one, the model's URL check (409).
    website = serializers.RegexField(
        r"\Ahttps?://[^\s/?#\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+\."
        r"[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+\Z",
        max_length=200,
        required=False,
        allow_blank=True,
    )
