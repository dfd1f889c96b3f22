"""Fixtures of the usage tests: an allocation at LUMI with its Slurm account (a done site
export), and the site keys."""

from __future__ import annotations

import pytest

from allocations.models import Allocation
from handoffs.models import HandOff, HandOffSettings
from handoffs.services import site_token_issue


@pytest.fixture
def allocation(approve, site_export) -> Allocation:
    """800 GPU-hours at LUMI, handed off as the Slurm account `aif-<application>`."""
    allocation = approve(800)
    HandOff.objects.filter(allocation=allocation).update(status="done")
    return allocation


@pytest.fixture
def account(allocation) -> str:
    return HandOff.objects.get(allocation=allocation).slurm_account


@pytest.fixture
def leonardo_allocation(site_y, allocation) -> Allocation:
    """An allocation of IT4LIA's, for the cross-factory refusals (a copy of the LUMI one moved
    to Leonardo, with its own hand-off)."""
    from applications.models import Application

    other = Application.objects.get(pk=allocation.application_id)
    other.pk = None
    other.title = "Leonardo copy"
    other.save()
    moved = Allocation.objects.get(pk=allocation.pk)
    moved.pk, moved.application, moved.system = None, other, site_y.system
    moved.save()
    HandOffSettings.objects.create(
        factory=site_y.factory, backend="site_export", slurm_cluster="leo"
    )
    HandOff.objects.create(
        allocation=moved, factory=site_y.factory, backend="site_export", status="done",
        slurm_account="aif-leo",
    )  # fmt: skip
    return moved


@pytest.fixture
def key(site_x) -> str:
    return site_token_issue(factory=site_x.factory, name="LUMI accounting")[1]
