"""Which systems can take an application now: the one rule, read by every path that offers or
accepts a system (the form's system step, submission in the HTML form and the API, the system
pages and the catalogue API, and later the factory finder, re-routing and statistics).

A system can take an application under an access mode when, in this order:

1. the mode is accepting applications (active) and, when an organisation is given, open to its
   type;
2. the system is operational;
3. the system offers the mode;
4. its site (the factory) has the active reviewers the mode needs (`technical_reviews`
   technical and `scientific_reviews` scientific reviewers, what routing will ask for) and an
   active approver to decide; with an organisation, its own members and the reviewers who
   declared a conflict with it do not count, as routing would exclude them;
5. the system's yearly capacity is published and GPU-hours are left for this year (the
   allocations ledger).

The first rule broken is the reason, in words an applicant understands. Reads only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from allocations.selectors import system_remaining_gpu_hours
from applications.models import AccessMode
from factories.models import System
from organisations.models import Organisation
from reviews.models import SiteRole


@dataclass(frozen=True)
class SystemIntake:
    """Whether `system` can take an application under `mode` now; `reason` says why not."""

    system: System
    mode: AccessMode
    reason: str = ""

    @property
    def can_take(self) -> bool:
        return not self.reason


def systems_taking_applications(
    *,
    mode: AccessMode,
    organisation: Organisation | None = None,
    systems: Iterable[System] | None = None,
) -> list[SystemIntake]:
    """Every system (or those of `systems`, each with its factory loaded), each with the reason
    it cannot take an application under `mode` now, or none: those that can come first, then
    in the given order. Queries: the systems (unless given), the mode's systems, the site
    roles, and one per system that meets every other rule (its ledger)."""
    listed = list(_systems() if systems is None else systems)
    intakes = _evaluate(listed, [mode], organisation)
    return sorted(intakes, key=lambda intake: not intake.can_take)


def system_intake(
    *, system: System, mode: AccessMode, organisation: Organisation | None = None
) -> SystemIntake:
    """`systems_taking_applications` for one system."""
    return systems_taking_applications(mode=mode, organisation=organisation, systems=[system])[0]


def intakes_by_mode(*, system: System) -> list[SystemIntake]:
    """For a system's page and the API: each active mode, with whether the system can take an
    application under it now. Four queries at most, whatever the number of modes."""
    modes = list(AccessMode.objects.filter(is_active=True).order_by("pk"))
    return _evaluate([system], modes, None)


def _evaluate(
    systems: list[System], modes: list[AccessMode], organisation: Organisation | None
) -> list[SystemIntake]:
    offers = set(
        AccessMode.systems.through.objects.filter(
            accessmode_id__in=[m.pk for m in modes], system_id__in=[s.pk for s in systems]
        ).values_list("accessmode_id", "system_id")
    )
    roles = _active_roles({s.factory_id for s in systems}, organisation)
    capacity = _Capacity(timezone.localdate().year)
    return [
        SystemIntake(
            system,
            mode,
            _reason(
                system,
                mode,
                organisation,
                offered=(mode.pk, system.pk) in offers,
                roles=roles,
                capacity=capacity,
            ),
        )
        for mode in modes
        for system in systems
    ]


class _Capacity:
    """What is left on each system this year, read from the ledger once per system."""

    def __init__(self, year: int) -> None:
        self.year = year
        self._reasons: dict[int, str] = {}

    def reason(self, system: System) -> str:
        if system.pk not in self._reasons:
            self._reasons[system.pk] = _capacity(system, self.year)
        return self._reasons[system.pk]


def _systems() -> QuerySet[System]:
    return System.objects.select_related("factory")


def _active_roles(
    factory_ids: set[int], organisation: Organisation | None
) -> Counter[tuple[int, str]]:
    """Active site roles per (factory, role) in one query; with an organisation, its members
    and the reviewers in declared conflict with it are left out (routing excludes them)."""
    roles = SiteRole.objects.filter(factory_id__in=factory_ids, is_active=True)
    if organisation is not None:
        roles = roles.exclude(user__memberships__organisation=organisation).exclude(
            user__conflicts__organisation=organisation
        )
    return Counter(roles.values_list("factory_id", "role"))


def _reason(
    system: System,
    mode: AccessMode,
    organisation: Organisation | None,
    *,
    offered: bool,
    roles: Counter[tuple[int, str]],
    capacity: _Capacity,
) -> str:
    name = mode.short_name
    if not mode.is_active:
        return gettext("%(mode)s is not accepting applications.") % {"mode": name}
    if organisation is not None and organisation.org_type not in mode.eligible_org_types:
        allowed = ", ".join(mode.get_eligible_org_types_display()) or gettext("nobody")
        return gettext("%(mode)s is open to %(allowed)s, not to %(type)s.") % {
            "mode": name,
            "allowed": allowed,
            "type": organisation.get_org_type_display(),
        }
    if system.status != System.Status.OPERATIONAL:
        return _not_operational(system)
    if not offered:
        return gettext("%(system)s does not offer %(mode)s.") % {
            "system": system.name,
            "mode": name,
        }
    if problem := _staffing(system, mode, roles):
        return problem
    return capacity.reason(system)


def _not_operational(system: System) -> str:
    if not system.status:
        return gettext("%(system)s has not published that it is operational.") % {
            "system": system.name
        }
    if system.status == System.Status.RETIRED:
        return gettext("%(system)s is retired: choose another system.") % {"system": system.name}
    # Whole sentences, with and without the announced date, for each state.
    states: dict[str, tuple[str, str]] = {
        System.Status.PLANNED: (
            gettext("%(system)s is planned, not operational yet."),
            gettext("%(system)s is planned, not operational yet (announced: %(when)s)."),
        ),
        System.Status.PROCUREMENT: (
            gettext("%(system)s is being procured, not operational yet."),
            gettext("%(system)s is being procured, not operational yet (announced: %(when)s)."),
        ),
        System.Status.INSTALLING: (
            gettext("%(system)s is being installed, not operational yet."),
            gettext("%(system)s is being installed, not operational yet (announced: %(when)s)."),
        ),
    }
    # Translators: "state" is a system's status, e.g. "in acceptance tests".
    other = (
        gettext("%(system)s is %(state)s, not operational yet."),
        gettext("%(system)s is %(state)s, not operational yet (announced: %(when)s)."),
    )
    undated, dated = states.get(system.status, other)
    values = {
        "system": system.name,
        "state": system.get_status_display().lower(),
        "when": system.available_from_display,
    }
    return (dated if system.available_from else undated) % values


def _staffing(system: System, mode: AccessMode, roles: Counter[tuple[int, str]]) -> str:
    site = system.factory.display_name
    for role, needed in (
        ("technical", mode.technical_reviews),
        ("scientific", mode.scientific_reviews),
    ):
        have = roles[system.factory_id, role]
        if have < needed:
            values = {"site": site, "have": have, "mode": mode.short_name, "needed": needed}
            if role == "technical":
                if have == 0:
                    return (
                        gettext(
                            "%(site)s has no active technical reviewer yet, so it cannot review "
                            "applications."
                        )
                        % values
                    )
                return (
                    ngettext(
                        "%(site)s has %(have)s active technical reviewer; "
                        "%(mode)s needs %(needed)s.",
                        "%(site)s has %(have)s active technical reviewers; "
                        "%(mode)s needs %(needed)s.",
                        have,
                    )
                    % values
                )
            if have == 0:
                return (
                    gettext(
                        "%(site)s has no active scientific reviewer yet, so it cannot review "
                        "applications."
                    )
                    % values
                )
            return (
                ngettext(
                    "%(site)s has %(have)s active scientific reviewer; %(mode)s needs %(needed)s.",
                    "%(site)s has %(have)s active scientific reviewers; %(mode)s needs %(needed)s.",
                    have,
                )
                % values
            )
    if roles[system.factory_id, "approver"] == 0:
        return gettext("%(site)s has no active approver yet, so nobody there could decide.") % {
            "site": site
        }
    return ""


def _capacity(system: System, year: int) -> str:
    if system.allocatable_gpu_hours_per_year is None:
        return gettext("%(system)s has not published how many GPU-hours it can award.") % {
            "system": system.name
        }
    left = system_remaining_gpu_hours(system=system, year=year)
    if left is not None and left <= 0:
        return gettext("No GPU-hours are left on %(system)s for %(year)s.") % {
            "system": system.name,
            "year": year,
        }
    return ""
