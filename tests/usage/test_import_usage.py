"""manage.py import_usage: a sacct file counted against the factory's allocations by account;
a job seen by two imports counted once; the same file again changes nothing."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from allocations.models import Allocation
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db
HEADER = "JobID|Account|User|Start|End|ElapsedRaw|AllocTRES|State"


def sacct_file(tmp_path, name: str, *rows: str):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return str(path)


def job(job_id: str, account: str, gpus: int, seconds: int) -> str:
    return (
        f"{job_id}|{account}|alice|2026-12-10T10:00:00|2026-12-10T12:00:00|{seconds}|"
        f"billing=1,cpu=1,gres/gpu={gpus},node=1|COMPLETED"
    )


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_usage", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_counts_each_job_once_across_imports(tmp_path, allocation, account, lumi):
    first = sacct_file(tmp_path, "a.txt", job("1", account, 2, 3600), job("2", account, 4, 1800))
    second = sacct_file(tmp_path, "b.txt", job("2", account, 4, 1800), job("3", account, 1, 7200))

    out, _ = run(first, "--factory", lumi.factory.slug)
    assert "2 new" in out
    allocation.refresh_from_db()
    assert allocation.used_gpu_hours == Decimal("4.00")

    out, _ = run(second, "--factory", lumi.factory.slug)
    assert "1 new, 0 updated, 1 unchanged" in out
    allocation.refresh_from_db()
    assert allocation.used_gpu_hours == Decimal("6.00")
    assert UsageRecord.objects.count() == 3


def test_importing_the_same_file_again_changes_nothing(tmp_path, allocation, account, lumi):
    path = sacct_file(tmp_path, "a.txt", job("1", account, 2, 3600))
    run(path, "--factory", lumi.factory.slug)
    before = list(UsageRecord.objects.values())
    allocation.refresh_from_db()
    used = allocation.used_gpu_hours

    out, _ = run(path, "--factory", lumi.factory.slug)

    assert "0 new, 0 updated, 1 unchanged; " in out
    assert list(UsageRecord.objects.values()) == before
    allocation.refresh_from_db()
    assert allocation.used_gpu_hours == used


def test_jobs_of_unknown_accounts_are_reported_not_counted(tmp_path, allocation, account, lumi):
    path = sacct_file(tmp_path, "a.txt", job("1", account, 1, 3600), job("2", "stranger", 8, 3600))

    _, err = run(path, "--factory", lumi.factory.slug)

    assert "stranger (1)" in err
    assert UsageRecord.objects.count() == 1


def test_another_factorys_accounts_are_not_counted_here(
    tmp_path, allocation, leonardo_allocation, lumi
):
    path = sacct_file(tmp_path, "a.txt", job("1", "aif-leo", 1, 3600))

    _, err = run(path, "--factory", lumi.factory.slug)

    assert "aif-leo (1)" in err
    assert not UsageRecord.objects.exists()
    assert Allocation.objects.get(pk=leonardo_allocation.pk).used_gpu_hours == 0


def test_a_file_that_is_not_sacct_output_is_refused_with_nothing_saved(tmp_path, allocation, lumi):
    path = tmp_path / "bad.txt"
    path.write_text(f"1|{allocation.pk}|garbage\n")

    with pytest.raises(CommandError, match="header"):
        run(str(path), "--factory", lumi.factory.slug)
    with pytest.raises(CommandError, match="No AI Factory"):
        run(str(path), "--factory", "nowhere")
    assert not UsageRecord.objects.exists()


def test_a_job_whose_figures_changed_is_updated_not_added(tmp_path, allocation, account, lumi):
    run(sacct_file(tmp_path, "a.txt", job("1", account, 2, 3600)), "--factory", lumi.factory.slug)

    # sacct corrected the job (a requeue, a fixed elapsed time): the record follows.
    out, _ = run(
        sacct_file(tmp_path, "b.txt", job("1", account, 2, 7200)), "--factory", lumi.factory.slug
    )

    assert "0 new, 1 updated, 0 unchanged" in out
    assert UsageRecord.objects.get().gpu_hours == Decimal("4.0000")
    allocation.refresh_from_db()
    assert allocation.used_gpu_hours == Decimal("4.00")
