"""Every write to applications: drafts, team, attachments, submission, withdrawal, events."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext

from applications import draft_checks, uploads
from applications.call_form_models import CALL_FORM_FIELDS
from applications.models import (
    AccessMode,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Attachment,
    TeamMember,
    can_transition,
)
from applications.rules import next_cutoff, submission_errors
from portal.tasks import enqueue
from portal.workdays import add_working_days
from reviews import tasks as review_tasks

if TYPE_CHECKING:
    from accounts.models import User

# Fields an applicant may set on a draft (the API and the form both use this list).
EDITABLE_FIELDS = (
    "organisation", "access_mode", "system", "title", "abstract", "ai_domain", "workload",
    "model_parameters_billions", "frameworks", "gpu_hours", "start_date", "duration_months",
    "data_sources", "data_licence", "personal_data", "gdpr_basis", "ai_act_risk",
    *CALL_FORM_FIELDS,
)  # fmt: skip


def event_record(
    application: Application,
    *,
    actor: User | None,
    kind: str,
    from_status: str,
    message: str = "",
    internal: bool = False,
    **extra: Any,
) -> ApplicationEvent:
    """The event of a change of `application` (its status now is the `to_status`): the
    timeline and the audit trail. Written by the service that changes it, in its transaction."""
    return ApplicationEvent.objects.create(
        application=application,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=application.status,
        message=message,
        internal=internal,
        extra=extra,
    )


def application_transition(
    application: Application,
    *,
    to_status: str,
    actor: User | None,
    kind: str,
    message: str = "",
    fields: tuple[str, ...] = (),
    internal: bool = False,
    **extra: Any,
) -> ApplicationEvent:
    """The one way a status changes: `application` (locked, in the caller's transaction) to
    `to_status` if the map allows it (else ValidationError), with `fields`, and its event."""
    from_status = application.status
    if not can_transition(from_status, to_status):
        raise ValidationError(
            gettext("An application that is %(from)s cannot become %(to)s.")
            % {
                "from": str(ApplicationStatus(from_status).label).lower(),
                "to": str(ApplicationStatus(to_status).label).lower(),
            }
        )
    application.status = to_status
    application.save(update_fields=["status", *fields, "updated_at"])
    if not application.is_open:  # ended: its open review assignments close (lazy: no cycle)
        from reviews.services.assignments import assignments_close

        assignments_close(application=application)
    return event_record(
        application,
        actor=actor,
        kind=kind,
        from_status=from_status,
        message=message,
        internal=internal,
        **extra,
    )


def applications_transition(
    moves: list[tuple[Application, str]], *, to_status: str, kind: str, **values: Any
) -> list[ApplicationEvent]:
    """`application_transition` for many at once (a routing batch): each (application, message)
    checked against the transition map, then one UPDATE and one INSERT of their events. The
    applications in memory get the new status and `values` too."""
    for application, _message in moves:
        if not can_transition(application.status, to_status):
            raise ValidationError(
                f"Application {application.pk} is {application.status}: it cannot become "
                f"{to_status}."
            )
    now = timezone.now()
    Application.objects.filter(pk__in=[a.pk for a, _ in moves]).update(
        status=to_status, updated_at=now, **values
    )
    events = ApplicationEvent.objects.bulk_create(
        ApplicationEvent(
            application=application,
            actor=None,
            kind=kind,
            from_status=application.status,
            to_status=to_status,
            message=message,
            internal=False,
            extra={},
        )
        for application, message in moves
    )
    for application, _message in moves:
        application.status = to_status
        application.updated_at = now
        for name, value in values.items():
            setattr(application, name, value)
    return events


def _apply_values(application: Application, values: dict[str, Any]) -> list[str]:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: [gettext("This field cannot be set.")] for f in sorted(unknown)})
    draft_checks.check_start_date(values)
    changed = []
    for field, value in values.items():
        if getattr(application, field) != value:
            setattr(application, field, value)
            changed.append(field)
    return changed


@transaction.atomic
def application_create(*, applicant: User, **values: Any) -> Application:
    """A new draft. Incomplete is fine; shapes are still validated."""
    draft_checks.check_choices_belong_to_user(applicant, values)
    application = Application(applicant=applicant)
    _apply_values(application, values)
    application.full_clean(validate_constraints=False)  # see application_update
    application.save()
    event_record(
        application,
        actor=applicant,
        kind=ApplicationEvent.Kind.CREATED,
        from_status="",
        message="Draft created.",
    )
    return application


@transaction.atomic
def application_update(*, application: Application, actor: User, **values: Any) -> Application:
    """Change a draft. Refused once submitted. Writes an `edited` event naming the fields."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_editable:
        raise ValidationError(
            gettext("This application is %(status)s: only drafts can be edited.")
            % {"status": application.get_status_display().lower()}
        )
    draft_checks.check_choices_belong_to_user(actor, values)
    changed = _apply_values(application, values)
    if not changed:
        return application
    # The fields' own checks; not the table's constraints, which are about submitted
    # applications (a draft meets them all) and stay enforced by the database: checking them
    # here cost three queries in savepoints on every draft save.
    application.full_clean(validate_constraints=False)
    application.save()
    event_record(
        application,
        actor=actor,
        kind=ApplicationEvent.Kind.EDITED,
        from_status=application.status,
        message="Draft saved.",
        fields=changed,
    )
    return application


@transaction.atomic
def team_members_set(
    *, application: Application, actor: User, members: list[dict[str, str]]
) -> None:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_editable:
        raise ValidationError(gettext("Only drafts can be edited."))
    seen = set()
    rows = []
    for i, member in enumerate(members):
        row = TeamMember(application=application, **member)
        row.full_clean(exclude=["application"])
        if row.email.lower() in seen:
            raise ValidationError(
                {
                    "team_members": [
                        gettext("Member %(n)s: %(email)s is listed twice.")
                        % {"n": i + 1, "email": row.email}
                    ]
                }
            )
        seen.add(row.email.lower())
        rows.append(row)
    application.team_members.all().delete()
    TeamMember.objects.bulk_create(rows)
    event_record(
        application,
        actor=actor,
        kind=ApplicationEvent.Kind.EDITED,
        from_status=application.status,
        message="Team updated.",
        fields=["team_members"],
    )


def attachment_error(upload: UploadedFile) -> str | None:
    """Refuse anything that is not a PDF by content, or is over the size limit."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        return gettext("%(name)s is %(size)s MB: attachments may be at most %(most)s MB.") % {
            "name": upload.name,
            "size": number_format(upload.size / 1_048_576, decimal_pos=1),
            "most": limit // 1_048_576,
        }
    # Parsed: no JavaScript, launch actions or embedded files (applications/uploads.py).
    return uploads.pdf_error(upload, upload.name or gettext("The file"))


@transaction.atomic
def attachment_add(*, application: Application, actor: User, upload: UploadedFile) -> Attachment:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_editable:
        raise ValidationError(gettext("Only drafts can be edited."))
    error = attachment_error(upload)
    if error:
        raise ValidationError({"attachments": [error]})
    attachment = Attachment(
        application=application,
        token=secrets.token_hex(16),
        # Stored, shown and served as a safe base name ending in .pdf, whatever was sent.
        name=uploads.safe_name(upload.name),
        size=upload.size or 0,
        uploaded_by=actor,
    )
    attachment.file.save(f"{attachment.token}.pdf", upload, save=False)
    attachment.save()
    event_record(
        application,
        actor=actor,
        kind=ApplicationEvent.Kind.EDITED,
        from_status=application.status,
        message=f"Attachment {attachment.name} added.",
        fields=["attachments"],
    )
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: Attachment, actor: User) -> None:
    application = Application.objects.select_for_update().get(pk=attachment.application_id)
    if not application.is_editable:
        raise ValidationError(gettext("Only drafts can be edited."))
    name = attachment.name
    attachment.file.delete(save=False)
    attachment.delete()
    event_record(
        application,
        actor=actor,
        kind=ApplicationEvent.Kind.EDITED,
        from_status=application.status,
        message=f"Attachment {name} removed.",
        fields=["attachments"],
    )


def application_submit(*, application: Application, actor: User) -> Application:
    """Submit a draft: every rule checked, then one transition, one event, routing and the
    applicant's receipt on commit.

    Idempotent: a second call (double click, repeated API call) finds the application already
    submitted and returns it unchanged: still one submission and one event.
    """
    with transaction.atomic():
        # Locked, with what the rules and the receipt read (only the application's row is
        # locked: `of`).
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("organisation", "access_mode", "system__factory", "applicant")
            .get(pk=application.pk)
        )
        if application.status != ApplicationStatus.DRAFT:
            if application.submitted_at is not None and application.status != "withdrawn":
                return application
            raise ValidationError(
                gettext("This application is %(status)s and cannot be submitted.")
                % {"status": application.get_status_display().lower()}
            )
        now = timezone.now()
        errors = submission_errors(application, user=actor, now=now)
        if errors:
            raise ValidationError(errors)
        mode, system = application.access_mode, application.system
        # submission_errors refuses an application without them, or without an open cut-off.
        assert mode is not None and system is not None
        counted_from = timezone.localdate(now)
        if mode.schedule == AccessMode.Schedule.CUTOFFS:
            cutoff = next_cutoff(mode, now)
            assert cutoff is not None
            application.cutoff = cutoff
            counted_from = timezone.localdate(cutoff.closes_at)
        # In the working days of the factory's country: never on one of its public holidays.
        application.expected_decision_by = add_working_days(
            counted_from, mode.decision_target_working_days, country=system.factory.country
        )
        application.submitted_at = now
        application_transition(
            application,
            to_status=ApplicationStatus.SUBMITTED,
            actor=actor,
            kind=ApplicationEvent.Kind.SUBMITTED,
            message="Application submitted.",
            fields=("submitted_at", "cutoff", "expected_decision_by"),
        )
        transaction.on_commit(lambda: _enqueue_routing(application.pk))
        _receipt_queue(application)
    return application


def _receipt_queue(application: Application) -> None:
    """The applicant's receipt: stored once (its key), sent after commit."""
    # No import cycle (review_services does not import this module); imported here so that the
    # applicant side does not depend on the review side at import time.
    from notifications.services import notification_queue

    applicant = application.applicant
    notification_queue(
        key=f"receipt:{application.pk}",
        recipient=applicant.email,
        recipient_name=applicant.get_full_name(),
        template="receipt",
        context={"application": application},
        application=application,
    )


def _enqueue_routing(application_id: int) -> None:
    """Hand the application to the routing worker. If the broker is down the application stays
    submitted, and the periodic sweep enqueues it later: nothing is lost."""
    enqueue(review_tasks.route_application, application_id)


@transaction.atomic
def application_withdraw(*, application: Application, actor: User) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status == ApplicationStatus.WITHDRAWN:
        return application
    if not can_transition(application.status, ApplicationStatus.WITHDRAWN):
        raise ValidationError(
            gettext("This application is already %(status)s: it can no longer be withdrawn.")
            % {"status": application.get_status_display().lower()}
        )
    application_transition(
        application,
        to_status=ApplicationStatus.WITHDRAWN,
        actor=actor,
        kind=ApplicationEvent.Kind.WITHDRAWN,
        message="Withdrawn by the applicant.",
    )
    return application
