"""Caching of the public catalogue.

The catalogue changes only when an admin edits it, so public pages and API reads are cached for
anonymous visitors under one global version: every save or delete of a factory, system or
source bumps it (signals.py), which invalidates them all at once without scanning keys. With
several processes, CACHE_URL must point at a shared cache.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

VERSION_KEY = "catalogue:version"


def catalogue_changed() -> None:
    """Invalidate every cached catalogue page."""
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def _cacheable_request(request: HttpRequest) -> bool:
    # Only a visitor without a session or pending messages gets the shared page: their page
    # is the same for everybody.
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def cache_public_catalogue(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view from the cache for anonymous GETs; store successful, cookie-free answers."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        # The host is part of the key (API answers carry absolute URLs), and so is Accept (the
        # API answers JSON or its browsable HTML by it); the version makes every edit a miss.
        version = cache.get_or_set(VERSION_KEY, time.time_ns, timeout=None)
        vary = "\n".join(
            [request.get_host(), request.get_full_path(), request.headers.get("Accept", "")]
        )
        key = f"catalogue:{version}:{hashlib.sha256(vary.encode()).hexdigest()}"
        hit = cache.get(key)
        if hit is not None:
            return hit
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if response.status_code == 200 and not response.cookies:
            # Status, headers and body only: a DRF Response would be pickled with its data,
            # request and renderer state.
            plain = HttpResponse(response.content, status=200, headers=dict(response.headers))
            cache.set(key, plain, timeout=settings.CATALOGUE_CACHE_SECONDS)
        return response

    return wrapper
