from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from factories.models import AIFactory, Source, System
from tests.model_factories import AIFactoryFactory, SourceFactory, SystemFactory

pytestmark = pytest.mark.django_db


def test_it_displays_a_factory_by_its_short_name():
    factory = AIFactoryFactory.build(name="LUMI AI Factory", short_name="LUMI AIF")

    assert factory.display_name == "LUMI AIF"
    assert str(factory) == "LUMI AIF"


def test_it_displays_a_factory_by_its_full_name_without_a_short_name():
    factory = AIFactoryFactory.build(name="LUMI AI Factory", short_name="")

    assert factory.display_name == "LUMI AI Factory"
    assert str(factory) == "LUMI AI Factory"


def test_it_lists_partners_one_per_line_skipping_blank_lines():
    factory = AIFactoryFactory.build(
        partners="  Czechia (IT4Innovations)\n\nDenmark  \n   \nNorway\n"
    )

    assert factory.partner_list == ["Czechia (IT4Innovations)", "Denmark", "Norway"]


def test_it_lists_no_partner_when_none_is_recorded():
    assert AIFactoryFactory.build(partners="").partner_list == []


def test_it_links_factories_and_systems_to_their_pages():
    system = SystemFactory(slug="lumi-ai", factory__slug="lumi-aif")

    assert system.factory.get_absolute_url() == "/factories/lumi-aif/"
    assert system.get_absolute_url() == "/systems/lumi-ai/"


@pytest.mark.parametrize(
    ("precision", "expected"),
    [
        (System.DatePrecision.DAY, "1 December 2023"),
        (System.DatePrecision.MONTH, "December 2023"),
        (System.DatePrecision.YEAR, "2023"),
    ],
)
def test_it_shows_the_availability_date_only_as_precisely_as_it_is_known(precision, expected):
    system = SystemFactory.build(
        available_from=date(2023, 12, 1), available_from_precision=precision
    )

    assert system.available_from_display == expected


def test_it_shows_no_availability_date_when_none_is_known():
    system = SystemFactory.build(available_from=None, available_from_precision="year")

    assert system.available_from_display == ""


def test_it_refuses_a_source_that_belongs_to_neither_a_factory_nor_a_system():
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(url="https://example.org/orphan")

    assert not Source.objects.exists()


def test_it_refuses_a_source_that_belongs_to_both_a_factory_and_a_system():
    system = SystemFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(factory=system.factory, system=system, url="https://example.org/both")

    assert not Source.objects.exists()


def test_it_accepts_a_source_of_a_factory_and_one_of_a_system():
    system = SystemFactory()

    SourceFactory(system=None, factory=system.factory, url="https://example.org/a")
    SourceFactory(system=system, url="https://example.org/a")

    assert system.factory.sources.count() == 1
    assert system.sources.count() == 1


def test_it_refuses_two_systems_of_the_same_name_in_one_factory():
    system = SystemFactory(name="LUMI")

    with pytest.raises(IntegrityError), transaction.atomic():
        SystemFactory(factory=system.factory, name="LUMI")

    assert list(System.objects.values_list("name", flat=True)) == ["LUMI"]


def test_it_allows_the_same_system_name_in_two_factories():
    SystemFactory(name="AI partition")
    SystemFactory(name="AI partition")

    assert System.objects.filter(name="AI partition").count() == 2
    assert AIFactory.objects.count() == 2


def test_it_refuses_an_unknown_system_status_in_the_database():
    system = SystemFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        System.objects.filter(pk=system.pk).update(status="bogus")

    system.refresh_from_db()
    assert system.status == System.Status.PLANNED


def test_it_keeps_a_history_of_each_change():
    system = SystemFactory(status=System.Status.PLANNED)

    system.status = System.Status.OPERATIONAL
    system.save()

    assert [h.status for h in system.history.all()] == ["operational", "planned"]
    assert [h.history_type for h in system.history.all()] == ["~", "+"]
