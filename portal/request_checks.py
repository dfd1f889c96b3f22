"""A middleware that refuses, with a 400, a request whose query string, cookies or headers hold
a control character (NUL among them, which PostgreSQL refuses in text: a search term or a session
key holding one would otherwise reach the database and fail with a 500).

Bodies are checked where they are parsed: the API's JSON parser (portal.parsers) and the text
fields of every serializer and form (portal.validators).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext

from portal.api import invalid_body
from portal.validators import QUERY_MAX_LENGTH

# Query parameters that are lists (comma-separated items of an enum, `?ordering=due,-updated`):
# the schema bounds their items, not their length.
LIST_PARAMETERS = frozenset({"ordering"})

# C0 controls but tab, DEL and C1 controls: in a URL (decoded), a cookie or a header value.
_REFUSED = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def _first_problem(request: HttpRequest) -> tuple[str, str] | None:
    """(where, what) of the first refused character, or of a repeated API parameter."""
    # A control character in the path matches no route (a slug or a number): a 404 follows.
    query = request.META.get("QUERY_STRING", "")
    if query and _REFUSED.search(unquote_plus(query, errors="replace")):
        for key, values in request.GET.lists():
            if _REFUSED.search(key) or any(_REFUSED.search(v) for v in values):
                return key[:100], gettext("This parameter holds a control character.")
        return "query", gettext("The query string holds a control character.")
    if query and request.path_info.startswith("/api/"):
        # No API parameter is a list: a repeated one is a mistake, not "the last one wins".
        for key, values in request.GET.lists():
            if len(values) > 1:
                return key[:100], gettext("This parameter is given more than once.")
            if len(values[0]) > QUERY_MAX_LENGTH and key not in LIST_PARAMETERS:
                return key[:100], gettext("At most %(count)s characters.") % {
                    "count": QUERY_MAX_LENGTH
                }
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str) and _REFUSED.search(value):
            return name[5:].replace("_", "-").title(), gettext(
                "This header holds a control character."
            )
    if "HTTP_COOKIE" in request.META:
        for key, value in request.COOKIES.items():
            if _REFUSED.search(value):
                return key[:100], gettext("This cookie holds a control character.")
    return None


class RequestTextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = _first_problem(request)
        if problem is None:
            return self.get_response(request)
        # Before LocaleMiddleware: the browser's language for the refusal (a cookie holding a
        # control character is ignored by it).
        with translation.override(translation.get_language_from_request(request)):
            where, message = _first_problem(request) or problem
        if request.path_info.startswith("/api/"):
            return JsonResponse(invalid_body({where: [message]}), status=400)
        return HttpResponseBadRequest(
            f"{where}: {message}", content_type="text/plain; charset=utf-8"
        )
