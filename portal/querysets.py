"""Selectors' base querysets, built once a process.

Building a queryset with `values()` columns, annotations, joins and an order costs more Python
than running it (the annotations are resolved, the joins set up, each time). A selector whose
shape never changes builds it once (`built_once`) and filters a copy for each request: the SQL is
still compiled and run every time, and the base is only ever copied, never evaluated, so it holds
no rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet

Q = TypeVar("Q", bound=QuerySet[Any])


def built_once(build: Callable[[], Q]) -> Callable[[], Q]:
    """`build()`'s queryset made on the first call; every call returns a fresh copy of it."""
    base = functools.cache(build)

    @functools.wraps(build)
    def copy() -> Q:
        return base().all()

    return copy
