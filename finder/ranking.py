"""Which systems suit an applicant's needs, best first, with reasons: a pure function.

`rank()` takes the applicant's needs and, for each system, the facts a selector gathered (the
modes it could take the application under with the intake rule's verdict, capacity left, the
median working days to a decision, antennas) and returns each system ranked with its reasons.
No database: the rules test as a table (tests/finder/test_ranking.py). The reasons are written
in the active language (gettext), with numbers and dates formatted for it.

Order:
1. a system that can take the application now (under some eligible mode) before one that
   cannot, always;
2. then the fewest hard misfits (data that must stay in a country elsewhere, too few GPU-hours
   left, GPU-hours or duration outside the mode's bounds, a start before the system is ready);
3. then the most fits (accelerator, an antenna in the applicant's country, a decision
   median within the mode's promise, capacity published and enough);
4. then the system's name (a stable tie-break).

What the catalogue does not publish is said as unknown ("not yet published"), never counted
for or against a system.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import dateformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

UNKNOWN = "not yet published"  # in English; `_unknown()` in the active language


def _unknown() -> str:
    return pgettext("a fact", "not yet published")


def _n(value: int) -> str:
    """A count with the locale's digit grouping (1,000 / 1.000 / 1 000)."""
    return number_format(value, force_grouping=True)


def _day(value: date) -> str:
    return dateformat.format(value, "j F Y")


@dataclass(frozen=True)
class Needs:
    """What the applicant states. Everything but the organisation type is optional."""

    org_type: str = ""
    country: str = ""  # ISO code of the organisation's country
    workload: str = ""  # training, fine_tuning, inference
    model_parameters_billions: Decimal | None = None
    gpu_hours: int | None = None
    node_hours: int | None = None
    accelerator: str = ""  # a preferred accelerator, e.g. "H100" or "MI250X"
    gpu_memory_gb: int | None = None
    frameworks: str = ""  # frameworks or containers, free text
    start: date | None = None
    duration_months: int | None = None
    data_country: str = ""  # ISO code of the country the data must stay in


@dataclass(frozen=True)
class ModeOption:
    """An access mode the applicant's organisation type may apply under, at one system."""

    slug: str
    name: str
    reason: str = ""  # the intake rule's reason it cannot take an application now; "" if it can
    min_gpu_hours: int | None = None
    max_gpu_hours: int | None = None
    durations_months: tuple[int, ...] = ()
    target_working_days: int | None = None
    median_working_days: float | None = None  # None: too few decisions, or none yet
    decided: int | None = None  # None: withheld (fewer than the small number) or unknown

    @property
    def can_take(self) -> bool:
        return not self.reason


@dataclass(frozen=True)
class SystemFacts:
    slug: str
    name: str
    factory_slug: str
    factory_name: str
    factory_country: str  # ISO code
    factory_country_name: str = ""
    accelerator: str = ""
    accelerator_count: int | None = None
    nodes: int | None = None
    capacity_gpu_hours: int | None = None  # yearly; None: not published
    remaining_gpu_hours: int | None = None  # this year; None: capacity not published
    available_from: date | None = None
    antennas: tuple[str, ...] = ()  # antennas in the applicant's country linked to the factory
    modes: tuple[ModeOption, ...] = ()


@dataclass(frozen=True)
class Reason:
    """One line of why: `fit` True (in favour), False (against) or None (unknown, neutral)."""

    topic: str
    text: str
    fit: bool | None = None
    hard: bool = False  # against, and enough to make the system a poor choice


@dataclass(frozen=True)
class Ranked:
    system: SystemFacts
    mode: ModeOption | None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def can_take(self) -> bool:
        return self.mode is not None and self.mode.can_take

    @property
    def misfits(self) -> int:
        return sum(1 for r in self.reasons if r.fit is False and r.hard)

    @property
    def fits(self) -> int:
        return sum(1 for r in self.reasons if r.fit is True)

    def reason(self, topic: str) -> Reason | None:
        return next((r for r in self.reasons if r.topic == topic), None)


def gpus_per_node(system: SystemFacts) -> Decimal | None:
    if not system.accelerator_count or not system.nodes:
        return None
    return Decimal(system.accelerator_count) / Decimal(system.nodes)


def gpu_hours_needed(needs: Needs, system: SystemFacts) -> int | None:
    """The GPU-hours stated, or the node-hours times the system's GPUs per node (when both
    counts are published)."""
    if needs.gpu_hours is not None:
        return needs.gpu_hours
    per_node = gpus_per_node(system)
    if needs.node_hours is None or per_node is None:
        return None
    return int(needs.node_hours * per_node)


def _mode_fits(needs: Needs, mode: ModeOption, hours: int | None) -> list[Reason]:
    reasons = []
    if hours is not None:
        if mode.min_gpu_hours is not None and hours < mode.min_gpu_hours:
            reasons.append(
                Reason(
                    "size",
                    _("%(mode)s starts at %(min)s GPU-hours; you need %(hours)s.")
                    % {"mode": mode.name, "min": _n(mode.min_gpu_hours), "hours": _n(hours)},
                    False,
                    hard=True,
                )
            )
        elif mode.max_gpu_hours is not None and hours > mode.max_gpu_hours:
            reasons.append(
                Reason(
                    "size",
                    _("%(mode)s awards at most %(max)s GPU-hours; you need %(hours)s.")
                    % {"mode": mode.name, "max": _n(mode.max_gpu_hours), "hours": _n(hours)},
                    False,
                    hard=True,
                )
            )
    durations = mode.durations_months
    if needs.duration_months and durations and needs.duration_months not in durations:
        allowed = ", ".join(str(m) for m in durations)
        reasons.append(
            Reason(
                "duration",
                # Translators: the mode, its durations ("6, 12"), the duration asked for.
                _("%(mode)s runs for %(allowed)s months, not %(months)s.")
                % {"mode": mode.name, "allowed": allowed, "months": needs.duration_months},
                False,
                hard=True,
            )
        )
    return reasons  # fmt: skip


def _choose_mode(needs: Needs, system: SystemFacts) -> tuple[ModeOption | None, list[Reason]]:
    """The mode to apply under: one that can take the application now and fits its size and
    duration, else one that can take it, else the first (with the intake rule's reason)."""
    if not system.modes:
        return None, []
    hours = gpu_hours_needed(needs, system)
    scored = [(mode, _mode_fits(needs, mode, hours)) for mode in system.modes]
    scored.sort(key=lambda pair: (not pair[0].can_take, len(pair[1])))
    return scored[0]


def _mode_reasons(mode: ModeOption | None, system: SystemFacts, needs: Needs) -> list[Reason]:
    if mode is None:
        from organisations.models import OrganisationType

        labels = dict(OrganisationType.choices)
        who = str(labels.get(needs.org_type, needs.org_type)) if needs.org_type else ""
        text = (
            _("No access mode at %(system)s is open to %(who)s.")
            % {"system": system.name, "who": who.lower()}
            if who
            else _("No access mode at %(system)s is open to your organisation.")
            % {"system": system.name}
        )
        return [Reason("mode", text, False)]
    if mode.can_take:
        return [Reason("mode", _("%(mode)s: can take your application now.") % {"mode": mode.name},
                       True)]  # fmt: skip
    text = _("%(mode)s: cannot take applications now. %(reason)s") % {
        "mode": mode.name,
        "reason": mode.reason,
    }
    return [Reason("mode", text, False)]


def _capacity(needs: Needs, system: SystemFacts) -> Reason:
    hours = gpu_hours_needed(needs, system)
    if system.remaining_gpu_hours is None:
        return Reason("capacity", _("GPU-hours left this year: %(unknown)s.")
                      % {"unknown": _unknown()})  # fmt: skip
    left = system.remaining_gpu_hours
    if hours is None:
        return Reason("capacity", _("%(left)s GPU-hours left this year.") % {"left": _n(left)},
                      left > 0)  # fmt: skip
    if left < hours:
        return Reason("capacity", _("Only %(left)s GPU-hours left this year; you need %(hours)s.")
                      % {"left": _n(left), "hours": _n(hours)}, False, hard=True)  # fmt: skip
    return Reason("capacity", _("%(left)s GPU-hours left this year (you need %(hours)s).")
                  % {"left": _n(left), "hours": _n(hours)}, True)  # fmt: skip


def _decision_time(mode: ModeOption | None) -> Reason:
    if mode is None:
        return Reason("decision", _("Working days to a decision: %(unknown)s.")
                      % {"unknown": _unknown()})  # fmt: skip
    promise = (
        _("%(mode)s promises %(days)s working days")
        % {"mode": mode.name, "days": mode.target_working_days}
        if mode.target_working_days
        else _("%(mode)s's promise: %(unknown)s") % {"mode": mode.name, "unknown": _unknown()}
    )
    if mode.median_working_days is None:
        # Translators: the promise is "Fast Lane promises 10 working days" (translated apart).
        return Reason("decision", _("Median working days to a decision here: %(unknown)s (too "
                      "few decisions so far). %(promise)s.")
                      % {"unknown": _unknown(), "promise": promise})  # fmt: skip
    median = number_format(mode.median_working_days, decimal_pos=None)
    if mode.median_working_days == int(mode.median_working_days):
        median = str(int(mode.median_working_days))
    on_time = mode.target_working_days is None or mode.median_working_days <= (
        mode.target_working_days
    )
    return Reason("decision", _("Median %(median)s working days to a decision here; "
                  "%(promise)s.") % {"median": median, "promise": promise},
                  on_time)  # fmt: skip


def _accelerator(needs: Needs, system: SystemFacts) -> Reason:
    if not system.accelerator:
        return Reason("accelerator", _("Accelerator: %(accelerator)s.")
                      % {"accelerator": _unknown()})  # fmt: skip
    wanted = needs.accelerator.strip()
    if not wanted:
        return Reason("accelerator", _("Accelerator: %(accelerator)s.")
                      % {"accelerator": system.accelerator})  # fmt: skip
    names = {"accelerator": system.accelerator, "wanted": wanted}
    if wanted.lower() in system.accelerator.lower():
        return Reason("accelerator", _("%(accelerator)s: the %(wanted)s you prefer.") % names,
                      True)  # fmt: skip
    return Reason("accelerator", _("%(accelerator)s, not the %(wanted)s you prefer.") % names,
                  False)  # fmt: skip


def _extras(needs: Needs, system: SystemFacts) -> list[Reason]:
    """What the catalogue does not publish yet: said as unknown when the applicant asked."""
    reasons = []
    if needs.gpu_memory_gb:
        reasons.append(Reason("memory", _("GPU memory: %(unknown)s.")
                              % {"unknown": _unknown()}))  # fmt: skip
    if needs.frameworks.strip():
        reasons.append(Reason("software", _("Frameworks and containers: %(unknown)s.")
                              % {"unknown": _unknown()}))  # fmt: skip
    if needs.node_hours is not None and needs.gpu_hours is None and gpus_per_node(system) is None:
        reasons.append(Reason("size", _("GPUs per node: %(unknown)s, so node-hours cannot be "
                              "converted to GPU-hours here.")
                              % {"unknown": _unknown()}))  # fmt: skip
    return reasons


def _start(needs: Needs, system: SystemFacts) -> Reason | None:
    if needs.start is None or system.available_from is None:
        return None
    if system.available_from > needs.start:
        return Reason("start", _("Available from %(available)s, after your start on %(start)s.")
                      % {"available": _day(system.available_from), "start": _day(needs.start)},
                      False, hard=True)  # fmt: skip
    return None


def _data(needs: Needs, system: SystemFacts) -> Reason | None:
    if not needs.data_country:
        return None
    if needs.data_country == system.factory_country:
        return Reason("data", _("In %(country)s, where your data must stay.")
                      % {"country": system.factory_country_name or system.factory_country},
                      True)  # fmt: skip
    where = system.factory_country_name or system.factory_country
    return Reason("data", _("In %(country)s: your data must stay in %(data_country)s.")
                  % {"country": where, "data_country": needs.data_country}, False,
                  hard=True)  # fmt: skip


def _antenna(needs: Needs, system: SystemFacts) -> Reason | None:
    if not needs.country:
        return None
    if system.antennas:
        names = ", ".join(system.antennas)
        return Reason("antenna", _("An antenna in your country is linked to it: %(names)s.")
                      % {"names": names}, True)  # fmt: skip
    return Reason("antenna", _("No antenna in your country is linked to it."))


def rank_one(needs: Needs, system: SystemFacts) -> Ranked:
    mode, mode_misfits = _choose_mode(needs, system)
    reasons = _mode_reasons(mode, system, needs) + mode_misfits
    reasons.append(_capacity(needs, system))
    reasons.append(_decision_time(mode))
    reasons.append(_accelerator(needs, system))
    for extra in (_start(needs, system), _data(needs, system), _antenna(needs, system)):
        if extra is not None:
            reasons.append(extra)
    reasons += _extras(needs, system)
    return Ranked(system=system, mode=mode, reasons=reasons)


def rank(needs: Needs, systems: list[SystemFacts]) -> list[Ranked]:
    """Every system, best first (see the module's docstring for the order)."""
    ranked = [rank_one(needs, system) for system in systems]
    return sorted(ranked, key=lambda r: (not r.can_take, r.misfits, -r.fits, r.system.name))
