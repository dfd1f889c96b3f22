"""The API contract under every schemathesis check (`--checks all`): besides no 5xx, documented
status codes, content types and bodies, also `positive_data_acceptance` (what the schema allows is
not refused with a 400: every bound the server enforces is in the schema, a well-formed request
refused by a rule answers 409), `negative_data_rejection` (what the schema forbids is refused),
`missing_required_header`, `unsupported_method`, `allow_header_conformance`, `ignored_auth` and
the stateful ones.

The same world, roles and in-process WSGI calls as tests/portal/test_api_fuzz.py, with
CONTRACT_EXAMPLES cases per operation (positive and negative), a fixed seed and no shrinking:
about a minute and a half for the five roles. The gate before a release is the CLI against a
running portal (README, "API contract"), which adds the coverage and stateful phases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import CHECKS
from schemathesis.errors import FailureGroup
from schemathesis.generation import GenerationMode, derive_operation_seed
from schemathesis.specs.openapi import checks as _openapi_checks  # noqa: F401  # registers them

from tests.portal.test_api_fuzz import ROLES, SCHEMA_URL, RoleRun, World, known_objects

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

CONTRACT_EXAMPLES = 12
SEED = 20_261_202


def all_checks() -> list[Callable[..., Any]]:
    return list(CHECKS.get_all())


def _run(operation, headers: dict[str, str] | None, run: RoleRun, checks) -> None:
    strategy = st.one_of(
        operation.as_strategy(generation_mode=mode, headers=headers)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    )

    @hypothesis.seed(derive_operation_seed(SEED, operation.label))
    @hypothesis.settings(
        max_examples=CONTRACT_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=strategy)
    def contract(case) -> None:
        response = case.call()
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            run.record(operation.label, response.status_code, group)
        else:
            run.record(operation.label, response.status_code, None)

    contract()


def test_every_check_is_run():
    names = {check.__name__ for check in all_checks()}
    assert {"positive_data_acceptance", "negative_data_rejection", "ignored_auth"} <= names
    assert len(names) >= 14


@pytest.mark.parametrize("role", ROLES)
def test_api_holds_every_schemathesis_check(role, world: World, wsgi_app, runs, record_property):
    user = world.users[role]
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"} if user else None
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, wsgi_app, config=schemathesis.Config())
    schema.hook(known_objects(world))
    operations = [result.ok() for result in schema.get_all_operations()]
    checks = all_checks()

    runs[f"{role}*"] = run = RoleRun()
    for operation in operations:
        _run(operation, headers, run, checks)

    record_property("contract_cases", run.cases.total())
    if run.failures:
        pytest.fail(run.report(role), pytrace=False)
    assert run.cases.total() >= len(operations) * CONTRACT_EXAMPLES // 2
