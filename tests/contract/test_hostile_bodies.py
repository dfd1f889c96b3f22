"""Generated hostile bodies at every write of the API (Hypothesis): each operation's own fields
filled with any JSON value (deep lists and objects, huge and negative numbers, floats, NUL and
other control characters, bidi overrides, line breaks, lone surrogates, very long text), unknown
fields, bodies that are not objects, raw bytes that are not JSON, bodies nested thousands of
levels. Whatever comes, no answer is a 5xx and every error has the documented JSON shape.

Each write runs as the role that reaches its service (the applicant for drafts and
organisations, the reviewer for assignments, the approver for decisions, staff for the rest),
on the objects of the fuzzing world, BODIES_PER_WRITE bodies each; the count of bodies and their
answers per status code are printed at the end.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import hypothesis
import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import strategies as st

from tests.portal.test_api_fuzz import World, print_report

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

BODIES_PER_WRITE = 40
HOSTILE_TEXT = [
    "\x00", "a\x00b", "\u202egnp.exe", "\u2066x\u2069", "line\r\nbreak", "\u2028", "\x1b[31m",
    "\ud800", "\udfff", "\x7f\x85\x9f", "' OR 1=1 --", "<script>alert(1)</script>", "../../x",
    "%00", "9" * 400, "x" * 6000, "", " ", "🧬" * 50, "null", "true", "1e400", "-1",
]  # fmt: skip
NUMBERS = [0, -1, 1, 2**31, 2**63, 10**30, -(10**30), 1e308, -1e-308, 0.5]
RAW = [
    b"", b"{", b"[]", b"null", b"1", b'"x"', b"\xff\xfe", b'{"a": NaN}', b"{'a': 1}",
    b"[" * 3000 + b"]" * 3000, b'{"a":' * 2000 + b"1" + b"}" * 2000,
]  # fmt: skip


def json_values() -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(10**40), max_value=10**40)
        | st.sampled_from(NUMBERS)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=40)
        | st.sampled_from(HOSTILE_TEXT)
        | st.dates().map(str)
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.text(max_size=8) | st.sampled_from(HOSTILE_TEXT), inner, max_size=4
            )
        ),
        max_leaves=12,
    )


def bodies(fields: list[str]) -> st.SearchStrategy[bytes]:
    keys = st.sampled_from(fields) if fields else st.text(max_size=8)
    objects = st.dictionaries(keys | st.sampled_from(HOSTILE_TEXT), json_values(), max_size=8)
    as_json = (objects | json_values()).map(lambda b: json.dumps(b).encode())
    return as_json | st.sampled_from(RAW)


def write_operations() -> list[tuple[str, str, list[str]]]:
    """(method, path, the fields of its request body) of every write in the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
            found.append((method, path, sorted(properties)))
    return found


def _role_for(path: str) -> str:
    if "/assignments/" in path:
        return "reviewer"
    if path.endswith("/decision/") or "/change-requests/{change_id}/" in path:
        return "approver"
    if "/site/" in path:
        return "staff"
    return "applicant"


def _fill(path: str, world: World, draw) -> str:
    return re.sub(r"\{[a-z_]+\}", lambda _: str(draw(st.sampled_from(world.ids))), path)


def test_no_generated_body_reaches_a_5xx(world: World, wsgi_app, request):
    operations = write_operations()
    assert len(operations) >= 9, "the schema lost write operations"
    clients = {}
    for role in ("applicant", "reviewer", "approver", "staff"):
        clients[role] = Client()
        clients[role].force_login(world.users[role])
    outcomes: Counter[int] = Counter()
    server_errors: list[str] = []

    for method, path, fields in operations:
        _throw(clients[_role_for(path)], method, path, fields, world, outcomes, server_errors)

    answers = ", ".join(f"{n} x {status}" for status, n in sorted(outcomes.items()))
    print_report(
        request.config,
        f"Hostile bodies: {outcomes.total()} thrown at {len(operations)} writes ({answers})",
    )
    assert not server_errors, "\n".join(server_errors[:20])
    assert outcomes.total() >= len(operations) * BODIES_PER_WRITE // 2


def _throw(client, method, path, fields, world, outcomes, server_errors) -> None:
    """BODIES_PER_WRITE generated bodies at one write; each answer counted and checked."""

    @hypothesis.settings(
        max_examples=BODIES_PER_WRITE,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(body=bodies(fields), data=st.data())
    def throw(body: bytes, data) -> None:
        url = _fill(path, world, data.draw)
        response = client.generic(method.upper(), url, body, content_type="application/json")
        outcomes[response.status_code] += 1
        if response.status_code >= 500:
            server_errors.append(f"{method.upper()} {url} {body[:200]!r}")
        elif response.status_code >= 400:
            payload = response.json()
            assert {"detail", "code"} <= set(payload), payload
            for messages in payload.get("errors", {}).values():
                assert isinstance(messages, list)
                assert all(isinstance(m, str) for m in messages)

    throw()
