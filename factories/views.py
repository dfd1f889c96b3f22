"""Public catalogue pages. No login needed; cached for anonymous visitors (caching.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from applications.intake import intakes_by_mode
from applications.mode_rules import mode_rules

from . import charts, selectors
from .caching import cache_public_catalogue
from .filters import FactoryFilter
from .models import System


@cache_public_catalogue
def home(request: HttpRequest) -> HttpResponse:
    factories = list(selectors.factory_list())
    rows = selectors.factory_status_rows(factories)
    return render(
        request,
        "factories/home.html",
        {
            "factories": factories,
            "waves": sorted({f.wave for f in factories}),
            "antenna_count": len(
                {
                    link.antenna_id
                    for f in factories
                    for link in getattr(f, "shown_antenna_links", [])
                }
            ),
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
    countries, waves = selectors.factory_filter_options()
    return render(
        request,
        "factories/factory_list.html",
        {
            "filter": filterset,
            "factories": factories,
            "countries": countries,
            "waves": waves,
            "antennas": selectors.antenna_options(),
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
    intakes = intakes_by_mode(system=system)
    return render(request, "factories/system_detail.html", {"system": system, "intakes": intakes})


@cache_public_catalogue
def antenna_list(request: HttpRequest) -> HttpResponse:
    antennas = list(selectors.antenna_list())
    return render(request, "factories/antenna_list.html", {"antennas": antennas})


@cache_public_catalogue
def antenna_detail(request: HttpRequest, slug: str) -> HttpResponse:
    antenna = selectors.antenna_get(slug=slug)
    return render(request, "factories/antenna_detail.html", {"antenna": antenna})


@cache_public_catalogue
def access_mode_list(request: HttpRequest) -> HttpResponse:
    modes = [
        (mode, mode_rules(mode, cutoffs=list(mode.cutoffs.all())))
        for mode in selectors.access_mode_list()
    ]
    return render(request, "factories/access_mode_list.html", {"modes": modes})


@cache_public_catalogue
def access_mode_detail(request: HttpRequest, slug: str) -> HttpResponse:
    mode = selectors.access_mode_get(slug=slug)
    rules = mode_rules(mode, cutoffs=list(mode.cutoffs.all()))
    return render(
        request,
        "factories/access_mode_detail.html",
        {"mode": mode, "rules": rules, "systems": list(mode.systems.all())},
    )
