"""Every write to organisations, access modes and applications goes through here."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from factories.models import System
from factories.reference import (
    LOAD_REASON,
    Entry,
    ReferenceDataError,
    ReferenceReport,
    model_values,
    reference_data_load,
)

from .models import (
    AccessMode,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Attachment,
    Cutoff,
    Membership,
    Organisation,
    OrganisationType,
    TeamMember,
    can_transition,
)
from .rules import next_cutoff, registration_number_error, submission_errors
from .workdays import add_working_days

DEFAULT_ACCESS_MODES_PATH = (
    Path(settings.BASE_DIR) / "access_requests" / "data" / "access_modes.json"
)

# Fields an applicant may set on a draft (the API and the form both use this list).
EDITABLE_FIELDS = (
    "organisation", "access_mode", "system", "title", "abstract", "ai_domain", "workload",
    "model_parameters_billions", "frameworks", "gpu_hours", "start_date", "duration_months",
    "data_sources", "data_licence", "personal_data", "gdpr_basis", "ai_act_risk",
)  # fmt: skip


class AccessModeDataError(ReferenceDataError):
    """The access modes file is malformed; the message says where."""


# --- Access modes ---------------------------------------------------------------------------------


MODE_FIELDS = (
    "name", "short_name", "family", "description", "eligible_org_types", "min_gpu_hours",
    "max_gpu_hours", "durations_months", "schedule", "decision_target_working_days",
    "review_steps", "technical_reviews", "scientific_reviews", "confidence_note", "sources",
)  # fmt: skip


def access_mode_entries(*, data: dict[str, Any]) -> list[Entry]:
    """The access modes of an access modes file and their cut-offs as reference entries (see
    factories.reference). Reads and writes nothing; raises AccessModeDataError naming the
    entry of the first malformed value it meets.

    A mode is created offered on every supercomputer of the catalogue (and Playground also on
    experimental platforms): admins then narrow it. Cut-offs are matched by mode and time."""
    modes = data.get("access_modes") if isinstance(data, dict) else None
    if not isinstance(modes, list) or not all(isinstance(raw, dict) for raw in modes):
        raise AccessModeDataError("expected an object with a list of objects under 'access_modes'.")
    try:
        tz = ZoneInfo(data.get("cutoff_timezone", "Europe/Brussels"))
    except (ValueError, TypeError, ZoneInfoNotFoundError) as exc:
        raise AccessModeDataError(f"cutoff_timezone: {exc}") from exc
    entries: list[Entry] = []
    for i, raw in enumerate(modes):
        where = f"access_modes[{i}] ({raw.get('slug', '?')})"
        slug = raw.get("slug")
        if not (isinstance(slug, str) and slug):
            raise AccessModeDataError(f"{where}: 'slug' is missing or empty.")
        try:
            values = model_values(raw, MODE_FIELDS, where, AccessMode)
        except ReferenceDataError as exc:
            raise AccessModeDataError(str(exc)) from exc
        mode = Entry(
            entity="access_mode",
            key=slug,
            where=where,
            model=AccessMode,
            lookup={"slug": slug},
            values=values,
            tracked=MODE_FIELDS,
            on_create=_access_mode_offer,
        )
        entries += [mode, *_cutoff_entries(raw, where, mode=mode, tz=tz)]
    return entries


def _cutoff_entries(raw: dict[str, Any], where: str, *, mode: Entry, tz: ZoneInfo) -> list[Entry]:
    entries = []
    for k, text in enumerate(raw.get("cutoffs") or []):
        try:
            closes_at = datetime.fromisoformat(text).replace(tzinfo=tz)
        except (TypeError, ValueError) as exc:
            raise AccessModeDataError(f"{where}: cut-off {text!r} is not a date.") from exc
        entries.append(
            Entry(
                entity="cutoff",
                key=f"{mode.key}:{closes_at.isoformat()}",
                where=f"{where}.cutoffs[{k}]",
                model=Cutoff,
                lookup={"access_mode": mode, "closes_at": closes_at},
                values={},
            )
        )
    return entries


def _access_mode_offer(mode: AccessMode) -> None:
    kinds = [System.Kind.SUPERCOMPUTER]
    if mode.slug == "playground":
        kinds.append(System.Kind.EXPERIMENTAL)
    mode.systems.set(System.objects.filter(kind__in=kinds))


def access_modes_load(*, data: dict[str, Any]) -> ReferenceReport:
    """Create the access modes and cut-offs of `data` that the database lacks, in one
    transaction; modes that exist are left as they are, their offers too
    (`reference_data_load`)."""
    return reference_data_load(entries=access_mode_entries(data=data), reason=LOAD_REASON)


def access_modes_read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AccessModeDataError(f"{path}: {exc}") from exc


# --- Organisations -------------------------------------------------------------------------------


@transaction.atomic
def organisation_create(
    *,
    user,
    legal_name: str,
    country: str,
    org_type: str,
    registration_number: str = "",
    sme_declared: bool = False,
    website: str = "",
) -> Organisation:
    """Create an organisation with `user` as its representative."""
    number, error = registration_number_error(country, registration_number or "")
    if error:
        raise ValidationError({"registration_number": [error]})
    if sme_declared and org_type not in (OrganisationType.SME, OrganisationType.STARTUP):
        raise ValidationError(
            {"sme_declared": ["Only SMEs and startups make an SME self-declaration."]}
        )
    organisation = Organisation(
        legal_name=legal_name.strip(),
        country=country,
        org_type=org_type,
        registration_number=number,
        sme_declared_on=timezone.localdate() if sme_declared else None,
        website=website,
    )
    organisation.full_clean()
    organisation.save()
    Membership.objects.create(
        user=user, organisation=organisation, role=Membership.Role.REPRESENTATIVE
    )
    return organisation


@transaction.atomic
def organisation_member_add(*, actor, organisation: Organisation, user, role: str) -> Membership:
    if not Membership.objects.filter(
        user=actor, organisation=organisation, role=Membership.Role.REPRESENTATIVE
    ).exists():
        raise ValidationError("Only a representative of the organisation can add members.")
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    return membership


# --- Applications --------------------------------------------------------------------------------


def _event(
    application: Application, *, actor, kind: str, from_status: str, message: str = "", **extra
) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=application.status,
        message=message,
        extra=extra,
    )


def _check_choices_belong_to_user(user, values: dict[str, Any]) -> None:
    organisation = values.get("organisation")
    if (
        organisation is not None
        and not Membership.objects.filter(user=user, organisation=organisation).exists()
    ):
        raise ValidationError({"organisation": ["You are not a member of this organisation."]})


def _apply_values(application: Application, values: dict[str, Any]) -> list[str]:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: ["This field cannot be set."] for f in sorted(unknown)})
    changed = []
    for field, value in values.items():
        if getattr(application, field) != value:
            setattr(application, field, value)
            changed.append(field)
    return changed


@transaction.atomic
def application_create(*, applicant, **values: Any) -> Application:
    """A new draft. Incomplete is fine; shapes are still validated."""
    _check_choices_belong_to_user(applicant, values)
    application = Application(applicant=applicant)
    _apply_values(application, values)
    application.full_clean()
    application.save()
    _event(
        application,
        actor=applicant,
        kind=ApplicationEvent.Kind.CREATED,
        from_status="",
        message="Draft created.",
    )
    return application


@transaction.atomic
def application_update(*, application: Application, actor, **values: Any) -> Application:
    """Change a draft. Refused once submitted. Writes an `edited` event naming the fields."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_editable:
        raise ValidationError(
            f"This application is {application.get_status_display().lower()}: "
            "only drafts can be edited."
        )
    _check_choices_belong_to_user(actor, values)
    changed = _apply_values(application, values)
    if not changed:
        return application
    application.full_clean()
    application.save()
    _event(
        application,
        actor=actor,
        kind=ApplicationEvent.Kind.EDITED,
        from_status=application.status,
        message="Draft saved.",
        fields=changed,
    )
    return application


@transaction.atomic
def team_members_set(*, application: Application, actor, members: list[dict[str, str]]) -> None:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_editable:
        raise ValidationError("Only drafts can be edited.")
    seen = set()
    rows = []
    for i, member in enumerate(members):
        row = TeamMember(application=application, **member)
        row.full_clean(exclude=["application"])
        if row.email.lower() in seen:
            raise ValidationError(
                {"team_members": [f"Member {i + 1}: {row.email} is listed twice."]}
            )
        seen.add(row.email.lower())
        rows.append(row)
    application.team_members.all().delete()
    TeamMember.objects.bulk_create(rows)
    _event(
        application,
        actor=actor,
        kind=ApplicationEvent.Kind.EDITED,
        from_status=application.status,
        message="Team updated.",
        fields=["team_members"],
    )


PDF_MAGIC = b"%PDF-"


def attachment_error(upload: UploadedFile) -> str | None:
    """Refuse anything that is not a PDF by content, or is over the size limit."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        return (
            f"{upload.name} is {upload.size / 1_048_576:.1f} MB: attachments may be at most "
            f"{limit // 1_048_576} MB."
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if PDF_MAGIC not in head[:1024] or not head.lstrip().startswith(PDF_MAGIC):
        return f"{upload.name} is not a PDF file (its content is not PDF, whatever its name)."
    return None


@transaction.atomic
def attachment_add(*, application: Application, actor, upload: UploadedFile) -> Attachment:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_editable:
        raise ValidationError("Only drafts can be edited.")
    error = attachment_error(upload)
    if error:
        raise ValidationError({"attachments": [error]})
    attachment = Attachment(
        application=application,
        token=secrets.token_hex(16),
        name=Path(upload.name or "attachment.pdf").name[:200],
        size=upload.size or 0,
        uploaded_by=actor,
    )
    attachment.file.save(f"{attachment.token}.pdf", upload, save=False)
    attachment.save()
    _event(
        application,
        actor=actor,
        kind=ApplicationEvent.Kind.EDITED,
        from_status=application.status,
        message=f"Attachment {attachment.name} added.",
        fields=["attachments"],
    )
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: Attachment, actor) -> None:
    application = Application.objects.select_for_update().get(pk=attachment.application_id)
    if not application.is_editable:
        raise ValidationError("Only drafts can be edited.")
    name = attachment.name
    attachment.file.delete(save=False)
    attachment.delete()
    _event(
        application,
        actor=actor,
        kind=ApplicationEvent.Kind.EDITED,
        from_status=application.status,
        message=f"Attachment {name} removed.",
        fields=["attachments"],
    )


def application_submit(*, application: Application, actor) -> Application:
    """Submit a draft: every rule checked, then one transition, one event, routing and the
    applicant's receipt on commit.

    Idempotent: a second call (double click, repeated API call) finds the application already
    submitted and returns it unchanged: still one submission and one event.
    """
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.status != ApplicationStatus.DRAFT:
            if application.submitted_at is not None and application.status != "withdrawn":
                return application
            raise ValidationError(
                f"This application is {application.get_status_display().lower()} and cannot be "
                "submitted."
            )
        now = timezone.now()
        errors = submission_errors(application, user=actor, now=now)
        if errors:
            raise ValidationError(errors)
        mode = application.access_mode
        counted_from = timezone.localdate(now)
        if mode.schedule == AccessMode.Schedule.CUTOFFS:
            application.cutoff = next_cutoff(mode, now)
            counted_from = timezone.localdate(application.cutoff.closes_at)
        application.expected_decision_by = add_working_days(
            counted_from, mode.decision_target_working_days
        )
        application.status = ApplicationStatus.SUBMITTED
        application.submitted_at = now
        application.save()
        _event(
            application,
            actor=actor,
            kind=ApplicationEvent.Kind.SUBMITTED,
            from_status=ApplicationStatus.DRAFT,
            message="Application submitted.",
        )
        transaction.on_commit(lambda: _enqueue_routing(application.pk))
        _receipt_queue(application)
    return application


def _receipt_queue(application: Application) -> None:
    """The applicant's receipt: stored once (its key), sent after commit."""
    # No import cycle (review_services does not import this module); imported here so that the
    # applicant side does not depend on the review side at import time.
    from .review_services import notification_queue

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
    import logging

    from .tasks import route_application

    try:
        route_application.delay(application_id)
    except Exception:  # broker down: the sweep will pick it up
        logging.getLogger(__name__).warning(
            "Could not enqueue routing of application %s; the sweep will retry.", application_id
        )


@transaction.atomic
def application_withdraw(*, application: Application, actor) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status == ApplicationStatus.WITHDRAWN:
        return application
    if not can_transition(application.status, ApplicationStatus.WITHDRAWN):
        raise ValidationError(
            f"This application is already {application.get_status_display().lower()}: it can "
            "no longer be withdrawn."
        )
    from_status = application.status
    application.status = ApplicationStatus.WITHDRAWN
    application.save()
    _event(
        application,
        actor=actor,
        kind=ApplicationEvent.Kind.WITHDRAWN,
        from_status=from_status,
        message="Withdrawn by the applicant.",
    )
    return application
