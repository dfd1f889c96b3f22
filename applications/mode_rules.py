"""An access mode's rules in words: who may apply, the bounds, durations, cut-offs and the next
one, the decision target. Shown beside the choice in the form's first step and on the mode's
public page. Only numbers a solid or medium source gives are rules (`min_gpu_hours`,
`max_gpu_hours`, `durations_months`); weaker figures stay hints (`size_note`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from applications.models import AccessMode, Cutoff


@dataclass(frozen=True)
class ModeRules:
    who: str
    size: str
    durations: str
    schedule: str
    next_cutoff: Cutoff | None
    decision: str

    @property
    def summary(self) -> str:
        """One line, for the choice of a mode."""
        return " · ".join([self.size, self.durations, self.schedule, self.decision])


def mode_rules(mode: AccessMode, *, cutoffs: list[Cutoff] | None = None) -> ModeRules:
    """The rules of `mode`; `cutoffs` are its cut-offs when already loaded (else one query)."""
    now = timezone.now()
    if cutoffs is None:
        cutoffs = list(mode.cutoffs.filter(closes_at__gt=now).order_by("closes_at")[:1])
    upcoming = [c for c in cutoffs if c.closes_at > now]
    return ModeRules(
        who=", ".join(mode.get_eligible_org_types_display()) or "nobody",
        size=gpu_hours_text(mode),
        durations=durations_text(mode),
        schedule=schedule_text(mode, upcoming[0] if upcoming else None, now),
        next_cutoff=upcoming[0] if upcoming else None,
        decision=decision_text(mode),
    )


def gpu_hours_text(mode: AccessMode) -> str:
    low, high = mode.min_gpu_hours, mode.max_gpu_hours
    if low is not None and high is not None:
        return f"{low:,} to {high:,} GPU-hours"
    if low is not None:
        return f"at least {low:,} GPU-hours"
    if high is not None:
        return f"up to {high:,} GPU-hours"
    return "GPU-hours: no published bound"


def durations_text(mode: AccessMode) -> str:
    months = [str(m) for m in mode.durations_months]
    if not months:
        return "duration not yet published"
    joined = months[0] if len(months) == 1 else f"{', '.join(months[:-1])} or {months[-1]}"
    return f"{joined} month{'s' if months != ['1'] else ''}"


def schedule_text(mode: AccessMode, cutoff: Cutoff | None, now: datetime) -> str:
    if mode.schedule == AccessMode.Schedule.CONTINUOUS:
        return "open all year, first come first served"
    if cutoff is None:
        return "next cut-off not yet published"
    local = timezone.localtime(cutoff.closes_at)
    return f"next cut-off {local:%-d %B %Y, %H:%M} (Brussels time)"


def decision_text(mode: AccessMode) -> str:
    counted_from_cutoff = mode.decision_counted_from == "cut-off" or (
        not mode.decision_counted_from and mode.schedule == AccessMode.Schedule.CUTOFFS
    )
    start = "the cut-off" if counted_from_cutoff else "submission"
    if months := mode.decision_target_about_months:
        return f"decision about {months} month{'s' if months != 1 else ''} after {start}"
    days = mode.decision_target_working_days
    return f"decision within {days} working day{'s' if days != 1 else ''} of {start}"
