"""Request types of views that require sign-in: their `request.user` is a `User`.

django-stubs types `request.user` as `User | AnonymousUser`, and DRF's stubs alike. A view behind
`login_required` (or a role decorator of `portal.decorators`, which includes it), or an API view
with the `IsAuthenticated` permission, only runs for a signed-in user, so it annotates its
request with one of these types and passes `request.user` on as a `User`, with no cast and no
`type: ignore`. A generic API view declares `request: AuthenticatedRequest` on its class for
`self.request`.

These are annotations only: Django and DRF still build their own request objects, nothing is
checked or converted at run time. Never use them for a view that anonymous users reach.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request of an HTML view behind `login_required` or a `portal.decorators` role."""

    user: User


class AuthenticatedRequest(Request):
    """The request of a DRF view whose permissions include `IsAuthenticated`."""

    user: User
