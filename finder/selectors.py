"""The facts the finder ranks: systems, the modes open to the applicant with the intake rule's
verdict, capacity and decision times from the public statistics, antennas. Reads only.

Queries: the systems, the active modes, per eligible mode the intake rule's (its offers, the
site roles, and the ledgers of the systems that pass the other rules), the antennas of the
applicant's country with their links; the statistics come from their cache (computed on a miss).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from applications.intake import systems_taking_applications
from applications.models import AccessMode, Application, ApplicationStatus
from factories.models import Antenna, AntennaLink, System
from finder import ranking
from finder.models import MoveProposal
from organisations.models import Organisation
from portal_statistics.selectors import ModeFigures, public_statistics
from reviews.models import Assignment

# Applications that may be moved: open, and not yet reviewed in part at their site.
MOVABLE = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW,
           ApplicationStatus.NEEDS_ATTENTION)  # fmt: skip


def _modes_for(org_type: str) -> list[AccessMode]:
    modes = AccessMode.objects.filter(is_active=True).order_by("pk")
    return [m for m in modes if not org_type or org_type in m.eligible_org_types]


def _antennas(country: str) -> dict[int, list[str]]:
    """Factory id -> names of the antennas in `country` shown as linked to it (two queries)."""
    if not country:
        return {}
    shown = AntennaLink.objects.filter(confidence__in=AntennaLink.SHOWN)
    found: dict[int, list[str]] = defaultdict(list)
    antennas = Antenna.objects.filter(country=country).prefetch_related(
        Prefetch("links", queryset=shown, to_attr="shown_links")
    )
    for antenna in antennas:
        for link in antenna.shown_links:
            found[link.factory_id].append(antenna.display_name)
    return found


def _option(mode: AccessMode, reason: str, figures: ModeFigures | None) -> ranking.ModeOption:
    return ranking.ModeOption(
        slug=mode.slug,
        name=mode.short_name,
        reason=reason,
        min_gpu_hours=mode.min_gpu_hours,
        max_gpu_hours=mode.max_gpu_hours,
        durations_months=tuple(mode.durations_months or ()),
        target_working_days=mode.decision_target_working_days,
        median_working_days=figures.median_working_days if figures else None,
        decided=figures.decided if figures else None,
    )


def finder_facts(
    *,
    org_type: str = "",
    country: str = "",
    modes: list[AccessMode] | None = None,
    organisation: Organisation | None = None,
    systems: list[System] | None = None,
) -> list[ranking.SystemFacts]:
    """Each system (or those given, with their factory loaded) with the modes open to
    `org_type` (or those given), each with whether the system can take an application under
    it now (the intake rule, for `organisation` when given)."""
    listed = list(systems if systems is not None else System.objects.select_related("factory"))
    chosen = modes if modes is not None else _modes_for(org_type)
    stats = public_statistics()
    figures = {(f.factory_slug, f.mode_slug): f for f in stats.modes}
    capacity = {c.system_slug: c for c in stats.capacity}
    offered = set(
        AccessMode.systems.through.objects.filter(
            accessmode_id__in=[m.pk for m in chosen], system_id__in=[s.pk for s in listed]
        ).values_list("accessmode_id", "system_id")
    )
    options: dict[int, list[ranking.ModeOption]] = defaultdict(list)
    for mode in chosen:
        for intake in systems_taking_applications(
            mode=mode, organisation=organisation, systems=listed
        ):
            system = intake.system
            if (mode.pk, system.pk) not in offered:
                continue  # not an option there at all
            key = (system.factory.slug, mode.slug)
            options[system.pk].append(_option(mode, intake.reason, figures.get(key)))
    antennas = _antennas(country)
    return [
        ranking.SystemFacts(
            slug=s.slug,
            name=s.name,
            factory_slug=s.factory.slug,
            factory_name=s.factory.display_name,
            factory_country=s.factory.country.code,
            factory_country_name=str(s.factory.country.name),
            accelerator=s.accelerator,
            accelerator_count=s.accelerator_count,
            nodes=s.nodes,
            capacity_gpu_hours=s.allocatable_gpu_hours_per_year,
            remaining_gpu_hours=capacity[s.slug].remaining if s.slug in capacity else None,
            available_from=s.available_from,
            antennas=tuple(antennas.get(s.factory_id, ())),
            modes=tuple(options.get(s.pk, ())),
        )
        for s in listed
    ]


def finder_results(needs: ranking.Needs) -> list[ranking.Ranked]:
    """The finder's answer: every system, ranked for `needs`."""
    facts = finder_facts(org_type=needs.org_type, country=needs.country)
    return ranking.rank(needs, facts)


# --- Re-routing ----------------------------------------------------------------------------------


def application_needs(application: Application) -> ranking.Needs:
    """What an application states, as the finder's needs."""
    organisation = application.organisation
    return ranking.Needs(
        org_type=organisation.org_type if organisation else "",
        country=organisation.country.code if organisation else "",
        workload=application.workload,
        model_parameters_billions=application.model_parameters_billions,
        gpu_hours=application.gpu_hours,
        frameworks=application.frameworks,
        start=application.start_date,
        duration_months=application.duration_months,
    )


def pending_proposals(application: Application) -> list[MoveProposal]:
    return list(
        application.move_proposals.filter(status=MoveProposal.Status.PENDING).select_related(
            "system__factory"
        )
    )


def move_offer_reason(application: Application, proposals: list[MoveProposal] | None = None) -> str:
    """Why the applicant is offered a move to another site, or "" when not: their site could
    not staff it (routing flagged it "needs attention"), its system has no GPU-hours left for
    it, or staff proposed one. Only open applications no reviewer has reviewed yet move."""
    if application.status not in MOVABLE or application.system is None:
        return ""
    if Assignment.objects.filter(application=application, status=Assignment.Status.DONE).exists():
        return ""
    site = application.system.factory.display_name
    if application.status == ApplicationStatus.NEEDS_ATTENTION:
        return _("%(site)s cannot staff the review of your application at the moment.") % {
            "site": site
        }
    stats = {c.system_slug: c for c in public_statistics().capacity}
    left = stats.get(application.system.slug)
    if left and left.remaining is not None and left.remaining < (application.gpu_hours or 1):
        return _("%(system)s has no GPU-hours left for your application this year.") % {
            "system": application.system.name
        }
    if proposals is None:
        proposals = pending_proposals(application)
    if proposals:
        return _("The portal's staff propose to move your application to another site.")
    return ""


def application_alternatives(application: Application) -> list[ranking.Ranked]:
    """The finder's alternatives for an application: same mode, other systems, only those that
    can take it now (for its organisation), ranked for what it states."""
    mode = application.access_mode
    if mode is None:
        return []
    systems = list(System.objects.select_related("factory").exclude(pk=application.system_id or 0))
    facts = finder_facts(
        country=application.organisation.country.code if application.organisation else "",
        modes=[mode],
        organisation=application.organisation,
        systems=systems,
    )
    ranked = ranking.rank(application_needs(application), facts)
    return [r for r in ranked if r.can_take]
