"""Cached answers stored under a version of the data they show, invalidated all at once.

Used by the public catalogue (factories/caching.py) and the signed-in lists
(access_requests/caching.py). A write bumps the version; an entry is served only when it was
stored under the current one, so nothing is ever scanned or deleted. A hit costs one cache round
trip: the version and the entry are read together (`get_many`). (Keys that carry the version
would need two sequential reads; with Django's Redis backend each read also builds a new
redis-py client, which costs as much as the round trip itself.) With several processes, the
cache must be shared (CACHE_URL).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse


class VersionedCache:
    def __init__(self, name: str) -> None:
        self.version_key = f"{name}:version"
        self.entry_prefix = f"{name}:entry:"
        # One function object, so that a transaction can tell it registered it already.
        self._bump_at_commit = self.bump

    def version(self) -> str:
        version = cache.get(self.version_key)
        if version is None:
            version = str(time.time_ns())
            cache.add(self.version_key, version, timeout=None)
            version = cache.get(self.version_key, version)
        return version

    def bump(self) -> None:
        cache.set(self.version_key, str(time.time_ns()), timeout=None)

    def changed(self) -> None:
        """Invalidate every entry: now, and again when the surrounding transaction commits.

        The bump now serves readers of the uncommitted state on the same connection (a request
        that writes and then reads, a test). The bump at commit serves the others: between the
        write and the commit, a concurrent request still reads the old rows and may store them
        under the new version. It is registered once per transaction, however many rows change.
        (Outside a transaction, on_commit runs at once.)
        """
        self.bump()
        connection = transaction.get_connection()
        if connection.in_atomic_block and any(
            entry[1] is self._bump_at_commit for entry in connection.run_on_commit
        ):
            return
        transaction.on_commit(self._bump_at_commit, robust=True)

    def get(self, key: str) -> tuple[str, Any]:
        """The current version, and the entry stored under `key` for it (or None)."""
        key = self.entry_prefix + key
        found = cache.get_many([self.version_key, key])
        version = found.get(self.version_key) or self.version()
        entry = found.get(key)
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
            return version, entry[1]
        return version, None

    def set(self, key: str, version: str, value: Any, *, timeout: int) -> None:
        cache.set(self.entry_prefix + key, (version, value), timeout=timeout)


def plain_response(response: HttpResponse) -> HttpResponse:
    """A rendered response reduced to status, headers and body, which is all a hit serves.

    A DRF Response would otherwise be pickled with its data, request and renderer state: three
    times the size of the body, and unpickling it cost more than serving the page.
    """
    return HttpResponse(
        response.content,
        status=response.status_code,
        reason=response.reason_phrase,
        headers=dict(response.headers),
    )
