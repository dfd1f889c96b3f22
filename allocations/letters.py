"""The decision letter of an award: its text (one template, `allocations/letter/_body.html`,
shared by the PDF and the decision email) and its PDF. The letter is written in the applicant's
language (the language their emails are in), with dates and GPU-hours formatted for it.

WeasyPrint is imported only inside `letter_pdf` (through `allocations.letter_pdf`): this module
is imported by the decision service, and so by every process, which should not parse
WeasyPrint's CSS at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils import timezone, translation

from allocations.selectors import allocation_conditions
from notifications.selectors import recipient_language

if TYPE_CHECKING:
    import datetime

    from allocations.models import Allocation
    from reviews.models import Decision


@dataclass(frozen=True)
class Letter:
    """What the letter says, for its template: facts only (names, numbers, dates), so that it
    can be built in one language and rendered in another; the template words and formats them
    in the language active when it is rendered."""

    reference: str
    date: datetime.date
    applicant_name: str
    organisation: str
    factory: str
    host: str
    address: str
    title: str
    application_number: int
    access_mode: str
    system: str
    gpu_hours: int
    start: datetime.date
    end: datetime.date
    reasons: str
    approver_name: str
    allocation: Allocation = field(repr=False, compare=False)

    @property
    def conditions(self) -> list[str]:
        """The conditions of the award, in the language active when they are read."""
        return allocation_conditions(self.allocation)


def letter_for(allocation: Allocation, decision: Decision | None = None) -> Letter:
    """The letter of `allocation` (its application's decision unless given)."""
    application = allocation.application
    decision = decision or application.decision
    factory = allocation.system.factory
    applicant = application.applicant
    approver = decision.approver
    organisation = application.organisation
    return Letter(
        reference=allocation.reference,
        date=timezone.localtime(decision.created_at).date(),
        applicant_name=applicant.get_full_name() or applicant.email,
        organisation=(
            f"{organisation.legal_name} ({organisation.country.name})" if organisation else ""
        ),
        factory=factory.display_name,
        host=factory.host_entity,
        address=f"{factory.city}, {factory.country.name}",
        title=application.title,
        application_number=application.pk,
        access_mode=application.access_mode.name if application.access_mode else "",
        system=allocation.system.name,
        gpu_hours=allocation.gpu_hours,
        start=allocation.start,
        end=allocation.end,
        reasons=decision.comment,
        approver_name=(approver.get_full_name() or approver.email) if approver else "",
        allocation=allocation,
    )


def letter_language(allocation: Allocation) -> str:
    """The language the letter is written in: the applicant's (as their emails are)."""
    return recipient_language(allocation.application.applicant.email)


def letter_html(allocation: Allocation, *, language: str | None = None) -> str:
    """The letter's page (HTML), in `language` or else the applicant's."""
    with translation.override(language or letter_language(allocation)):
        return render_to_string("allocations/letter/pdf.html", {"letter": letter_for(allocation)})


def letter_pdf(allocation: Allocation, *, language: str | None = None) -> bytes:
    """The letter as a PDF (A4), in `language` or else the applicant's, rendered with nothing
    fetched but the portal's static files."""
    from allocations.letter_pdf import html_to_pdf  # WeasyPrint: only when a PDF is rendered

    return html_to_pdf(letter_html(allocation, language=language))
