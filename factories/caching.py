"""Caching of the public catalogue.

The catalogue changes only when an admin edits it, so public pages and API reads are cached for
anonymous visitors, each stored together with the catalogue version it was rendered under. Every
save or delete of a factory, system or source bumps the version (see signals.py), which
invalidates all of them at once without scanning keys. With several processes, CACHE_URL must
point at a shared cache.

A hit costs one cache round trip: the version and the page are read together (`get_many`) and
the page is served only when its version is the current one. (Keys that carry the version would
need two sequential reads; with Django's Redis backend each read also builds a new redis-py
client, which costs as much as the round trip itself.)
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

VERSION_KEY = "catalogue:version"


def catalogue_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = str(time.time_ns())
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def _bump_version() -> None:
    cache.set(VERSION_KEY, str(time.time_ns()), timeout=None)


def catalogue_changed() -> None:
    """Invalidate every cached page: now, and again once the surrounding transaction commits.

    The second bump matters: between the save and the commit, a concurrent request still reads
    the old rows and would otherwise cache them under the new version, where they would stay
    until the next change. (Outside a transaction, on_commit runs at once.)
    """
    _bump_version()
    transaction.on_commit(_bump_version)


def _cacheable_request(request: HttpRequest) -> bool:
    # Only a visitor without a session or pending messages gets the shared page: their page
    # is the same for everybody.
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _plain(response: HttpResponse) -> HttpResponse:
    """The rendered response reduced to status, headers and body, which is all a hit serves.

    A DRF Response would otherwise be pickled with its data, request and renderer state: three
    times the size of the body, and unpickling it cost more than serving the page.
    """
    return HttpResponse(
        response.content,
        status=response.status_code,
        reason=response.reason_phrase,
        headers=dict(response.headers),
    )


def cache_public_catalogue(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view from the cache for anonymous GETs; store successful, cookie-free answers."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        # The host is part of the key (API answers carry absolute URLs), and so is Accept (the
        # API answers JSON or its browsable HTML by it).
        vary = "\n".join(
            [request.get_host(), request.get_full_path(), request.headers.get("Accept", "")]
        )
        key = f"catalogue:entry:{hashlib.sha256(vary.encode()).hexdigest()}"
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or catalogue_version()
        entry = found.get(key)
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
            return entry[1]
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if response.status_code == 200 and not response.cookies:
            cache.set(key, (version, _plain(response)), timeout=settings.CATALOGUE_CACHE_SECONDS)
        return response

    return wrapper
