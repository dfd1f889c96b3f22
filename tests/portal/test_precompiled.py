"""A precompiled query answers what its queryset answers, for any values put in."""

from __future__ import annotations

import pytest
from django.db.models import Count, F

from factories.models import AIFactory, System
from portal.precompiled import PrecompiledQuery

pytestmark = pytest.mark.django_db


def systems_of(slug: str):
    return (
        System.objects.filter(factory__slug=slug)
        .annotate(n_sources=Count("sources"), site=F("factory__name"))
        .order_by("pk")
        # Annotations before fields, out of declaration order: the names must follow.
        .values("n_sources", "slug", "site", "peak_pflops", "available_from")
    )


QUERY = PrecompiledQuery(systems_of, slug=str)


def test_it_gives_the_rows_the_queryset_gives_for_every_value(catalogue):
    for factory in AIFactory.objects.all():
        assert QUERY.dicts(slug=factory.slug) == list(systems_of(factory.slug))
    assert QUERY.dicts(slug="no-such-factory") == []


def test_it_builds_model_instances_with_annotations(catalogue):
    by_pk = PrecompiledQuery(
        lambda pk: AIFactory.objects.filter(pk=pk).annotate(n=Count("systems")), pk=int
    )
    factory = AIFactory.objects.order_by("pk").first()

    (found,) = by_pk.instances(AIFactory, pk=factory.pk)

    assert found == factory
    assert found.n == factory.systems.count()


def test_a_value_that_does_not_reach_the_parameters_is_refused(catalogue):
    unused = PrecompiledQuery(lambda slug: System.objects.all().values("slug"), slug=str)
    with pytest.raises(ValueError, match="slug did not reach"):
        unused.dicts(slug="lumi")
