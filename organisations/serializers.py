"""API shapes of organisations."""

from __future__ import annotations

from rest_framework import serializers

from organisations.models import Organisation, OrganisationType


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


class OrganisationInputSerializer(serializers.Serializer):
    legal_name = serializers.CharField(max_length=255)
    country = serializers.CharField(max_length=2)
    org_type = serializers.ChoiceField(choices=OrganisationType.choices)
    registration_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    sme_declared = serializers.BooleanField(required=False, default=False)
    website = serializers.URLField(required=False, allow_blank=True)
