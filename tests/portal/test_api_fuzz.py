"""API fuzzing: schemathesis generates requests from /api/schema/ for every operation, as each
role, and checks every answer against the schema.

Checks (none loosened): no 5xx (`not_a_server_error`), every status code documented
(`status_code_conformance`), the documented content type (`content_type_conformance`), and the
body valid against the documented schema for its status (`response_schema_conformance`).

Each operation gets MAX_EXAMPLES cases, valid and invalid ones (schemathesis' positive and
negative modes), from a fixed seed with Hypothesis derandomized and without shrinking or an
example database: every run sends the same requests (but for the ids the database hands out).
A path's `id` or `slug` is, in about half of the cases, one of the objects built below, so that
submitting, withdrawing, reviewing and deciding reach the services rather than stopping at a 404;
the operations run in the schema's order, as one role, in one database, so earlier writes (a
withdrawal, a new draft) shape what later ones see.

The requests go in-process to the WSGI application, inside the test's transaction (rolled back
at the end). Django's `close_old_connections` request handlers are disconnected meanwhile: they
would close the test's connection after the first request (STACK-NOTES, "API fuzzing").

Run alone with `pytest -m fuzz`; the cases per role and the total are printed at the end.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.generation import GenerationMode, derive_operation_seed
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from applications import reference as applications_reference
from applications import services as applications_services
from applications.models import AccessMode, Application, ApplicationStatus
from factories.models import AIFactory, System
from organisations import services as organisations_services
from reviews import selectors as review_selectors
from reviews.models import Assignment, SiteRole
from reviews.services import assignments as assignment_services
from reviews.services import routing as routing_services
from tests.helpers import application_values
from tests.model_factories import SiteRoleFactory, UserFactory

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

ROLES = ("anonymous", "applicant", "reviewer", "approver", "staff")
MAX_EXAMPLES = 25
SEED = 20_261_125
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SCHEMA_URL = "/api/schema/"


# --- The world every role fuzzes --------------------------------------------------------------


def _with_mfa(user):
    """Staff and site roles must have TOTP, or every API call answers 403 mfa_required."""
    TOTP.activate(user, generate_totp_secret())
    return user


def _complete_values(organisation, lumi) -> dict[str, Any]:
    fast_lane = AccessMode.objects.get(slug="fast-lane")
    return application_values(organisation=organisation, access_mode=fast_lane, system=lumi)


@dataclass
class World:
    users: dict[str, Any]
    ids: list[int] = field(default_factory=list)
    slugs: list[str] = field(default_factory=list)


@pytest.fixture
def world(catalogue) -> World:
    """Applicant Alice (a startup) with a draft, a submitted application, one under review and
    one whose reviews are all in (Fast Lane: one technical review); at LUMI, technical reviewer
    Tess (one assignment pending, one done), scientific reviewer Sara, approver Paula; Sam is
    staff. Everyone but Alice has TOTP."""
    applications_reference.access_modes_load(
        data=applications_reference.access_modes_read(
            applications_reference.DEFAULT_ACCESS_MODES_PATH
        )
    )
    lumi = System.objects.get(slug="lumi")
    System.objects.filter(pk=lumi.pk).update(allocatable_gpu_hours_per_year=1_000_000)
    site = lumi.factory
    people = {}
    for key, email, role in [
        ("reviewer", "tess@csc.fi", SiteRole.Role.TECHNICAL),
        ("scientist", "sara@csc.fi", SiteRole.Role.SCIENTIFIC),
        ("approver", "paula@csc.fi", SiteRole.Role.APPROVER),
    ]:
        people[key] = _with_mfa(UserFactory(email=email))
        SiteRoleFactory(user=people[key], factory=site, role=role, expertise=["health"])
    staff = _with_mfa(UserFactory(email="sam@example.org", is_staff=True, is_superuser=True))

    alice = UserFactory(email="alice@example.org")
    organisation = organisations_services.organisation_create(
        user=alice, legal_name="Alice AI GmbH", country="DE", org_type="startup",
        registration_number="DE136695976", sme_declared=True,
    )  # fmt: skip
    values = _complete_values(organisation, lumi)
    applications_services.application_create(applicant=alice, **values)  # stays a draft
    submitted, under_review, reviewed = (
        applications_services.application_submit(
            application=applications_services.application_create(applicant=alice, **values),
            actor=alice,
        )
        for _ in range(3)
    )
    for application in (under_review, reviewed):
        routing_services.application_route(application_id=application.pk)
    for assignment in Assignment.objects.filter(application=reviewed).select_related("reviewer"):
        assignment_services.review_record(
            assignment=assignment, reviewer=assignment.reviewer,
            technical_feasibility=4, technical_feasibility_note="Runs on AMD GPUs already.",
            ai_innovation=3, ai_innovation_note="Sound and incremental.",
            team_readiness=5, team_readiness_note="They ran at this scale before.",
            resource_justification=4, resource_justification_note="Follows from benchmarks.",
            comment_for_applicant="A well-prepared application.", recommendation="approve",
        )  # fmt: skip
    # The world is what the docstring says, or the fuzzing would miss the paths it is for.
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert statuses[submitted.pk] == ApplicationStatus.SUBMITTED
    assert statuses[under_review.pk] == statuses[reviewed.pk] == ApplicationStatus.UNDER_REVIEW
    assert Assignment.objects.filter(
        application=under_review, reviewer=people["reviewer"], status=Assignment.Status.PENDING
    ).exists()
    assert review_selectors.reviews_complete(reviewed)

    ids = sorted({*statuses, *Assignment.objects.values_list("pk", flat=True)})
    slugs = sorted(
        {
            *AIFactory.objects.values_list("slug", flat=True),
            *System.objects.values_list("slug", flat=True),
        }
    )
    users = {"anonymous": None, "applicant": alice, "staff": staff, **people}
    return World(users=users, ids=ids, slugs=slugs)


# --- Running schemathesis in-process ------------------------------------------------------------


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The portal's WSGI application, callable in-process inside the test's transaction."""
    from portal.celery import app as celery_app
    from portal.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Thousands of expected 4xx would each log a warning.
    request_log = logging.getLogger("django.request")
    saved_level, saved_eager = request_log.level, celery_app.conf.task_always_eager
    request_log.setLevel(logging.ERROR)
    # Should a task be sent, it runs here rather than waiting in a real broker.
    celery_app.conf.task_always_eager = True
    try:
        yield application
    finally:
        celery_app.conf.task_always_eager = saved_eager
        request_log.setLevel(saved_level)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class RoleRun:
    """What one role's run did: cases per operation, answers per status code, and the distinct
    failures (the first example of each operation, check and status code)."""

    cases: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    failures: dict[tuple, str] = field(default_factory=dict)

    def record(self, label: str, status: int, group: FailureGroup | None) -> None:
        self.cases[label] += 1
        self.statuses[status] += 1
        for failure in group.exceptions if group else ():
            key = (label, failure.code, failure.title, status)
            self.failures.setdefault(key, str(group))

    def summary(self) -> str:
        classes = Counter(f"{status // 100}xx" for status in self.statuses.elements())
        answers = ", ".join(f"{n} {c}" for c, n in sorted(classes.items()))
        return f"{self.cases.total():5} cases over {len(self.cases)} operations ({answers})"

    def report(self, role: str) -> str:
        parts = [f"{len(self.failures)} distinct failure(s) as {role}:"]
        for (label, code, title, status), text in self.failures.items():
            parts.append(f"\n=== {label} -> {status}: {code} {title}\n{text}")
        return "\n".join(parts)


@pytest.fixture(scope="module")
def runs(request) -> Iterator[dict[str, RoleRun]]:
    """Each role's run, summed up once the module is done."""
    done: dict[str, RoleRun] = {}
    yield done
    if not done:
        return
    lines = [f"API fuzzing, {MAX_EXAMPLES} examples per operation (schemathesis, seed {SEED}):"]
    lines += [f"  {role:<10} {run.summary()}" for role, run in done.items()]
    lines.append(f"  {'total':<10} {sum(run.cases.total() for run in done.values()):5} cases")
    print_report(request.config, "\n".join(lines))


def print_report(config, text: str) -> None:
    """Print past pytest's output capture, so that it shows without `-s`."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or reporter is None:
        print(text)
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        reporter.write_line(text)


def known_objects(world: World):
    """A schema-local hook: half of the ids and slugs in paths name an object of the world."""

    def flatmap_path_parameters(context, path_parameters):
        for name, known in (("id", world.ids), ("slug", world.slugs)):
            if isinstance(path_parameters, dict) and name in path_parameters:
                return st.one_of(
                    st.just(path_parameters),
                    st.sampled_from(known).map(lambda v, n=name: {**path_parameters, n: v}),
                )
        return st.just(path_parameters)

    return flatmap_path_parameters


def _fuzz(operation, headers: dict[str, str] | None, run: RoleRun) -> None:
    """Send MAX_EXAMPLES cases, valid and invalid, to `operation`; check every answer."""
    strategy = st.one_of(
        operation.as_strategy(generation_mode=mode, headers=headers)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    )

    @hypothesis.seed(derive_operation_seed(SEED, operation.label))
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking
        suppress_health_check=list(hypothesis.HealthCheck),  # timing must not fail a run
    )
    @hypothesis.given(case=strategy)
    def fuzz(case) -> None:
        response = case.call()
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            run.record(operation.label, response.status_code, group)
        else:
            run.record(operation.label, response.status_code, None)

    fuzz()


@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_schema(role, world, wsgi_app, runs, record_property):
    user = world.users[role]
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"} if user else None
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, wsgi_app, config=schemathesis.Config())
    schema.hook(known_objects(world))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19, "the schema lost operations"

    runs[role] = run = RoleRun()
    for operation in operations:
        _fuzz(operation, headers, run)

    record_property("fuzz_cases", run.cases.total())
    if run.failures:
        pytest.fail(run.report(role), pytrace=False)
    assert run.statuses.total() == run.cases.total() >= len(operations) * MAX_EXAMPLES // 2
    if user is not None:  # the token works: no 401, and some requests succeed
        assert 401 not in run.statuses, run.statuses
        assert any(200 <= status < 300 for status in run.statuses), run.statuses
