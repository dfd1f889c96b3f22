"""The API's one body parser: JSON, bounded in size and depth, with text PostgreSQL can store.

Every write of the API takes JSON (none takes a file), so this is DRF's only parser: any other
content type answers 415 in the API's JSON error shape.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext
from rest_framework import exceptions, parsers, status

# A request of the portal is an object of fields, a list of team members, each an object: three
# levels. Some room, but far from what overflows Python's recursion limit (about 1,000).
MAX_DEPTH = 10


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            gettext("The request body is over the limit of %(limit)s bytes.")
            % {"limit": number_format(limit, force_grouping=True)}
        )


def _too_deep() -> str:
    return gettext("The JSON is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH}


def body_limit() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440


def _depth_and_text_error(value: Any) -> str | None:
    """Why the parsed body cannot be taken (too deep, text that is not valid Unicode), or None."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return _too_deep()
            children = list(item.items()) if isinstance(item, dict) else [(None, v) for v in item]
            for key, child in children:
                if key is not None:
                    stack.append((key, depth + 1))
                stack.append((child, depth + 1))
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return gettext(
                    "The JSON holds a lone surrogate (\\ud800-\\udfff): it is not valid text."
                )
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON.")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with bounds: a body over DATA_UPLOAD_MAX_MEMORY_SIZE answers 413; one
    nested deeper than MAX_DEPTH, with NaN or Infinity, or with a lone surrogate answers 400."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = body_limit()
        request = parser_context.get("request")
        meta = getattr(request, "META", {})
        try:
            declared = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise RequestTooLarge(limit)
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge(limit)
        try:
            text = codecs.decode(raw, encoding)
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise exceptions.ParseError(_too_deep()) from None
        except (ValueError, LookupError) as exc:
            # Translators: then the JSON decoder's own (English) words.
            message = gettext("The body is not valid JSON: %(error)s") % {"error": exc}
            raise exceptions.ParseError(message) from None
        error = _depth_and_text_error(data)
        if error:
            raise exceptions.ParseError(error)
        return data
