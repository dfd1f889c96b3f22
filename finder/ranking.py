"""Which systems suit an applicant's needs, best first, with reasons: a pure function.

`rank()` takes the applicant's needs and, for each system, the facts a selector gathered (the
modes it could take the application under with the intake rule's verdict, capacity left, the
median working days to a decision, antennas) and returns each system ranked with its reasons.
No database, no Django: the rules test as a table (tests/finder/test_ranking.py).

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

UNKNOWN = "not yet published"


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
                    f"{mode.name} starts at {mode.min_gpu_hours:,} GPU-hours; you need {hours:,}.",
                    False,
                    hard=True,
                )
            )
        elif mode.max_gpu_hours is not None and hours > mode.max_gpu_hours:
            reasons.append(
                Reason(
                    "size",
                    f"{mode.name} awards at most {mode.max_gpu_hours:,} "
                    f"GPU-hours; you need {hours:,}.",
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
                f"{mode.name} runs for {allowed} months, not {needs.duration_months}.",
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
        who = needs.org_type.replace("_", " ") or "your organisation"
        return [Reason("mode", f"No access mode at {system.name} is open to {who}.", False)]
    if mode.can_take:
        return [Reason("mode", f"{mode.name}: can take your application now.", True)]
    return [Reason("mode", f"{mode.name}: cannot take applications now. {mode.reason}", False)]


def _capacity(needs: Needs, system: SystemFacts) -> Reason:
    hours = gpu_hours_needed(needs, system)
    if system.remaining_gpu_hours is None:
        return Reason("capacity", f"GPU-hours left this year: {UNKNOWN}.")
    left = system.remaining_gpu_hours
    if hours is None:
        return Reason("capacity", f"{left:,} GPU-hours left this year.", left > 0)
    if left < hours:
        return Reason("capacity", f"Only {left:,} GPU-hours left this year; you need {hours:,}.",
                      False, hard=True)  # fmt: skip
    return Reason("capacity", f"{left:,} GPU-hours left this year (you need {hours:,}).", True)


def _decision_time(mode: ModeOption | None) -> Reason:
    if mode is None:
        return Reason("decision", f"Working days to a decision: {UNKNOWN}.")
    promise = (
        f"{mode.name} promises {mode.target_working_days} working days"
        if mode.target_working_days
        else f"{mode.name}'s promise: {UNKNOWN}"
    )
    if mode.median_working_days is None:
        return Reason("decision", f"Median working days to a decision here: {UNKNOWN} (too few "
                      f"decisions so far). {promise}.")  # fmt: skip
    median = f"{mode.median_working_days:g}"
    on_time = mode.target_working_days is None or mode.median_working_days <= (
        mode.target_working_days
    )
    return Reason("decision", f"Median {median} working days to a decision here; {promise}.",
                  on_time)  # fmt: skip


def _accelerator(needs: Needs, system: SystemFacts) -> Reason:
    if not system.accelerator:
        return Reason("accelerator", f"Accelerator: {UNKNOWN}.")
    wanted = needs.accelerator.strip()
    if not wanted:
        return Reason("accelerator", f"Accelerator: {system.accelerator}.")
    if wanted.lower() in system.accelerator.lower():
        return Reason("accelerator", f"{system.accelerator}: the {wanted} you prefer.", True)
    return Reason("accelerator", f"{system.accelerator}, not the {wanted} you prefer.", False)


def _extras(needs: Needs, system: SystemFacts) -> list[Reason]:
    """What the catalogue does not publish yet: said as unknown when the applicant asked."""
    reasons = []
    if needs.gpu_memory_gb:
        reasons.append(Reason("memory", f"GPU memory: {UNKNOWN}."))
    if needs.frameworks.strip():
        reasons.append(Reason("software", f"Frameworks and containers: {UNKNOWN}."))
    if needs.node_hours is not None and needs.gpu_hours is None and gpus_per_node(system) is None:
        reasons.append(Reason("size", f"GPUs per node: {UNKNOWN}, so node-hours cannot be "
                              "converted to GPU-hours here."))  # fmt: skip
    return reasons


def _start(needs: Needs, system: SystemFacts) -> Reason | None:
    if needs.start is None or system.available_from is None:
        return None
    if system.available_from > needs.start:
        return Reason("start", f"Available from {system.available_from:%-d %B %Y}, after your "
                      f"start on {needs.start:%-d %B %Y}.", False, hard=True)  # fmt: skip
    return None


def _data(needs: Needs, system: SystemFacts) -> Reason | None:
    if not needs.data_country:
        return None
    if needs.data_country == system.factory_country:
        return Reason("data", f"In {system.factory_country_name or system.factory_country}, "
                      "where your data must stay.", True)  # fmt: skip
    where = system.factory_country_name or system.factory_country
    return Reason("data", f"In {where}: your data must stay in {needs.data_country}.", False,
                  hard=True)  # fmt: skip


def _antenna(needs: Needs, system: SystemFacts) -> Reason | None:
    if not needs.country:
        return None
    if system.antennas:
        names = ", ".join(system.antennas)
        return Reason("antenna", f"An antenna in your country is linked to it: {names}.", True)
    return Reason("antenna", "No antenna in your country is linked to it.")


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
