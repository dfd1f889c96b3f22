"""Cached answers stored under a version of the data they show, invalidated without a scan.

Used by the public catalogue (factories/caching.py) and the signed-in lists
(access_requests/caching.py). A write bumps the version; an entry is served only when it was
stored under the current one, so nothing is ever scanned or deleted. An entry may also belong to
a scope (one user's lists) with a version of its own: a write that concerns only some scopes
bumps theirs, and leaves everybody else's entries valid. A hit costs one cache round trip: the
versions and the entry are read together (`get_many`). (Keys that carry the version
would need two sequential reads; with Django's Redis backend each read also builds a new
redis-py client, which costs as much as the round trip itself.) With several processes, the
cache must be shared (CACHE_URL).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse


class VersionedCache:
    def __init__(self, name: str, resolve: Callable[[set], Iterable[str]] | None = None) -> None:
        """`resolve` turns what `changed()` is told changed into the scopes to bump: it runs when
        the write happens and again at commit, when another transaction may have changed who a
        change concerns (by default what changed are the scopes themselves)."""
        self.name = name
        self.version_key = f"{name}:version"
        self.entry_prefix = f"{name}:entry:"
        self.scope_prefix = f"{name}:scope:"
        self._resolve = resolve or (lambda changes: changes)
        # One function object each, so that a transaction can tell it registered them already.
        self._bump_at_commit = self.bump
        self._bump_pending_at_commit = self._bump_pending

    def _current(self, key: str) -> str:
        """The version stored at `key`, made when missing (never read as "none": an entry stored
        under a missing version must not become valid again if the key is lost later)."""
        version = cache.get(key)
        if version is None:
            version = str(time.time_ns())
            cache.add(key, version, timeout=None)
            version = cache.get(key, version)
        return version

    def version(self) -> str:
        return self._current(self.version_key)

    def bump(self) -> None:
        cache.set(self.version_key, str(time.time_ns()), timeout=None)

    def bump_scopes(self, scopes: Iterable[str]) -> None:
        now = str(time.time_ns())
        keys = {self.scope_prefix + scope: now for scope in scopes}
        if keys:
            cache.set_many(keys, timeout=None)

    def changed(self, changes: Iterable | None = None) -> None:
        """Invalidate every entry, or with `changes` the entries of the scopes they concern
        (see `resolve`): now, and again when the surrounding transaction commits.

        The bump now serves readers of the uncommitted state on the same connection (a request
        that writes and then reads, a test). The bump at commit serves the others: between the
        write and the commit, a concurrent request still reads the old rows and may store them
        under the new version. It is registered once per transaction, however many rows change.
        (Outside a transaction, on_commit runs at once.)
        """
        connection = transaction.get_connection()
        if changes is None:
            self.bump()
            callback = self._bump_at_commit
        else:
            changes = set(changes)
            if not changes:
                return
            self.bump_scopes(self._resolve(changes))
            self._pending(connection).update(changes)
            callback = self._bump_pending_at_commit
        if connection.in_atomic_block and any(
            entry[1] is callback for entry in connection.run_on_commit
        ):
            return
        transaction.on_commit(callback, robust=True)

    def _pending(self, connection) -> set:
        """What changed in the current transaction of `connection`, bumped again at commit.
        (Left over after a rollback, it is bumped at the next commit: more invalidation, never
        less.)"""
        pending = connection.__dict__.setdefault("_versioned_cache_pending", {})
        return pending.setdefault(self.name, set())

    def _bump_pending(self) -> None:
        pending = self._pending(transaction.get_connection())
        changes = set(pending)
        pending.clear()
        if changes:
            self.bump_scopes(self._resolve(changes))

    def get(self, key: str, scope: str | None = None) -> tuple[Any, Any]:
        """The current stamp (the version, with the scope's), and the entry stored under `key`
        for it (or None)."""
        key = self.entry_prefix + key
        keys = [self.version_key, key]
        scope_key = self.scope_prefix + scope if scope is not None else None
        if scope_key:
            keys.append(scope_key)
        found = cache.get_many(keys)
        stamp = found.get(self.version_key) or self.version()
        if scope_key:
            stamp = (stamp, found.get(scope_key) or self._current(scope_key))
        entry = found.get(key)
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == stamp:
            return stamp, entry[1]
        return stamp, None

    def set(self, key: str, stamp: Any, value: Any, *, timeout: int) -> None:
        cache.set(self.entry_prefix + key, (stamp, value), timeout=timeout)


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
