"""Reading sacct --parsable2: GPU-hours = gres/gpu count x elapsed; steps skipped."""

from __future__ import annotations

from decimal import Decimal

import pytest

from usage.sacct import SacctFormatError, gpu_count, read_sacct

HEADER = "JobID|Account|User|Start|End|ElapsedRaw|AllocTRES|State"


def test_it_counts_gpus_times_elapsed_hours():
    read = read_sacct([
        HEADER,
        "7|aif-1|alice|2026-12-01T10:00:00|2026-12-01T11:30:00|5400|billing=1,cpu=4,gres/gpu=2,node=1|COMPLETED",
    ])  # fmt: skip
    assert read.jobs["7"].gpu_hours == Decimal("3.0000")


def test_a_multi_node_job_is_counted_once_and_its_steps_skipped():
    read = read_sacct([
        HEADER,
        "8|aif-1|alice|2026-12-01T10:00:00|2026-12-01T11:00:00|3600|billing=16,cpu=16,gres/gpu=8,node=2|COMPLETED",
        "8.batch|aif-1||2026-12-01T10:00:00|2026-12-01T11:00:00|3600|cpu=8,gres/gpu=4,mem=1G,node=1|COMPLETED",
        "8.0|aif-1||2026-12-01T10:00:00|2026-12-01T11:00:00|3600|cpu=16,gres/gpu=8,node=2|COMPLETED",
        "8.extern|aif-1||2026-12-01T10:00:00|2026-12-01T11:00:00|3600|billing=16,cpu=16,gres/gpu=8,node=2|COMPLETED",
    ])  # fmt: skip
    assert list(read.jobs) == ["8"]
    assert read.jobs["8"].gpu_hours == Decimal("8.0000")
    assert read.steps == 3


def test_unfinished_jobs_and_jobs_without_gpus_are_not_counted():
    read = read_sacct([
        HEADER,
        "9|aif-1|alice|2026-12-01T10:00:00|Unknown|60|cpu=1,gres/gpu=1,node=1|RUNNING",
        "10|aif-1|alice|2026-12-01T10:00:00|2026-12-01T10:01:00|60|billing=1,cpu=1,node=1|COMPLETED",
    ])  # fmt: skip
    assert read.jobs == {}
    assert (read.unfinished, read.without_gpus) == (1, 1)


def test_typed_gpu_counts_are_summed_only_without_the_total():
    assert gpu_count("cpu=1,gres/gpu:a100=2,gres/gpu:h100=1") == 3
    assert gpu_count("cpu=1,gres/gpu=4,gres/gpu:h100=4") == 4


def test_elapsed_is_read_when_elapsedraw_is_absent():
    read = read_sacct([
        "JobID|Account|End|Elapsed|AllocTRES",
        "11|aif-1|2026-12-02T10:00:00|1-01:00:00|gres/gpu=1",
    ])  # fmt: skip
    assert read.jobs["11"].gpu_hours == Decimal("25.0000")


@pytest.mark.parametrize(
    "lines",
    [
        ["11|aif-1|2026-12-02T10:00:00|60|gres/gpu=1"],  # no header (sacct --noheader)
        ["JobID|Account|End", "11|aif-1|2026-12-02T10:00:00"],  # no AllocTRES, no elapsed
        [HEADER, "12|aif-1|x"],  # a truncated line
    ],
)
def test_it_refuses_what_is_not_sacct_parsable2_output(lines):
    with pytest.raises(SacctFormatError):
        read_sacct(lines)
