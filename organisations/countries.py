"""Countries whose organisations may apply: EU Member States and countries associated to
Horizon Europe or Digital Europe (third-party reading of the EuroHPC Access Policy, April 2025;
see shared reference). Change the list here when associations change."""

from __future__ import annotations

from django_countries import Countries

EU_MEMBER_STATES = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
]  # fmt: skip
ASSOCIATED_COUNTRIES = [
    "AL", "AM", "BA", "CA", "CH", "FO", "GB", "GE", "IL", "IS", "KR", "MD", "ME", "MK", "NO",
    "NZ", "RS", "TN", "TR", "UA",
]  # fmt: skip
ELIGIBLE_COUNTRIES = sorted(EU_MEMBER_STATES + ASSOCIATED_COUNTRIES)


class EligibleCountries(Countries):
    only = ELIGIBLE_COUNTRIES
