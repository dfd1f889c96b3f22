"""Usage from a REAL Slurm: the site export's commands create the allocation's account with its
GPU-minute limit in slurmdbd, jobs run under that account on a node with (fake) GPUs, and
import_usage reads them back from sacct. Skipped, with the reason, where Slurm cannot run."""

from __future__ import annotations

import os
import shlex
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from handoffs.models import HandOff
from tests.usage.slurm_cluster import CLUSTER, slurm_cluster, why_not
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db
FORMAT = "--format=JobID,Account,User,Start,End,ElapsedRaw,AllocTRES,State"
SETUP_TIMES: list[float] = []


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = why_not()
    if reason and os.environ.get("PORTAL_REQUIRE_SLURM_TEST"):
        pytest.fail(f"PORTAL_REQUIRE_SLURM_TEST is set (.ci/run) but Slurm cannot run: {reason}")
    if reason:
        pytest.skip(f"no real Slurm here: {reason}")
    with slurm_cluster(tmp_path_factory.mktemp("slurm")) as running:
        SETUP_TIMES.append(running.started_in)
        yield running


def import_file(path, factory_slug: str) -> str:
    out = StringIO()
    call_command(
        "import_usage", str(path), "--factory", factory_slug, "--cluster", CLUSTER, stdout=out
    )
    return out.getvalue()


def test_jobs_under_the_allocations_account_are_read_back_from_sacct(
    cluster, approve, site_export, lumi, tmp_path
):
    site_export.slurm_cluster = CLUSTER
    site_export.save()
    allocation = approve(800)
    handoff = HandOff.objects.get(allocation=allocation)
    account = handoff.slurm_account

    # The site applies the export as it is served.
    for command in handoff.export["slurm_commands"]:
        cluster.run(*shlex.split(command))
    limits = cluster.run(
        "sacctmgr", "-n", "-P", "show", "assoc", f"account={account}", "format=GrpTRESMins"
    )
    assert "gres/gpu=48000" in limits.split()
    cluster.run("sacctmgr", "-i", "add", "user", "root", f"Account={account}", f"Cluster={CLUSTER}")

    jobs = {cluster.sbatch(account, 2, 3): 2, cluster.sbatch(account, 1, 1): 1}
    cluster.wait_jobs_done(list(jobs))
    first = tmp_path / "sacct-1.txt"
    first.write_text(cluster.sacct(account, list(jobs), FORMAT))
    assert ".batch|" in first.read_text()  # steps are in the file, and must not count

    out = import_file(first, lumi.factory.slug)

    assert "2 new" in out
    elapsed = dict(
        line.split("|")
        for line in cluster.run(
            "sacct", "-n", "-P", "-X", "-j", ",".join(jobs), "--format=JobID,ElapsedRaw"
        ).split()
    )
    expected = {job: Decimal(gpus * int(elapsed[job])) / 3600 for job, gpus in jobs.items()}
    stored = dict(UsageRecord.objects.values_list("key", "gpu_hours"))
    assert stored == {
        f"{CLUSTER}:{job}": hours.quantize(Decimal("0.0001")) for job, hours in expected.items()
    }
    allocation.refresh_from_db()
    assert allocation.used_gpu_hours == sum(stored.values()).quantize(Decimal("0.01"))

    # A later import sees the same jobs and one more: only the new one counts.
    jobs[cluster.sbatch(account, 4, 1)] = 4
    cluster.wait_jobs_done(list(jobs))
    second = tmp_path / "sacct-2.txt"
    second.write_text(cluster.sacct(account, list(jobs), FORMAT))
    assert "1 new, 0 updated, 2 unchanged" in import_file(second, lumi.factory.slug)
    assert "0 new, 0 updated, 3 unchanged" in import_file(second, lumi.factory.slug)
    assert UsageRecord.objects.count() == 3


def test_the_slurm_setup_time_is_reported(cluster):
    (seconds,) = SETUP_TIMES
    print(f"\nSlurm set-up (munged, slurmdbd on MariaDB, slurmctld, an idle node): {seconds:.1f} s")
    assert seconds < 120
