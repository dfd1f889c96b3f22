"""The reports an allocation owes: their schedule from its dates and its mode's policy, their
submission, and the periodic reminders and escalations."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext

from allocations.models import Allocation, Report, ReportBlockOverride
from allocations.selectors import report_policy
from applications.models import ApplicationEvent
from applications.services import event_record
from notifications.services import notification_queue, notification_recipients
from portal.permissions import visible_to_applicant
from portal.workdays import add_months

if TYPE_CHECKING:
    from accounts.models import User
    from factories.models import AIFactory
    from organisations.models import Organisation


def reports_schedule(allocation: Allocation) -> list[Report]:
    """Bring the reports `allocation` owes in line with its dates (after the award, an
    extension, the end or an early close): a final report due the mode's number of days after
    the end (or the day it ended), and for an allocation longer than the mode's threshold a
    progress report every that many months from the start, before the end. Submitted reports
    are never touched; unsubmitted progress reports no longer inside the period are removed."""
    final_days, every_months = report_policy(allocation.application.access_mode)
    end = allocation.ended_on or allocation.end
    progress_dates: list[datetime.date] = []
    step = 1
    while True:
        due = add_months(allocation.start, every_months * step)
        if due >= end:
            break
        progress_dates.append(due)
        step += 1
    existing = list(allocation.reports.all())
    progress = {r.due_on: r for r in existing if r.kind == Report.Kind.PROGRESS}
    for due_on, report in progress.items():
        if due_on not in progress_dates and not report.is_submitted:
            report.delete()
    for due_on in progress_dates:
        if due_on not in progress:
            Report.objects.create(allocation=allocation, kind=Report.Kind.PROGRESS, due_on=due_on)
    final_due = end + datetime.timedelta(days=final_days)
    final = next((r for r in existing if r.kind == Report.Kind.FINAL), None)
    if final is None:
        Report.objects.create(allocation=allocation, kind=Report.Kind.FINAL, due_on=final_due)
    elif not final.is_submitted and final.due_on != final_due:
        final.due_on = final_due
        final.reminded_at = final.escalated_at = None
        final.save(update_fields=["due_on", "reminded_at", "escalated_at", "updated_at"])
    return list(allocation.reports.all())


def report_submit(report: Report, *, user: User, text: str) -> Report:
    """The applicant (or a representative of their organisation) hands in a report: its text,
    once. Refused when already in, when empty, or for anybody else (Report.DoesNotExist)."""
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("allocation__application")
            .get(pk=report.pk)
        )
        application = report.allocation.application
        holders = type(application).objects.filter(visible_to_applicant(user), pk=application.pk)
        if not holders.exists():
            raise Report.DoesNotExist
        if report.is_submitted:
            raise ValidationError(
                gettext("This %(kind)s was handed in on %(date)s.")
                % {
                    "kind": report.get_kind_display().lower(),
                    "date": date_format(timezone.localtime(report.submitted_at), "j F Y"),
                }
            )
        text = (text or "").strip()
        if not text:
            raise ValidationError({"text": [gettext("Write the report before handing it in.")]})
        if len(text) > 20000:
            raise ValidationError(
                {
                    "text": [
                        gettext("At most %(limit)s characters.")
                        % {"limit": number_format(20000, force_grouping=True)}
                    ]
                }
            )
        report.text = text
        report.submitted_at = timezone.now()
        report.submitted_by = user
        report.save(update_fields=["text", "submitted_at", "submitted_by", "updated_at"])
        event_record(
            application,
            actor=user,
            kind=ApplicationEvent.Kind.REPORT,
            from_status=application.status,
            message=f"{report.get_kind_display()} handed in (due {report.due_on:%d %B %Y}).",
            report=report.pk,
        )
    return report


def reports_check(*, today: datetime.date | None = None) -> dict[str, int]:
    """The periodic job: a reminder to the applicant of each report falling due within
    ALLOCATION_REPORT_REMINDER_DAYS, and an escalation (the applicant and the site's approvers,
    and an event on the timeline) of each report past its due date. Each is claimed with a
    conditional update of its marker, so a second run sends nothing twice."""
    today = today or timezone.localdate()
    now = timezone.now()
    horizon = today + datetime.timedelta(days=settings.ALLOCATION_REPORT_REMINDER_DAYS)
    open_reports = Report.objects.filter(submitted_at__isnull=True)
    reminded = escalated = 0
    for pk in open_reports.filter(
        reminded_at__isnull=True, due_on__gte=today, due_on__lte=horizon
    ).values_list("pk", flat=True):
        with transaction.atomic():
            if not Report.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            report = _report_for_email(pk)
            _report_email(report, template="report_reminder", key=f"report-reminder:{pk}")
            reminded += 1
    for pk in open_reports.filter(escalated_at__isnull=True, due_on__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            if not Report.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now):
                continue
            report = _report_for_email(pk)
            application = report.allocation.application
            event_record(
                application,
                actor=None,
                kind=ApplicationEvent.Kind.REPORT,
                from_status=application.status,
                message=f"{report.get_kind_display()} overdue: it was due on "
                f"{report.due_on:%d %B %Y}.",
                report=report.pk,
            )
            _report_email(report, template="report_overdue", key=f"report-overdue:{pk}")
            for recipient in notification_recipients(
                approvers_of=report.allocation.system.factory_id
            ):
                _report_email(
                    report,
                    template="report_overdue_site",
                    key=f"report-overdue:{pk}:{recipient.email}",
                    to=(recipient.email, recipient.name),
                )
            escalated += 1
    return {"reminded": reminded, "escalated": escalated}


def _report_for_email(pk: int) -> Report:
    return Report.objects.select_related(
        "allocation__application__applicant", "allocation__system__factory"
    ).get(pk=pk)


def _report_email(
    report: Report, *, template: str, key: str, to: tuple[str, str] | None = None
) -> None:
    application = report.allocation.application
    email, name = to or (application.applicant.email, application.applicant.get_full_name())
    notification_queue(
        key=f"{key}:{report.due_on:%Y%m%d}",
        recipient=email,
        recipient_name=name,
        template=template,
        context={"report": report, "allocation": report.allocation, "application": application},
        application=application,
    )


def report_block_override(
    *, actor: User, organisation: Organisation, factory: AIFactory, reason: str
) -> ReportBlockOverride:
    """Staff lift the block that overdue final reports put on `organisation`'s new applications
    to `factory`, with a reason: those reports no longer block (later ones will)."""
    if not actor.is_staff:
        raise PermissionDenied(gettext("Only the portal's staff lift a report block."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [gettext("Give the reason for lifting the block.")]})
    override = ReportBlockOverride(
        organisation=organisation, factory=factory, reason=reason, created_by=actor
    )
    override.full_clean()
    override.save()
    return override
