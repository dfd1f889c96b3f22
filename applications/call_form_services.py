"""The services that write the call form's lists (applications.call_form has its rules): the
resources per partition, the milestones and the reviewers the applicant asks to exclude. Each
replaces its list whole or refuses it whole, with an `edited` event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from applications.call_form_models import (
    EXCLUDED_REVIEWERS_MAX,
    MILESTONES_MAX,
    RESOURCE_LINES_MAX,
    ExcludedReviewer,
    Milestone,
    ResourceLine,
)
from applications.models import Application, ApplicationEvent
from applications.services import event_record

if TYPE_CHECKING:
    from accounts.models import User


def _locked_draft(application: Application) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_editable:
        raise ValidationError(_("Only drafts can be edited."))
    return application


def _edited(application: Application, actor: User, message: str, field: str) -> None:
    event_record(
        application,
        actor=actor,
        kind=ApplicationEvent.Kind.EDITED,
        from_status=application.status,
        message=message,
        fields=[field],
    )


def _too_many(field: str, rows: list[Any], most: int) -> None:
    if len(rows) > most:
        raise ValidationError(
            {field: [_("At most %(most)s; you gave %(n)s.") % {"most": most, "n": len(rows)}]}
        )


def _rows(model: type, application: Application, field: str, rows: list[dict[str, Any]]) -> list:
    made = []
    for index, values in enumerate(rows, start=1):
        row = model(application=application, **values)
        try:
            row.full_clean(exclude=["application"], validate_unique=False)
        except ValidationError as exc:
            messages = [f"{index}: {m}" for m in exc.messages]
            raise ValidationError({field: messages}) from exc
        made.append(row)
    return made


def _replace(
    application: Application, model: type[models.Model], rows: list, fields: tuple[str, ...]
) -> bool:
    """Write `rows` in place of the application's rows of `model`, unless they are the same
    (saving a step again writes nothing). Returns whether anything changed."""
    existing = list(model._default_manager.filter(application=application).values_list(*fields))
    if existing == [tuple(getattr(row, f) for f in fields) for row in rows]:
        return False
    model._default_manager.filter(application=application).delete()
    model._default_manager.bulk_create(rows)
    return True


LINE_FIELDS = (
    "partition_id", "node_hours", "gpu_hours", "parallel_jobs", "gpus_per_job", "memory_gb",
    "storage_tb", "checkpoint_hours",
)  # fmt: skip


@transaction.atomic
def resource_lines_set(
    *, application: Application, actor: User, lines: list[dict[str, Any]]
) -> None:
    """Replace the draft's resources per partition. Each partition must be one of the
    application's system (as saved in this transaction); refused whole, else saved whole."""
    application = _locked_draft(application)
    _too_many("resource_lines", lines, RESOURCE_LINES_MAX)
    rows = _rows(ResourceLine, application, "resource_lines", lines)
    for index, row in enumerate(rows, start=1):
        if row.partition is not None and row.partition.system_id != application.system_id:
            raise ValidationError(
                {
                    "resource_lines": [
                        _("%(n)s: %(partition)s is not a partition of the system you chose.")
                        % {"n": index, "partition": row.partition}
                    ]
                }
            )
        if row.node_hours is None and row.gpu_hours is None:
            raise ValidationError(
                {"resource_lines": [_("%s: give its node-hours or GPU-hours.") % index]}
            )
    if _replace(application, ResourceLine, rows, LINE_FIELDS):
        _edited(application, actor, _("Resources per partition updated."), "resource_lines")


@transaction.atomic
def milestones_set(
    *, application: Application, actor: User, milestones: list[dict[str, Any]]
) -> None:
    application = _locked_draft(application)
    _too_many("milestones", milestones, MILESTONES_MAX)
    rows = _rows(Milestone, application, "milestones", milestones)
    if _replace(application, Milestone, rows, ("title", "month", "hours")):
        _edited(application, actor, _("Milestones updated."), "milestones")


@transaction.atomic
def excluded_reviewers_set(
    *, application: Application, actor: User, reviewers: list[dict[str, Any]]
) -> None:
    """Replace the reviewers the applicant asks to exclude (at most EXCLUDED_REVIEWERS_MAX);
    matched against the site's reviewers by email when the application is routed."""
    application = _locked_draft(application)
    _too_many("excluded_reviewers", reviewers, EXCLUDED_REVIEWERS_MAX)
    rows = _rows(ExcludedReviewer, application, "excluded_reviewers", reviewers)
    seen: set[str] = set()
    for row in rows:
        row.email = row.email.strip().lower()
        if row.email in seen:
            raise ValidationError({"excluded_reviewers": [_("%s is listed twice.") % row.email]})
        seen.add(row.email)
    if _replace(application, ExcludedReviewer, rows, ("name", "email", "reason")):
        _edited(application, actor, _("Excluded reviewers updated."), "excluded_reviewers")
