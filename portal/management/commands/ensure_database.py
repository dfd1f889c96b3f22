"""Create the PostgreSQL database named in DATABASE_URL when it does not exist yet."""

from __future__ import annotations

from typing import Any, TypedDict

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql


class ConnectParams(TypedDict):
    host: str | None
    port: str | int | None
    user: str | None
    password: str | None
    connect_timeout: int


class Command(BaseCommand):
    help = "Create the configured PostgreSQL database if it is missing (SQLite needs nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.postgresql":
            self.stdout.write(f"Database: SQLite at {db['NAME']}")
            return
        params: ConnectParams = {
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "connect_timeout": 5,
        }
        try:
            with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
                ).fetchone()
                if not exists:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
                    self.stdout.write(f"Created PostgreSQL database {db['NAME']!r}.")
        except psycopg.Error as exc:
            raise CommandError(f"PostgreSQL at {params['host']}:{params['port']}: {exc}") from exc
        self.stdout.write(
            f"Database: PostgreSQL {db['NAME']!r} on {params['host']}:{params['port']}"
        )
