"""The routing function as a table: pure, no database. Who may review, who is preferred, how the
load spreads, and what happens when a site cannot staff an application."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reviews.routing import ApplicationFacts, Candidate, exclusion_reason, route

ORG = 7
OTHER_ORG = 8

FACTS = ApplicationFacts(
    application_id=1,
    factory_id=3,
    organisation_id=ORG,
    ai_domain="health",
    applicant_user_id=100,
    applicant_email="alice@alice-ai.de",
    team_emails=frozenset({"bob@uni-heidelberg.de", "carla@gmail.com"}),
    needs={"technical": 1},
)


def candidate(user_id: int = 1, email: str = "rev@csc.fi", **fields) -> Candidate:
    return Candidate(user_id=user_id, email=email, kind=fields.pop("kind", "technical"), **fields)


# --- Who may not review ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "facts", "reason"),
    [
        pytest.param(candidate(), FACTS, None, id="unrelated reviewer"),
        pytest.param(
            candidate(organisation_ids=frozenset({ORG})),
            FACTS,
            "member of the applicant's organisation",
            id="member of the applicant's organisation",
        ),
        pytest.param(
            candidate(organisation_ids=frozenset({OTHER_ORG})),
            FACTS,
            None,
            id="member of another organisation",
        ),
        pytest.param(
            candidate(conflict_organisation_ids=frozenset({ORG})),
            FACTS,
            "declared a conflict of interest with the applicant's organisation",
            id="declared conflict",
        ),
        pytest.param(
            candidate(conflict_organisation_ids=frozenset({OTHER_ORG})),
            FACTS,
            None,
            id="conflict with another organisation",
        ),
        pytest.param(
            candidate(email="boss@alice-ai.de"),
            FACTS,
            "same email domain as the applicant or a team member (alice-ai.de)",
            id="applicant's email domain",
        ),
        pytest.param(
            candidate(email="Prof@Uni-Heidelberg.DE"),
            FACTS,
            "same email domain as the applicant or a team member (uni-heidelberg.de)",
            id="team member's email domain, any case",
        ),
        pytest.param(
            candidate(email="somebody@gmail.com"),
            FACTS,
            None,
            id="public webmail domain shared with a team member is ignored",
        ),
        pytest.param(
            candidate(email="reviewer@outlook.com"),
            replace(FACTS, applicant_email="alice@outlook.com"),
            None,
            id="public webmail domain shared with the applicant is ignored",
        ),
        pytest.param(
            candidate(email="carla@gmail.com"),
            FACTS,
            "is a member of the project team",
            id="team member's own address (even on webmail)",
        ),
        pytest.param(
            candidate(email="rev@alice-ai.de.example.org"),
            FACTS,
            None,
            id="a domain that merely contains the applicant's",
        ),
        pytest.param(candidate(user_id=100), FACTS, "is the applicant", id="the applicant"),
        pytest.param(
            candidate(user_id=5),
            replace(FACTS, excluded_user_ids=frozenset({5})),
            "already asked to review this application",
            id="already asked (declined or assigned)",
        ),
        pytest.param(
            candidate(open_assignments=3, max_open_assignments=3),
            FACTS,
            "at capacity (3 of 3 open assignments)",
            id="at capacity",
        ),
        pytest.param(
            candidate(open_assignments=2, max_open_assignments=3),
            FACTS,
            None,
            id="one below capacity",
        ),
        pytest.param(
            candidate(organisation_ids=frozenset({ORG})),
            replace(FACTS, organisation_id=None),
            None,
            id="application without organisation",
        ),
    ],
)
def test_it_excludes_conflicted_reviewers(who, facts, reason):
    assert exclusion_reason(facts, who) == reason

    result = route(facts, [who])
    if reason is None:
        assert [c.user_id for c in result.chosen] == [who.user_id]
        assert result.exclusions == []
    else:
        assert result.chosen == []
        assert [(e.user_id, e.reason) for e in result.exclusions] == [(who.user_id, reason)]


def test_it_records_every_candidate_and_every_exclusion():
    pool = [
        candidate(1, "a@alice-ai.de"),
        candidate(2, "b@csc.fi", conflict_organisation_ids=frozenset({ORG})),
        candidate(3, "c@csc.fi"),
    ]

    result = route(FACTS, pool)

    assert result.candidates == [1, 2, 3]
    assert [(e.user_id, e.kind) for e in result.exclusions] == [(1, "technical"), (2, "technical")]
    assert [c.user_id for c in result.chosen] == [3]
    assert result.staffed
    assert "c@csc.fi" in result.reason


# --- Who is preferred -----------------------------------------------------------------------------


def test_it_prefers_matching_expertise_over_a_lighter_load():
    pool = [
        candidate(1, "idle@csc.fi", open_assignments=0),
        candidate(2, "doctor@csc.fi", expertise=frozenset({"health"}), open_assignments=4),
    ]

    result = route(FACTS, pool)

    assert [(c.user_id, c.expertise_match) for c in result.chosen] == [(2, True)]
    assert "matching expertise" in result.reason


def test_it_routes_to_the_least_loaded_reviewer_when_expertise_is_equal():
    pool = [
        candidate(1, "busy@csc.fi", open_assignments=3),
        candidate(2, "free@csc.fi", open_assignments=1),
        candidate(3, "freer@csc.fi", open_assignments=0, expertise=frozenset({"climate"})),
    ]

    result = route(FACTS, pool)

    assert [(c.user_id, c.open_assignments) for c in result.chosen] == [(3, 0)]


def test_it_breaks_ties_by_the_lowest_user_id():
    pool = [candidate(9, "x@csc.fi"), candidate(4, "y@csc.fi"), candidate(6, "z@csc.fi")]

    assert [c.user_id for c in route(FACTS, pool).chosen] == [4]


def test_it_skips_a_matching_expert_at_capacity():
    pool = [
        candidate(1, "doctor@csc.fi", expertise=frozenset({"health"}), open_assignments=10),
        candidate(2, "generalist@csc.fi", open_assignments=9),
    ]

    result = route(FACTS, pool)

    assert [c.user_id for c in result.chosen] == [2]
    assert result.exclusions[0].reason.startswith("at capacity")


def test_it_spreads_100_applications_evenly_over_5_reviewers():
    loads = dict.fromkeys(range(1, 6), 0)

    for n in range(100):
        pool = [
            candidate(uid, f"r{uid}@csc.fi", open_assignments=load, max_open_assignments=1000)
            for uid, load in loads.items()
        ]
        result = route(replace(FACTS, application_id=n), pool)
        (choice,) = result.chosen
        loads[choice.user_id] += 1
        assert max(loads.values()) - min(loads.values()) <= 1, (n, loads)

    assert loads == dict.fromkeys(range(1, 6), 20)


def test_it_never_exceeds_a_reviewers_capacity_over_many_applications():
    loads = {1: 0, 2: 0}
    limits = {1: 2, 2: 3}
    shortfalls = 0

    for n in range(8):
        pool = [
            candidate(uid, f"r{uid}@csc.fi", open_assignments=loads[uid], max_open_assignments=cap)
            for uid, cap in limits.items()
        ]
        result = route(replace(FACTS, application_id=n), pool)
        for choice in result.chosen:
            loads[choice.user_id] += 1
        shortfalls += result.shortfall["technical"]

    assert loads == {1: 2, 2: 3}
    assert shortfalls == 3


# --- Several reviewers, never the same person twice -----------------------------------------------


def test_it_chooses_one_technical_and_two_scientific_reviewers():
    pool = [
        candidate(1, "t@csc.fi"),
        candidate(2, "s1@csc.fi", kind="scientific"),
        candidate(3, "s2@csc.fi", kind="scientific"),
        candidate(4, "s3@csc.fi", kind="scientific", open_assignments=2),
    ]

    result = route(replace(FACTS, needs={"technical": 1, "scientific": 2}), pool)

    assert [(c.kind, c.user_id) for c in result.chosen] == [
        ("technical", 1),
        ("scientific", 2),
        ("scientific", 3),
    ]
    assert result.shortfall == {"technical": 0, "scientific": 0}


def test_it_never_chooses_the_same_person_twice_for_one_application():
    # Robin holds both roles; a second scientific reviewer is missing.
    pool = [
        candidate(1, "robin@csc.fi", kind="technical"),
        candidate(1, "robin@csc.fi", kind="scientific", expertise=frozenset({"health"})),
        candidate(2, "sam@csc.fi", kind="scientific"),
    ]

    result = route(replace(FACTS, needs={"technical": 1, "scientific": 2}), pool)

    chosen = [c.user_id for c in result.chosen]
    assert sorted(chosen) == [1, 2]
    assert len(chosen) == len(set(chosen))
    assert result.shortfall == {"technical": 0, "scientific": 1}
    assert not result.staffed


def test_it_chooses_nobody_for_a_kind_the_mode_does_not_need():
    pool = [candidate(1, "t@csc.fi"), candidate(2, "s@csc.fi", kind="scientific")]

    result = route(FACTS, pool)

    assert [c.kind for c in result.chosen] == ["technical"]
    assert result.shortfall == {"technical": 0, "scientific": 0}


# --- Shortfall ------------------------------------------------------------------------------------


def test_it_reports_a_shortfall_with_a_reason_when_nobody_is_free():
    pool = [
        candidate(1, "full@csc.fi", open_assignments=10),
        candidate(2, "x@alice-ai.de"),
    ]

    result = route(replace(FACTS, needs={"technical": 1, "scientific": 2}), pool)

    assert result.chosen == []
    assert not result.staffed
    assert result.shortfall == {"technical": 1, "scientific": 2}
    assert result.reason == (
        "Not enough eligible reviewers at this site: missing 1 technical, 2 scientific reviewer(s)."
    )
    assert {e.user_id: e.reason.split(" (")[0] for e in result.exclusions} == {
        1: "at capacity",
        2: "same email domain as the applicant or a team member",
    }


def test_it_reports_a_shortfall_for_a_site_with_no_reviewers_at_all():
    result = route(FACTS, [])

    assert result.candidates == []
    assert result.shortfall == {"technical": 1, "scientific": 0}
    assert "missing 1 technical reviewer(s)" in result.reason


def test_it_has_nothing_to_do_when_nothing_is_needed():
    result = route(replace(FACTS, needs={}), [candidate()])

    assert result.chosen == []
    assert result.staffed
