"""The decision letter's PDF rendering (WeasyPrint). Imported only when a PDF is rendered
(`allocations.letters.letter_pdf` imports it inside the function): WeasyPrint parses its CSS
when imported, which no web process, worker or command should pay for at start-up.

WeasyPrint fetches nothing from the network: its URL fetcher serves the portal's own static
files and refuses every other URL."""

from __future__ import annotations

import mimetypes

from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

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


def html_to_pdf(html: str) -> bytes:
    """`html` (the letter's page) as a PDF, with nothing fetched but the static files."""
    fetcher = StaticFilesOnly()
    return HTML(string=html, base_url=LETTER_BASE_URL, url_fetcher=fetcher).write_pdf()
