"""The call form's lists in the application form (issue 11): resources per partition, milestones
and reviewers to exclude, each a formset the form replaces whole."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications.call_form_models import (
    EXCLUDED_REVIEWERS_MAX,
    MILESTONES_MAX,
    RESOURCE_LINES_MAX,
    ExcludedReviewer,
    Milestone,
    ResourceLine,
)
from factories.models import Partition, System
from portal.forms import BootstrapMixin


class PartitionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, partition: Partition) -> str:
        """Its name, and its own GPUs per node where they differ from the system's."""
        if partition.gpus_per_node:
            return gettext("%(name)s (%(n)s GPUs per node)") % {
                "name": partition.name,
                "n": partition.gpus_per_node,
            }
        return partition.name


class ResourceLineForm(BootstrapMixin, forms.ModelForm):
    """The resources on one partition of the draft's system (none recorded: the whole system)."""

    partition = PartitionChoiceField(
        queryset=Partition.objects.none(), required=False, label=_("partition")
    )

    class Meta:
        model = ResourceLine
        fields = [
            "partition",
            "node_hours",
            "gpu_hours",
            "parallel_jobs",
            "gpus_per_job",
            "memory_gb",
            "storage_tb",
            "checkpoint_hours",
        ]

    def __init__(self, *args: Any, system: System | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partition = self.fields["partition"]
        assert isinstance(partition, forms.ModelChoiceField)
        partition.queryset = (
            system.partitions.filter(is_open=True)
            if system is not None
            else Partition.objects.none()
        )
        partition.empty_label = _("The whole system")
        self._style()


class MilestoneForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "month", "hours"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ExcludedReviewerForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ExcludedReviewer
        fields = ["name", "email", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


def rows_formset(form: type[forms.BaseForm], most: int, extra: int = 1) -> Any:
    """A formset of a list the call form replaces whole: more than `most` is an error."""
    return forms.formset_factory(
        form, extra=extra, max_num=most, validate_max=True, absolute_max=most + 2, can_delete=True
    )


ResourceLineFormSet = rows_formset(ResourceLineForm, RESOURCE_LINES_MAX)
MilestoneFormSet = rows_formset(MilestoneForm, MILESTONES_MAX, extra=2)
ExcludedReviewerFormSet = rows_formset(ExcludedReviewerForm, EXCLUDED_REVIEWERS_MAX)


def formset_rows(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The rows a valid formset keeps: filled in and not marked for removal."""
    rows = []
    for form in formset.forms:
        values = {k: v for k, v in (form.cleaned_data or {}).items() if k != "DELETE"}
        if form.cleaned_data.get("DELETE") or all(v in (None, "") for v in values.values()):
            continue
        rows.append(values)
    return rows
