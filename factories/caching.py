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
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language_from_request

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


def _key(request: HttpRequest) -> str:
    # The host is part of the key (API answers carry absolute URLs), and so is Accept (the API
    # answers JSON or its browsable HTML by it); the version makes every edit a miss. So is the
    # language LocaleMiddleware will choose (from the language cookie, else Accept-Language:
    # the same function, cheap, its parsing memoised), not the raw header: the many ways
    # browsers spell "German first" share one entry.
    version = cache.get_or_set(VERSION_KEY, time.time_ns, timeout=None)
    vary = "\n".join(
        [
            request.get_host(),
            request.get_full_path(),
            request.headers.get("Accept", ""),
            get_language_from_request(request),
        ]
    )
    return f"catalogue:{version}:{hashlib.sha256(vary.encode()).hexdigest()}"


def cache_public_catalogue(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark the view's answers as the same for every anonymous visitor: the middleware below
    stores them once they have passed the whole middleware stack, and serves them from then on
    before any of it."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.catalogue_cacheable = True  # type: ignore[attr-defined]  # our own marker
        return response

    return wrapper


class PublicCatalogueCacheMiddleware:
    """Anonymous catalogue pages from the cache, answered before sessions, authentication,
    CSRF, messages and the rest are reached: a hit costs two cache reads. Placed right after
    WhiteNoise, it stores a marked page (`cache_public_catalogue`) on its way out, so the stored
    answer carries every header the stack added (CSP, frame options, Vary, Content-Language).
    One entry per language: the key includes the language the page will be in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _cacheable_request(request):
            return self.get_response(request)
        try:
            key = _key(request)
        except DisallowedHost:
            return self.get_response(request)  # Django answers it with a 400
        hit = cache.get(key)
        if hit is not None:
            return hit
        response = self.get_response(request)
        if (
            getattr(response, "catalogue_cacheable", False)
            and response.status_code == 200
            and not response.cookies
            and not response.streaming
        ):
            # The page depends on the language cookie and Accept-Language: say so to shared
            # caches and browsers (LocaleMiddleware names Accept-Language only).
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            # Status, headers and body only: a DRF Response would be pickled with its data,
            # request and renderer state.
            plain = HttpResponse(response.content, status=200, headers=dict(response.headers))
            cache.set(key, plain, timeout=settings.CATALOGUE_CACHE_SECONDS)
        return response
