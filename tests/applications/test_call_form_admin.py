"""Admins edit what the call form reads: a system's GPUs per node and its partitions (catalogue
data), and what each access mode's form asks."""

from __future__ import annotations

import pytest

from factories.models import Partition, System

pytestmark = pytest.mark.django_db


def test_the_system_admin_offers_gpus_per_node_and_partitions(client, sam, catalogue):
    jupiter = System.objects.get(slug="jupiter")
    Partition.objects.create(system=jupiter, name="Booster", gpus_per_node=4)
    client.force_login(sam)

    html = client.get(f"/admin/factories/system/{jupiter.pk}/change/").content.decode()

    assert 'name="gpus_per_node"' in html
    assert 'name="partitions-0-name"' in html and 'value="Booster"' in html


def test_the_catalogue_states_jupiters_gpus_per_node_and_nothing_else(catalogue):
    """Only the figure the reference data gives; every other system stays unknown."""
    known = dict(System.objects.exclude(gpus_per_node=None).values_list("slug", "gpus_per_node"))

    assert known == {"jupiter": 4}


def test_the_access_mode_admin_offers_the_call_form_rules(client, sam, modes):
    client.force_login(sam)
    science = modes["ai-for-science"]

    html = client.get(f"/admin/applications/accessmode/{science.pk}/change/").content.decode()

    for name in ("resource_unit", "requires_partition_resources", "requires_milestones",
                 "requires_ethics_self_assessment", "requires_pi_contract",
                 "requires_fcfs_consent"):  # fmt: skip
        assert f'name="{name}"' in html
    assert (science.resource_unit, science.requires_pi_contract) == ("node_hours", True)
    assert not modes["fast-lane"].requires_fcfs_consent
