"""The real call form (issue 11, point 5): GPU-hours and node-hours converted per system, the rules
of its parts (checked with the other submission rules, in the review step and the API), and the
services that write its lists: resources per partition, milestones, excluded reviewers.

A conversion needs the GPUs per node of the partition or of the system (catalogue data); where
they are not published the conversion says so and converts nothing."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from applications.call_form_models import (
    ETHICS_HEADINGS,
    PI_CONTRACT_MARGIN_MONTHS,
    Milestone,
    ResourceLine,
    ResourceUnit,
)
from factories.models import Partition, System

if TYPE_CHECKING:
    from applications.models import Application

Errors = dict[str, list[str]]


# --- Conversions ---------------------------------------------------------------------------------


def gpus_per_node(system: System | None, partition: Partition | None = None) -> int | None:
    """The GPUs per node that convert hours on `partition` (else the whole `system`)."""
    if partition is not None and partition.gpus_per_node:
        return partition.gpus_per_node
    return system.gpus_per_node if system is not None else None


def _grouped(value: int) -> str:
    """A count of hours with the language's thousands separator."""
    return number_format(value, force_grouping=True)


@dataclass(frozen=True)
class Hours:
    """One amount both ways; None where it cannot be converted (GPUs per node not published)."""

    gpu_hours: int | None
    node_hours: int | None
    gpus_per_node: int | None

    @property
    def text(self) -> str:
        if self.gpus_per_node is None:
            return _("GPUs per node not published: no conversion")
        gpu = _grouped(self.gpu_hours) if self.gpu_hours is not None else "?"
        node = _grouped(self.node_hours) if self.node_hours is not None else "?"
        return _("%(gpu)s GPU-hours = %(node)s node-hours (%(n)s GPUs per node)") % {
            "gpu": gpu,
            "node": node,
            "n": self.gpus_per_node,
        }


def hours_both_ways(
    *, gpu_hours: int | None, node_hours: int | None, per_node: int | None
) -> Hours:
    """The amount typed in one unit (or both), with the other converted when it can be."""
    if per_node:
        if gpu_hours is None and node_hours is not None:
            gpu_hours = node_hours * per_node
        elif node_hours is None and gpu_hours is not None:
            node_hours = -(-gpu_hours // per_node)  # a started node-hour counts whole
    return Hours(gpu_hours=gpu_hours, node_hours=node_hours, gpus_per_node=per_node)


def line_hours(line: ResourceLine, system: System | None) -> Hours:
    return hours_both_ways(
        gpu_hours=line.gpu_hours,
        node_hours=line.node_hours,
        per_node=gpus_per_node(system, line.partition),
    )


def request_hours(application: Application) -> Hours:
    """The application's GPU-hours, also as node-hours on its system."""
    return hours_both_ways(
        gpu_hours=application.gpu_hours,
        node_hours=None,
        per_node=gpus_per_node(application.system),
    )


def allocation_end(start: date, months: int) -> date:
    """The last day of an allocation of `months` from `start`."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date.fromordinal(date(year, month, day).toordinal() - 1)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Rules ---------------------------------------------------------------------------------------


def call_form_errors(application: Application) -> Errors:
    """Every broken rule of the call form's parts, by field (the field names the step)."""
    errors: Errors = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    mode = application.access_mode
    lines = list(application.resource_lines.select_related("partition__system"))
    milestones = list(application.milestones.all())
    if mode is not None:
        _required_parts(application, lines, milestones, add)
    _line_errors(application, lines, add)
    _milestone_errors(application, lines, milestones, add)
    return errors


def _required_parts(application: Application, lines: list, milestones: list, add: Any) -> None:
    mode = application.access_mode
    assert mode is not None
    if mode.requires_partition_resources and not lines:
        add(
            "resource_lines",
            _("%(mode)s asks for your resources per partition: add at least one.")
            % {"mode": mode.short_name},
        )
    if mode.requires_milestones and not milestones:
        add(
            "milestones",
            _("%(mode)s asks for milestones whose hours add up to your request: add them.")
            % {"mode": mode.short_name},
        )
    if mode.requires_ethics_self_assessment:
        for field, heading in ETHICS_HEADINGS:
            if not getattr(application, field).strip():
                add(
                    field,
                    _("Answer the ethics self-assessment on “%(heading)s”.") % {"heading": heading},
                )
    if mode.requires_fcfs_consent and not application.fcfs_consent:
        add(
            "fcfs_consent",
            _("%(mode)s asks you to accept that resources are given first come, first served.")
            % {"mode": mode.short_name},
        )
    if mode.requires_pi_contract:
        _pi_contract_errors(application, add)


def _pi_contract_errors(application: Application, add: Any) -> None:
    if application.pi_contract_permanent:
        return
    end = application.pi_contract_end
    if end is None:
        add(
            "pi_contract_end",
            _("Give the end of the PI's employment contract, or say it is permanent."),
        )
        return
    if application.start_date is None or application.duration_months is None:
        return  # said on the start date and duration already
    last_day = allocation_end(application.start_date, application.duration_months)
    needed = add_months(last_day, PI_CONTRACT_MARGIN_MONTHS)
    if end <= needed:
        add(
            "pi_contract_end",
            _(
                "The PI's contract must be valid for more than %(m)s months after the "
                "allocation ends on %(last)s, so beyond %(needed)s; it ends on %(end)s."
            )
            % {
                "m": PI_CONTRACT_MARGIN_MONTHS,
                "last": date_format(last_day, "j F Y"),
                "needed": date_format(needed, "j F Y"),
                "end": date_format(end, "j F Y"),
            },
        )


# What a partition line must say where the mode asks for resources per partition.
LINE_DETAILS = ("parallel_jobs", "gpus_per_job", "memory_gb", "storage_tb", "checkpoint_hours")


def _label(name: str) -> str:
    field = ResourceLine._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.verbose_name)


def _line_name(index: int, line: ResourceLine) -> str:
    where = line.partition.name if line.partition else _("whole system")
    return _("Partition line %(n)s (%(where)s)") % {"n": index, "where": where}


def _line_errors(application: Application, lines: list[ResourceLine], add: Any) -> None:
    system, mode = application.system, application.access_mode
    unit = mode.resource_unit if mode else None
    total = 0
    known = True
    for index, line in enumerate(lines, start=1):
        name = _line_name(index, line)
        if line.partition is not None and line.partition.system_id != application.system_id:
            add(
                "resource_lines",
                _("%(line)s: %(partition)s is not a partition of the system you chose.")
                % {"line": name, "partition": line.partition},
            )
            known = False
            continue
        if unit == ResourceUnit.NODE_HOURS and line.node_hours is None:
            add("resource_lines", _("%(line)s: give its node-hours.") % {"line": name})
        if unit == ResourceUnit.GPU_HOURS and line.gpu_hours is None:
            add("resource_lines", _("%(line)s: give its GPU-hours.") % {"line": name})
        if mode is not None and mode.requires_partition_resources:
            missing = [_label(f) for f in LINE_DETAILS if getattr(line, f) is None]
            if missing:
                add("resource_lines", _("%(line)s: give %(what)s.") % {
                    "line": name, "what": ", ".join(missing)
                })  # fmt: skip
        hours = line_hours(line, system)
        if (
            line.gpu_hours is not None
            and line.node_hours is not None
            and hours.gpus_per_node
            and line.gpu_hours != line.node_hours * hours.gpus_per_node
        ):
            add(
                "resource_lines",
                _(
                    "%(line)s: %(node)s node-hours at %(n)s GPUs per node are %(gpu)s "
                    "GPU-hours, not %(typed)s."
                )
                % {
                    "line": name,
                    "node": _grouped(line.node_hours),
                    "n": hours.gpus_per_node,
                    "gpu": _grouped(line.node_hours * hours.gpus_per_node),
                    "typed": _grouped(line.gpu_hours),
                },
            )
        if hours.gpu_hours is None:
            known = False
            if line.node_hours is not None:
                add(
                    "resource_lines",
                    _(
                        "%(line)s: the GPUs per node are not published, so the node-hours cannot "
                        "be converted: give its GPU-hours too."
                    )
                    % {"line": name},
                )
        else:
            total += hours.gpu_hours
    if lines and known and application.gpu_hours is not None and total != application.gpu_hours:
        add(
            "resource_lines",
            _(
                "Your partitions add up to %(total)s GPU-hours, but you ask for %(asked)s "
                "GPU-hours in all: make them equal."
            )
            % {"total": _grouped(total), "asked": _grouped(application.gpu_hours)},
        )


def request_in_unit(application: Application, lines: list[ResourceLine]) -> int | None:
    """The whole request in the mode's unit: GPU-hours, or the partitions' node-hours."""
    mode = application.access_mode
    if mode is not None and mode.resource_unit == ResourceUnit.NODE_HOURS:
        node_hours = [line_hours(line, application.system).node_hours for line in lines]
        if not lines or None in node_hours:
            return None
        return sum(h for h in node_hours if h is not None)
    return application.gpu_hours


def _milestone_errors(
    application: Application, lines: list[ResourceLine], milestones: list[Milestone], add: Any
) -> None:
    if not milestones:
        return
    months = application.duration_months
    for milestone in milestones:
        if months is not None and milestone.month > months:
            add(
                "milestones",
                _("“%(title)s” is due in month %(month)s, after the allocation's %(months)s.")
                % {"title": milestone.title, "month": milestone.month, "months": months},
            )
    mode = application.access_mode
    unit = ResourceUnit(mode.resource_unit).label if mode else ResourceUnit.GPU_HOURS.label
    wanted = request_in_unit(application, lines)
    total = sum(m.hours for m in milestones)
    if wanted is not None and total != wanted:
        add(
            "milestones",
            _("Your milestones add up to %(total)s %(unit)s; you ask for %(wanted)s %(unit)s.")
            % {"total": _grouped(total), "wanted": _grouped(wanted), "unit": unit},
        )
