"""The decision letter of an award: one template (`allocations/letter/_body.html`) shared by the
PDF (WeasyPrint) and the decision email. WeasyPrint fetches nothing from the network: its URL
fetcher serves the portal's own static files and refuses every other URL."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from allocations.selectors import allocation_conditions

if TYPE_CHECKING:
    import datetime

    from allocations.models import Allocation
    from reviews.models import Decision

# The base URL the letter's HTML is rendered under: `/static/…` resolves below it, and only
# below it is anything served.
LETTER_BASE_URL = "https://letter.invalid/"
STATIC_PREFIX = LETTER_BASE_URL + "static/"


class StaticFilesOnly(URLFetcher):
    """Serve `STATIC_PREFIX…` from the portal's static files (the finders, as in development
    and tests); refuse every other URL (http, https elsewhere, file:, data:), recording it."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("https",), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith(STATIC_PREFIX) and ".." not in url:
            path = url.removeprefix(STATIC_PREFIX).split("?")[0].split("#")[0]
            found = finders.find(path)
            if isinstance(found, str):
                with open(found, "rb") as handle:
                    body = handle.read()
                kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body, {"Content-Type": kind})
        self.refused.append(url)
        raise ValueError(f"The letter fetches nothing but the portal's static files: {url}")


@dataclass(frozen=True)
class Letter:
    """What the letter says, for its template."""

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
    gpu_hours: str
    start: datetime.date
    end: datetime.date
    conditions: list[str]
    reasons: str
    approver_name: str
    approver_role: str


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
        gpu_hours=f"{allocation.gpu_hours:,}",
        start=allocation.start,
        end=allocation.end,
        conditions=allocation_conditions(allocation),
        reasons=decision.comment,
        approver_name=(approver.get_full_name() or approver.email) if approver else "",
        approver_role=f"Site approver, {factory.display_name}",
    )


def letter_pdf(allocation: Allocation) -> bytes:
    """The letter as a PDF (A4), rendered with nothing fetched but the portal's static files."""
    html = render_to_string("allocations/letter/pdf.html", {"letter": letter_for(allocation)})
    fetcher = StaticFilesOnly()
    return HTML(string=html, base_url=LETTER_BASE_URL, url_fetcher=fetcher).write_pdf()
