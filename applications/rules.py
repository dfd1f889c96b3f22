"""The rules an application must meet to be submitted. Pure checks: they read, never write.

Each message names the field so the form, the API and the tests can point at it."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications.call_form import call_form_errors
from applications.intake import system_intake
from applications.models import AccessMode, Application, Cutoff
from factories.models import System
from organisations.models import Membership, OrganisationType

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.models import User

# Lazy: each is made a str, in the request's language, where the errors are gathered.
REQUIRED_FOR_SUBMISSION: dict[str, StrOrPromise] = {
    "organisation": _("Choose the organisation you apply for."),
    "access_mode": _("Choose an access mode."),
    "system": _("Choose the system you want to use."),
    "title": _("Give the project a title."),
    "abstract": _("Describe the project in an abstract."),
    "ai_domain": _("Choose the AI domain of the project."),
    "workload": _("Say whether you will train, fine-tune or run inference."),
    "data_sources": _("Describe the data you will use."),
    "ai_act_risk": _("Give your EU AI Act risk self-assessment."),
    "gpu_hours": _("Say how many GPU-hours you need."),
    "start_date": _("Choose a start date."),
    "duration_months": _("Choose a duration."),
}

Errors = dict[str, list[str]]


def next_cutoff(access_mode: AccessMode, now: datetime) -> Cutoff | None:
    return access_mode.cutoffs.filter(closes_at__gt=now).order_by("closes_at").first()


def _period_end(system: System) -> date | None:
    """The last day of the announced availability period ('2026' ends on 31 December 2026)."""
    start = system.available_from
    if start is None:
        return None
    if system.available_from_precision == System.DatePrecision.YEAR:
        return date(start.year, 12, 31)
    if system.available_from_precision == System.DatePrecision.MONTH:
        return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    return start


def system_operational_error(system: System, start: date) -> str | None:
    """Why `system` will not be running on `start`, or None. (Retired is the system's own
    problem, not the date's: submission_errors reports it on `system`.)"""
    if system.status in (System.Status.OPERATIONAL, System.Status.RETIRED):
        return None
    end = _period_end(system)
    if end is None:
        return gettext(
            "%(system)s has not announced when it will be operational: choose an "
            "operational system."
        ) % {"system": system.name}
    if start <= end:
        return gettext(
            "%(system)s is not expected to be operational by %(date)s "
            "(announced: %(announced)s). Choose a later start date or another system."
        ) % {
            "system": system.name,
            "date": date_format(start, "j F Y"),
            "announced": system.available_from_display,
        }
    return None


def submission_errors(
    application: Application, *, user: User, now: datetime | None = None
) -> Errors:
    """Every broken rule, by field. Empty when the application may be submitted."""
    from accounts.selectors import user_email_verified

    now = now or timezone.now()
    today = timezone.localdate(now)
    errors: Errors = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field, message in REQUIRED_FOR_SUBMISSION.items():
        if getattr(
            application,
            field if field not in {"organisation", "access_mode", "system"} else f"{field}_id",
        ) in (None, ""):
            add(field, str(message))
    if application.personal_data is None:
        add("personal_data", gettext("Say whether the project processes personal data."))
    elif application.personal_data and not application.gdpr_basis:
        add("gdpr_basis", gettext("Give the GDPR legal basis for processing personal data."))
    if application.ai_act_risk == "prohibited":
        add(
            "ai_act_risk",
            gettext(
                "Projects that fall under the EU AI Act's prohibited practices cannot be supported."
            ),
        )

    if not user_email_verified(user):
        add("applicant", gettext("Verify your email address before submitting."))

    org = application.organisation
    mode = application.access_mode
    system = application.system
    if org is not None and not Membership.objects.filter(user=user, organisation=org).exists():
        add(
            "organisation",
            gettext("You are not a member of %(organisation)s.") % {"organisation": org.legal_name},
        )
    if org is not None and mode is not None and org.org_type not in mode.eligible_org_types:
        allowed = ", ".join(mode.get_eligible_org_types_display()) or gettext("nobody")
        add(
            "organisation",
            gettext("%(mode)s is open to %(allowed)s; %(organisation)s is registered as %(type)s.")
            % {
                "mode": mode.short_name,
                "allowed": allowed,
                "organisation": org.legal_name,
                "type": org.get_org_type_display(),
            },
        )
    if (
        org is not None
        and org.org_type in (OrganisationType.SME, OrganisationType.STARTUP)
        and org.sme_declared_on is None
    ):
        add(
            "organisation",
            gettext(
                "%(organisation)s needs an SME self-declaration before applying as an SME or "
                "startup."
            )
            % {"organisation": org.legal_name},
        )
    if org is not None and system is not None:
        # An overdue final report at this site blocks the organisation's new applications there
        # until it is in, or staff lift the block (allocations, issue 12).
        from allocations.selectors import report_block_message

        blocked = report_block_message(
            organisation_id=org.pk, factory_id=system.factory_id, today=today
        )
        if blocked:
            add("organisation", blocked)

    if mode is not None:
        if not mode.is_active:
            add(
                "access_mode",
                gettext("%(mode)s is not accepting applications.") % {"mode": mode.short_name},
            )
        if mode.schedule == AccessMode.Schedule.CUTOFFS and next_cutoff(mode, now) is None:
            add(
                "access_mode",
                gettext("%(mode)s has no open cut-off: the next one has not been published yet.")
                % {"mode": mode.short_name},
            )
        eligible = org is None or org.org_type in mode.eligible_org_types
        if system is not None and mode.is_active and eligible:  # else said above already
            # The one rule of which systems take applications now (applications.intake).
            intake = system_intake(system=system, mode=mode, organisation=org)
            if not intake.can_take:
                add("system", intake.reason)
        hours = application.gpu_hours
        if hours is not None:
            if hours <= 0:
                add("gpu_hours", gettext("Ask for more than 0 GPU-hours."))
            elif mode.min_gpu_hours is not None and hours < mode.min_gpu_hours:
                add(
                    "gpu_hours",
                    gettext("%(mode)s starts at %(least)s GPU-hours; you asked for %(hours)s.")
                    % {
                        "mode": mode.short_name,
                        "least": number_format(mode.min_gpu_hours, force_grouping=True),
                        "hours": number_format(hours, force_grouping=True),
                    },
                )
            elif mode.max_gpu_hours is not None and hours > mode.max_gpu_hours:
                add(
                    "gpu_hours",
                    gettext("%(mode)s allows at most %(most)s GPU-hours; you asked for %(hours)s.")
                    % {
                        "mode": mode.short_name,
                        "most": number_format(mode.max_gpu_hours, force_grouping=True),
                        "hours": number_format(hours, force_grouping=True),
                    },
                )
        months = application.duration_months
        if months is not None and months not in mode.durations_months:
            allowed = ", ".join(str(m) for m in mode.durations_months)
            add(
                "duration_months",
                # Translators: "allowed" is a list of numbers of months, e.g. "1, 2, 3".
                gettext("%(mode)s allows durations of %(allowed)s months; you chose %(months)s.")
                % {"mode": mode.short_name, "allowed": allowed, "months": months},
            )

    if application.start_date is not None:
        if application.start_date < today:
            add("start_date", gettext("The start date is in the past."))
        elif system is not None:
            problem = system_operational_error(system, application.start_date)
            if problem:
                add("start_date", problem)

    limit = settings.ATTACHMENT_MAX_BYTES
    for attachment in application.attachments.all():
        if attachment.size > limit:
            add(
                "attachments",
                gettext("%(name)s is larger than %(mb)s MB.")
                % {"name": attachment.name, "mb": limit // 1_048_576},
            )
    # The call form's parts: resources per partition, milestones, ethics, PI contract, consent.
    for field, messages in call_form_errors(application).items():
        errors.setdefault(field, []).extend(messages)
    return errors
