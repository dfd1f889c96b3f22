"""Access decorators for role pages: anonymous users sign in, the wrong role gets a 403 page.

Django's `staff_member_required` sends a signed-in non-staff user to the admin's login, which
sends a signed-in user back: a redirect loop. These never redirect a signed-in user.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal import permissions
from portal.http import AuthenticatedHttpRequest

if TYPE_CHECKING:
    from accounts.models import User

View = Callable[..., HttpResponse]


def role_required(test: Callable[[User], bool], message: str | Promise) -> Callable[[View], View]:
    """Sign-in first; then `test(user)` must hold, or the user gets a 403 page saying `message`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not test(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def _is_staff(user: User) -> bool:
    return user.is_staff


def _is_approver(user: User) -> bool:
    return permissions.is_an_approver(user)


def _is_approver_or_staff(user: User) -> bool:
    return user.is_staff or _is_approver(user)


staff_required = role_required(_is_staff, _("This page is for the portal's staff."))
reviewer_required = role_required(
    permissions.has_site_role, _("The review desk is for reviewers and approvers of an AI Factory.")
)
approver_required = role_required(
    _is_approver, _("This page is for the site approvers of an AI Factory.")
)
approver_or_staff_required = role_required(
    _is_approver_or_staff, _("This page is for the site approvers of an AI Factory and for staff.")
)
