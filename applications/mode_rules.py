"""An access mode's rules in words: who may apply, the bounds, durations, cut-offs and the next
one, the decision target. Shown beside the choice in the form's first step and on the mode's
public page. Only numbers a solid or medium source gives are rules (`min_gpu_hours`,
`max_gpu_hours`, `durations_months`); weaker figures stay hints (`size_note`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, ngettext

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
        who=", ".join(mode.get_eligible_org_types_display()) or gettext("nobody"),
        size=gpu_hours_text(mode),
        durations=durations_text(mode),
        schedule=schedule_text(mode, upcoming[0] if upcoming else None, now),
        next_cutoff=upcoming[0] if upcoming else None,
        decision=decision_text(mode),
    )


def gpu_hours_text(mode: AccessMode) -> str:
    low, high = mode.min_gpu_hours, mode.max_gpu_hours
    if low is not None and high is not None:
        return gettext("%(low)s to %(high)s GPU-hours") % {"low": _hours(low), "high": _hours(high)}
    if low is not None:
        return gettext("at least %(low)s GPU-hours") % {"low": _hours(low)}
    if high is not None:
        return gettext("up to %(high)s GPU-hours") % {"high": _hours(high)}
    return gettext("GPU-hours: no published bound")


def _hours(value: int) -> str:
    return number_format(value, force_grouping=True)


def durations_text(mode: AccessMode) -> str:
    months = [str(m) for m in mode.durations_months]
    if not months:
        return gettext("duration not yet published")
    if len(months) == 1:
        joined = months[0]
    else:
        # Translators: the choices of a list, e.g. "1, 2" or "3" (numbers of months).
        joined = gettext("%(first)s or %(last)s") % {
            "first": ", ".join(months[:-1]),
            "last": months[-1],
        }
    # Translators: "months" is one number or a choice of them, e.g. "1, 2 or 3".
    return ngettext(
        "%(months)s month", "%(months)s months", max(int(m) for m in mode.durations_months)
    ) % {"months": joined}


def schedule_text(mode: AccessMode, cutoff: Cutoff | None, now: datetime) -> str:
    if mode.schedule == AccessMode.Schedule.CONTINUOUS:
        return gettext("open all year, first come first served")
    if cutoff is None:
        return gettext("next cut-off not yet published")
    local = timezone.localtime(cutoff.closes_at)
    return gettext("next cut-off %(when)s (Brussels time)") % {
        "when": date_format(local, "j F Y, H:i")
    }


def decision_text(mode: AccessMode) -> str:
    counted_from_cutoff = mode.decision_counted_from == "cut-off" or (
        not mode.decision_counted_from and mode.schedule == AccessMode.Schedule.CUTOFFS
    )
    if months := mode.decision_target_about_months:
        if counted_from_cutoff:
            text = ngettext(
                "decision about %(n)s month after the cut-off",
                "decision about %(n)s months after the cut-off",
                months,
            )
        else:
            text = ngettext(
                "decision about %(n)s month after submission",
                "decision about %(n)s months after submission",
                months,
            )
        return text % {"n": months}
    days = mode.decision_target_working_days
    if counted_from_cutoff:
        text = ngettext(
            "decision within %(n)s working day of the cut-off",
            "decision within %(n)s working days of the cut-off",
            days,
        )
    else:
        text = ngettext(
            "decision within %(n)s working day of submission",
            "decision within %(n)s working days of submission",
            days,
        )
    return text % {"n": days}
