"""On PostgreSQL a query that runs again and again is planned once per connection: its
parameters travel apart from its SQL (server-side binding), so every user's list is the same
statement, and psycopg prepares it after `DATABASE_PREPARE_THRESHOLD` runs (portal/settings.py).
"""

from __future__ import annotations

import pytest
from django.db import connection

from applications.models import Application
from tests.portal.test_settings import _settings

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def _prepared(fragment: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall() if fragment in row[0]]


@postgresql_only
def test_a_list_query_is_prepared_once_for_every_user_after_a_few_runs():
    # A query only the test runs: its text names a column list nobody else selects.
    def run(pk: int) -> None:
        list(Application.objects.filter(pk=pk, gpu_hours__gte=0).values_list("title", "gpu_hours"))

    for pk in range(1, 4):
        run(pk)
    assert _prepared('"applications_application"."gpu_hours" >=') == []  # not yet: 3 runs

    for pk in range(4, 10):  # other users' values: the same statement
        run(pk)
    statements = _prepared('"applications_application"."gpu_hours" >=')
    assert len(statements) == 1
    assert "$1" in statements[0]  # the values are parameters, not part of the SQL


@postgresql_only
def test_answers_are_the_same_with_and_without_prepared_statements():
    # The same rows whether the statement has been prepared or not (runs 1 to 8).
    answers = [
        list(Application.objects.filter(gpu_hours__gte=n % 2).values_list("pk")) for n in range(8)
    ]
    assert all(answer == answers[1] for answer in answers[1::2])
    assert all(answer == answers[0] for answer in answers[0::2])


def test_prepared_statements_are_on_by_default_and_can_be_turned_off():
    url = "postgres://portal:secret@db.example.eu:5432/portal"
    default = _settings(DATABASE_URL=url)
    assert default["SERVER_SIDE_BINDING"] is True
    assert default["PREPARE_THRESHOLD"] == 5

    # Behind a pooler in transaction mode that cannot hold prepared statements.
    off = _settings(DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="0")
    assert off["SERVER_SIDE_BINDING"] is None  # Django's default: client-side binding
    assert off["PREPARE_THRESHOLD"] is None

    # SQLite has neither.
    assert _settings()["SERVER_SIDE_BINDING"] is None
