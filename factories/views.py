"""Public catalogue pages. No login needed; cached for anonymous visitors (caching.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import charts, selectors
from .caching import cache_public_catalogue
from .filters import FactoryFilter
from .models import System


@cache_public_catalogue
def home(request: HttpRequest) -> HttpResponse:
    factories = list(selectors.factory_list().filter(wave=1))
    rows = selectors.factory_status_rows(factories)
    return render(
        request,
        "factories/home.html",
        {
            "factories": factories,
            "chart": charts.status_chart(rows),
            "status_legend": [
                (status or "unknown", label) for status, label in selectors.STATUS_ORDER
            ],
            "experimental_count": sum(
                1 for f in factories for s in f.systems.all() if s.kind == System.Kind.EXPERIMENTAL
            ),
        },
    )


@cache_public_catalogue
def factory_list(request: HttpRequest) -> HttpResponse:
    filterset = FactoryFilter(request.GET or None, queryset=selectors.factory_list())
    valid = filterset.is_valid() if request.GET else True
    factories = list(filterset.qs) if valid else []
    return render(
        request,
        "factories/factory_list.html",
        {
            "filter": filterset,
            "factories": factories,
            "countries": selectors.factory_countries(),
            "filtered": bool(request.GET),
        },
        status=200 if valid else 400,
    )


@cache_public_catalogue
def factory_detail(request: HttpRequest, slug: str) -> HttpResponse:
    factory = selectors.factory_get(slug=slug)
    return render(request, "factories/factory_detail.html", {"factory": factory})


@cache_public_catalogue
def system_detail(request: HttpRequest, slug: str) -> HttpResponse:
    system = selectors.system_get(slug=slug)
    return render(request, "factories/system_detail.html", {"system": system})
