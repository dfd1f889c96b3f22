"""Every write to organisations and their memberships."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.util import get_cc_module

from organisations.models import Membership, Organisation, OrganisationType

if TYPE_CHECKING:
    from accounts.models import User


def registration_number_error(country: str, number: str) -> tuple[str, str | None]:
    """Compact `number` and check it against the country's VAT format where python-stdnum knows
    one. Returns (compacted number, error message or None)."""
    if not number:
        return "", None
    module = get_cc_module("gr" if country.upper() == "EL" else country.lower(), "vat")
    if module is None:
        return number.strip().upper(), None
    compact = module.compact(number)
    candidates = [compact]
    prefix = "EL" if country.upper() == "GR" else country.upper()
    if compact.upper().startswith(prefix):
        candidates.append(compact[len(prefix) :])
    for candidate in candidates:
        try:
            module.validate(candidate)
        except StdnumError:
            continue
        return candidate, None
    rules = module.__name__.rsplit(".", 1)[-1]  # type: ignore[attr-defined]  # stdnum's protocol lacks it
    return compact, (
        gettext(
            "This is not a valid VAT number for %(country)s: check the digits (format checked "
            "with python-stdnum's %(rules)s rules)."
        )
        % {"country": country.upper(), "rules": rules}
    )


# --- Organisations -------------------------------------------------------------------------------


@transaction.atomic
def organisation_create(
    *,
    user: User,
    legal_name: str,
    country: str,
    org_type: str,
    registration_number: str = "",
    sme_declared: bool = False,
    website: str = "",
) -> Organisation:
    """Create an organisation with `user` as its representative."""
    number, error = registration_number_error(country, registration_number or "")
    if error:
        raise ValidationError({"registration_number": [error]})
    if sme_declared and org_type not in (OrganisationType.SME, OrganisationType.STARTUP):
        raise ValidationError(
            {"sme_declared": [gettext("Only SMEs and startups make an SME self-declaration.")]}
        )
    organisation = Organisation(
        legal_name=legal_name.strip(),
        country=country,
        org_type=org_type,
        registration_number=number,
        sme_declared_on=timezone.localdate() if sme_declared else None,
        website=website,
    )
    organisation.full_clean()
    organisation.save()
    Membership.objects.create(
        user=user, organisation=organisation, role=Membership.Role.REPRESENTATIVE
    )
    return organisation


@transaction.atomic
def organisation_member_add(
    *, actor: User, organisation: Organisation, user: User, role: str
) -> Membership:
    if not Membership.objects.filter(
        user=actor, organisation=organisation, role=Membership.Role.REPRESENTATIVE
    ).exists():
        raise ValidationError(gettext("Only a representative of the organisation can add members."))
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    return membership
