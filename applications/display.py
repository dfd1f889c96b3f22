"""How an application's status reads in lists: its label, badge and the applicant's next step.
Shared by the applicant's, the reviewer's and the approver's lists.

The labels are translated once per language, not once per row (the signed-in lists are
speed-critical): `STATUS_LABELS.current()` is a plain dict of the active language's labels,
built the first time a page asks for that language. `STATUS_LABELS[status]` works too (one
language look-up per call); lists take `.current()` once a page."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from applications.models import ApplicationStatus
from portal.lists import NO_VALUE

__all__ = [
    "NEXT_STEP_TEXT",
    "NO_VALUE",
    "OTHER_BADGE",
    "STATUS_BADGE",
    "STATUS_LABELS",
    "PerLanguage",
]


class PerLanguage(Mapping[str, str]):
    """Texts keyed by a value (a status), translated once per language and kept: reading one is
    a dict look-up. `source` gives the texts (lazy or plain strings)."""

    def __init__(self, source: Callable[[], Mapping[Any, Any]]) -> None:
        self._source = source
        self._by_language: dict[str | None, dict[str, str]] = {}

    def current(self) -> dict[str, str]:
        """The texts in the active language (a plain dict: read it for every row of a page)."""
        language = get_language()
        texts = self._by_language.get(language)
        if texts is None:
            texts = {str(key): str(text) for key, text in self._source().items()}
            self._by_language[language] = texts
        return texts

    def __getitem__(self, key: str) -> str:
        return self.current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.current())

    def __len__(self) -> int:
        return len(self.current())


STATUS_LABELS = PerLanguage(lambda: dict(ApplicationStatus.choices))

STATUS_BADGE: dict[str, str] = {
    ApplicationStatus.DRAFT: "text-bg-light border",
    ApplicationStatus.NEEDS_ATTENTION: "text-bg-warning",
    ApplicationStatus.APPROVED: "text-bg-success",
    ApplicationStatus.REJECTED: "text-bg-danger",
    ApplicationStatus.WITHDRAWN: "text-bg-secondary",
}
OTHER_BADGE = "text-bg-primary"

_NEXT_STEPS = {
    ApplicationStatus.DRAFT: _("Complete the form and submit it."),
    ApplicationStatus.SUBMITTED: _("The AI Factory is assigning reviewers."),
    ApplicationStatus.UNDER_REVIEW: _("Reviewers at the AI Factory are assessing it."),
    ApplicationStatus.NEEDS_ATTENTION: _("The AI Factory's staff are finding reviewers."),
    ApplicationStatus.APPROVED: _("Approved: see the decision."),
    ApplicationStatus.REJECTED: _("Not approved: see the decision."),
    ApplicationStatus.WITHDRAWN: _("Withdrawn: nothing more will happen."),
}
NEXT_STEP_TEXT = PerLanguage(lambda: _NEXT_STEPS)
