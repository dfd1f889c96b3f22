"""Filters of the catalogue, shared by the HTML list and the API. Bad values give a 400."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import AIFactory, Antenna, AntennaLink, System


class WholeNumberFilter(django_filters.NumberFilter):
    """A number filter that refuses fractions (`wave=1.5` must not match wave 1)."""

    field_class = forms.IntegerField


class FactoryFilter(django_filters.FilterSet):
    country = django_filters.ChoiceFilter(
        choices=lambda: list(countries), label=_("Country"), empty_label=_("Any country")
    )
    wave = WholeNumberFilter(min_value=1, label=_("Selection wave"))
    kind = django_filters.ChoiceFilter(
        field_name="systems__kind",
        choices=System.Kind.choices,
        label=_("System kind"),
        empty_label=_("Any kind"),
        distinct=True,
    )
    status = django_filters.ChoiceFilter(
        field_name="systems__status",
        choices=System.Status.choices,
        label=_("System status"),
        empty_label=_("Any status"),
        distinct=True,
    )
    accelerator = django_filters.CharFilter(
        field_name="systems__accelerator",
        lookup_expr="icontains",
        label=_("Accelerator"),
        max_length=100,
        distinct=True,
    )
    # An unknown antenna links to no factory: an empty list, as any filter that matches nothing
    # (the schema cannot list the slugs, which admins edit; a request it allows is answered).
    antenna = django_filters.CharFilter(
        method="linked_to_antenna", label=_("Antenna (slug)"), max_length=60
    )
    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=100)

    class Meta:
        model = AIFactory
        fields = ["country", "wave", "antenna", "kind", "status", "accelerator", "q"]

    def linked_to_antenna(
        self, queryset: QuerySet[AIFactory], name: str, value: str
    ) -> QuerySet[AIFactory]:
        """The factories the antenna links to by a solid or medium link (a weak one is no link)."""
        linked = AntennaLink.objects.filter(antenna__slug=value, confidence__in=AntennaLink.SHOWN)
        return queryset.filter(pk__in=linked.values("factory_id"))

    def search(self, queryset: QuerySet[AIFactory], name: str, value: str) -> QuerySet[AIFactory]:
        return queryset.filter(
            Q(name__icontains=value)
            | Q(short_name__icontains=value)
            | Q(city__icontains=value)
            | Q(host_entity__icontains=value)
        )


class SystemFilter(django_filters.FilterSet):
    factory = django_filters.CharFilter(field_name="factory__slug", label=_("Factory (slug)"))
    country = django_filters.ChoiceFilter(
        field_name="factory__country", choices=lambda: list(countries), label=_("Country")
    )
    kind = django_filters.ChoiceFilter(choices=System.Kind.choices)
    status = django_filters.ChoiceFilter(choices=System.Status.choices)
    origin = django_filters.ChoiceFilter(choices=System.Origin.choices)
    accelerator = django_filters.CharFilter(lookup_expr="icontains", max_length=100)

    class Meta:
        model = System
        fields = ["factory", "country", "kind", "status", "origin", "accelerator"]


class AntennaFilter(django_filters.FilterSet):
    country = django_filters.ChoiceFilter(
        choices=lambda: list(countries), label=_("Country"), empty_label=_("Any country")
    )
    factory = django_filters.CharFilter(
        method="linked_to_factory", label=_("Linked factory (slug)"), max_length=60
    )

    class Meta:
        model = Antenna
        fields = ["country", "factory"]

    def linked_to_factory(
        self, queryset: QuerySet[Antenna], name: str, value: str
    ) -> QuerySet[Antenna]:
        linked = AntennaLink.objects.filter(factory__slug=value, confidence__in=AntennaLink.SHOWN)
        return queryset.filter(pk__in=linked.values("antenna_id"))
