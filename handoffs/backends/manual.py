"""No hand-off system: the site's staff set the project up by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handoffs.backends import Progress, Step

if TYPE_CHECKING:
    from handoffs.models import HandOff, HandOffSettings


class ManualBackend:
    def run(self, handoff: HandOff, config: HandOffSettings, progress: Progress) -> Step:
        return Step(
            "manual",
            f"{handoff.factory} sets the project up by hand; the site confirms it when done.",
        )
