"""The usage part of an allocation's page: its chart, its reclaim notices, and the reclaim
forms its site's approver and its holders see (allocations.views and usage_views both use it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from allocations import selectors
from allocations.charts import monthly_usage, usage_chart
from allocations.forms import ReclaimAnswerForm, ReclaimDecisionForm, ReclaimNoticeForm
from allocations.models import Allocation, ReclaimNotice
from allocations.services.reclaim import unused_gpu_hours


def usage_context(
    allocation: Allocation,
    *,
    holder: bool,
    manager: bool,
    bound: dict[str, forms.Form] | None = None,
) -> dict[str, Any]:
    """`bound`: a form posted with errors, by its context name, shown in place of a new one."""
    bound = bound or {}
    today = timezone.localdate()
    notices = selectors.reclaim_notices_for(allocation)
    open_notice = next((n for n in notices if n.status == ReclaimNotice.Status.OPEN), None)
    context: dict[str, Any] = {
        "usage_chart": usage_chart(allocation, monthly=monthly_usage(allocation), today=today),
        "reclaim_notices": notices,
        "open_notice": open_notice,
        "unused_gpu_hours": unused_gpu_hours(allocation),
        "reclaim_form": None,
        "reclaim_answer_form": None,
        "reclaim_decision_form": None,
    }
    if manager and allocation.is_live and open_notice is None:
        context["reclaim_form"] = bound.get("reclaim_form") or ReclaimNoticeForm()
    if manager and open_notice is not None:
        context["reclaim_decision_form"] = (
            bound.get("reclaim_decision_form") or ReclaimDecisionForm()
        )
    if holder and open_notice is not None and open_notice.answered_at is None:
        context["reclaim_answer_form"] = bound.get("reclaim_answer_form") or ReclaimAnswerForm()
    return context
