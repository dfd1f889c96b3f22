"""Organisations (the applicant's company or institution) and who belongs to them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from organisations.countries import EligibleCountries
from portal.models import TimeStampedModel

if TYPE_CHECKING:
    from accounts.models import User


class OrganisationType(models.TextChoices):
    STARTUP = "startup", _("Startup")
    SME = "sme", _("SME")
    LARGE_INDUSTRY = "large_industry", _("Large industry")
    ACADEMIA = "academia", _("Academia / research")
    PUBLIC_SECTOR = "public_sector", _("Public sector")


class Organisation(TimeStampedModel):
    legal_name = models.CharField(max_length=255)
    country = CountryField(countries=EligibleCountries)
    org_type = models.CharField(_("type"), max_length=20, choices=OrganisationType.choices)
    registration_number = models.CharField(
        _("VAT or company registration number"),
        max_length=40,
        blank=True,
        help_text=_("Checked against the country's format where one is known."),
    )
    sme_declared_on = models.DateField(
        _("SME self-declaration date"),
        null=True,
        blank=True,
        help_text="When a representative declared that the organisation meets the EU SME "
        "definition (Recommendation 2003/361/EC).",
    )
    website = models.URLField(blank=True)
    members: models.ManyToManyField[User, Membership] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "registration_number"],
                condition=~Q(registration_number=""),
                name="organisation_unique_registration_per_country",
                violation_error_message=_(
                    "An organisation with this registration number is already registered in "
                    "this country: ask its representative to add you."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.legal_name


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        REPRESENTATIVE = "representative", _("Representative")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.organisation} ({self.get_role_display()})"
