"""The finder's ranking as a table: needs and systems in, the order and the reasons out. Pure:
no database (finder.ranking)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from finder.ranking import UNKNOWN, ModeOption, Needs, SystemFacts, rank

FAST = ModeOption(
    "fast-lane",
    "Fast Lane",
    max_gpu_hours=50_000,
    durations_months=(1, 2, 3),
    target_working_days=10,
    median_working_days=8.0,
    decided=12,
)
FAST_SLOW = ModeOption(
    "fast-lane",
    "Fast Lane",
    max_gpu_hours=50_000,
    durations_months=(1, 2, 3),
    target_working_days=10,
    median_working_days=14.0,
    decided=9,
)
FAST_NEW = ModeOption(
    "fast-lane",
    "Fast Lane",
    max_gpu_hours=50_000,
    durations_months=(1, 2, 3),
    target_working_days=10,
)
FAST_CLOSED = ModeOption(
    "fast-lane",
    "Fast Lane",
    reason="X has no active technical reviewer yet, so it cannot review applications.",
    target_working_days=10,
)
LARGE = ModeOption(
    "large-scale",
    "Large Scale",
    min_gpu_hours=50_001,
    durations_months=(3, 6, 12),
    target_working_days=60,
)


def system(slug: str, *modes: ModeOption, **facts) -> SystemFacts:
    values = {"factory_slug": f"{slug}-aif", "factory_name": f"{slug.upper()} AIF",
              "factory_country": "FI", "factory_country_name": "Finland",
              "accelerator": "AMD MI250X", "remaining_gpu_hours": 1_000_000,
              "capacity_gpu_hours": 1_000_000, **facts}  # fmt: skip
    return SystemFacts(slug=slug, name=slug.title(), modes=modes, **values)


A = system("alpha", FAST)
B = system("bravo", FAST, accelerator="NVIDIA H100")
C = system("charlie", FAST_CLOSED, accelerator="NVIDIA H100")
D = system("delta", FAST, remaining_gpu_hours=500)
E = system("echo", FAST, factory_country="DE", factory_country_name="Germany")
F = system("foxtrot", FAST, antennas=("AI Factory Antenna Belgium",))
G = system("golf", FAST_SLOW)
H = system("hotel", FAST, remaining_gpu_hours=None, capacity_gpu_hours=None)
I = system("india")  # noqa: E741  (no mode open to the applicant)
J = system("juliet", FAST, LARGE)
K = system("kilo", FAST, available_from=date(2031, 1, 1))
L = system("lima", FAST, accelerator="", accelerator_count=400, nodes=100)
M = system("mike", FAST_NEW)

STARTUP = Needs(org_type="startup", country="BE")

# (case, needs, systems, expected order of slugs)
ORDER = [
    ("alphabetical when nothing tells them apart", STARTUP, [M, A], ["alpha", "mike"]),
    ("one that can take it now before one that cannot, whatever its fit",
     Needs(org_type="startup", accelerator="H100"), [C, A], ["alpha", "charlie"]),
    ("the accelerator preferred first", Needs(org_type="startup", accelerator="h100"),
     [A, B], ["bravo", "alpha"]),
    ("too few GPU-hours left last among those that can take it",
     Needs(org_type="startup", gpu_hours=1000), [D, A], ["alpha", "delta"]),
    ("...but still before one that cannot take it", Needs(org_type="startup", gpu_hours=1000),
     [C, D], ["delta", "charlie"]),
    ("data that must stay in Germany", Needs(org_type="startup", data_country="DE"),
     [A, E], ["echo", "alpha"]),
    ("an antenna in the applicant's country", STARTUP, [A, F], ["foxtrot", "alpha"]),
    ("decisions within the promise before slower ones", STARTUP, [G, A], ["alpha", "golf"]),
    ("unknown capacity neither for nor against, known capacity in favour", STARTUP, [H, A],
     ["alpha", "hotel"]),
    ("no mode open last", STARTUP, [I, A], ["alpha", "india"]),
    ("a start before the system is ready counts against it",
     Needs(org_type="startup", start=date(2030, 6, 1)), [K, A], ["alpha", "kilo"]),
    ("cannot-take never above can-take even with every fit",
     Needs(org_type="startup", accelerator="H100", country="BE", data_country="FI"),
     [system("zulu", FAST_CLOSED, accelerator="H100", antennas=("X",)), D],
     ["delta", "zulu"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "needs", "systems", "expected"), ORDER, ids=[c[0] for c in ORDER])
def test_it_ranks(case, needs, systems, expected):
    assert [r.system.slug for r in rank(needs, systems)] == expected


def _texts(needs: Needs, facts: SystemFacts) -> dict[str, str]:
    return {r.topic: r.text for r in rank(needs, [facts])[0].reasons}


# (case, needs, system, topic, expected text or a part of it)
REASONS = [
    ("the mode that can take it", STARTUP, A, "mode", "Fast Lane: can take your application now."),
    ("the intake rule's reason when not", STARTUP, C, "mode",
     "cannot take applications now. X has no active technical reviewer yet"),
    ("capacity left against what is needed", Needs(org_type="startup", gpu_hours=1000), D,
     "capacity", "Only 500 GPU-hours left this year; you need 1,000."),
    ("capacity not published", STARTUP, H, "capacity", f"GPU-hours left this year: {UNKNOWN}."),
    ("median beside the promise", STARTUP, A, "decision",
     "Median 8 working days to a decision here; Fast Lane promises 10 working days."),
    ("too few decisions for a median", STARTUP, M, "decision",
     f"Median working days to a decision here: {UNKNOWN}"),
    ("accelerator not published", STARTUP, L, "accelerator", f"Accelerator: {UNKNOWN}."),
    ("accelerator not the one preferred", Needs(org_type="startup", accelerator="H100"), A,
     "accelerator", "AMD MI250X, not the H100 you prefer."),
    ("antenna named", STARTUP, F, "antenna", "AI Factory Antenna Belgium"),
    ("no antenna", STARTUP, A, "antenna", "No antenna in your country is linked to it."),
    ("GPU memory not published", Needs(org_type="startup", gpu_memory_gb=80), A, "memory",
     f"GPU memory: {UNKNOWN}."),
    ("frameworks not published", Needs(org_type="startup", frameworks="PyTorch"), A, "software",
     f"Frameworks and containers: {UNKNOWN}."),
    ("node-hours converted with GPUs per node", Needs(org_type="startup", node_hours=100), L,
     "capacity", "you need 400"),
    ("node-hours without GPUs per node", Needs(org_type="startup", node_hours=100), A, "size",
     f"GPUs per node: {UNKNOWN}"),
    ("data outside its country", Needs(org_type="startup", data_country="DE"), A, "data",
     "In Finland: your data must stay in DE."),
    ("Large Scale chosen for a big request", Needs(org_type="startup", gpu_hours=80_000), J,
     "mode", "Large Scale: can take your application now."),
    ("Fast Lane's bound said", Needs(org_type="startup", gpu_hours=80_000), A, "size",
     "Fast Lane awards at most 50,000 GPU-hours; you need 80,000."),
    ("duration outside the mode's", Needs(org_type="startup", duration_months=9), A, "duration",
     "Fast Lane runs for 1, 2, 3 months, not 9."),
    ("no mode open to the organisation type", Needs(org_type="academia"), I, "mode",
     "No access mode at India is open to academia / research."),
    ("a start before the system is ready", Needs(org_type="startup", start=date(2030, 6, 1)), K,
     "start", "Available from 1 January 2031, after your start on 1 June 2030."),
]  # fmt: skip


@pytest.mark.parametrize(("case", "needs", "facts", "topic", "text"), REASONS,
                         ids=[c[0] for c in REASONS])  # fmt: skip
def test_it_gives_reasons(case, needs, facts, topic, text):
    assert text in _texts(needs, facts)[topic]


def test_it_never_ranks_one_that_cannot_take_it_above_one_that_can():
    needs = Needs(org_type="startup", gpu_hours=1000, accelerator="H100", country="BE",
                  data_country="FI", model_parameters_billions=Decimal("7"))  # fmt: skip
    ranked = rank(needs, [C, D, I, A, B, E, F, G, H, K, L, M])
    flags = [r.can_take for r in ranked]
    assert flags == sorted(flags, reverse=True)
    assert {r.system.slug for r in ranked if not r.can_take} == {"charlie", "india"}
