"""The public statistics page: no login, the figures from the cache (selectors.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from portal_statistics import charts, selectors


@require_safe
def statistics_page(request: HttpRequest) -> HttpResponse:
    figures = selectors.public_statistics()
    return render(
        request,
        "stats/statistics.html",
        {
            "figures": figures,
            "days_chart": charts.days_chart(figures.modes),
            "capacity_chart": charts.capacity_chart(figures.capacity),
        },
    )
