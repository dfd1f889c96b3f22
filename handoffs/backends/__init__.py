"""The one small interface of a hand-off backend, and the choice of one per factory.

A backend gets the hand-off (with what earlier runs stored on it: Waldur's identifiers, the
account) and the factory's settings, and answers a `Step`: where the hand-off stands now and the
fields to store. It must be safe to run again after any failure: before creating anything it
looks for what an earlier run created. It reports what it created as soon as it has it through
`progress(**fields)`, so a later failure does not lose it. A failure worth retrying (the site's
system unreachable, a 5xx) raises `HandOffRetry`; one that will not go away by itself (a refusal)
answers a failed Step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from handoffs.models import HandOff, HandOffSettings

Progress = Callable[..., None]


class HandOffRetry(Exception):
    """A failure that may pass: the task retries with backoff."""


@dataclass(frozen=True)
class Step:
    status: str  # a HandOffStatus: waiting, done, failed or manual
    message: str
    fields: dict[str, Any] = field(default_factory=dict)


class HandOffBackend(Protocol):
    def run(self, handoff: HandOff, config: HandOffSettings, progress: Progress) -> Step: ...


def backend_for(kind: str) -> HandOffBackend:
    from handoffs.backends.manual import ManualBackend
    from handoffs.backends.site_export import SiteExportBackend
    from handoffs.backends.waldur import WaldurBackend

    backends: dict[str, HandOffBackend] = {
        "none": ManualBackend(),
        "site_export": SiteExportBackend(),
        "waldur": WaldurBackend(),
    }
    return backends[kind]
