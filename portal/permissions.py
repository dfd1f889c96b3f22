"""Who may see, review and decide: the one place for these rules.

Selectors filter with `visible_to_applicant` and `visible_to_reviewer`; views, the API and
services ask `may_decide`, `requires_mfa` and the role questions. A user's site roles are read
once per request and kept on the user object (which lives as long as the request).

An applicant sees their own applications and those of organisations they represent. A reviewer
sees the applications assigned to them (unless they declined); a site approver every
application at their site, and decides on those. Staff and anybody with a site role must use
two-factor authentication.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db.models import Exists, OuterRef, Q

from organisations.models import Membership
from reviews.models import Assignment, SiteRole

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from applications.models import Application


def _roles(user: User) -> list[tuple[str, int]]:
    """The user's active site roles as (role, factory id), read once per request."""
    cached = getattr(user, "_portal_site_roles", None)
    if cached is None:
        cached = list(
            SiteRole.objects.filter(user=user, is_active=True).values_list("role", "factory_id")
        )
        user._portal_site_roles = cached
    return cached


def has_site_role(user: User | AnonymousUser) -> bool:
    """Whether the user reviews or approves at some site (a flag the signed-in user is loaded
    with, `portal.auth`; else their roles)."""
    if not user.is_authenticated:
        return False
    flag = getattr(user, "portal_has_site_role", None)
    if flag is not None and getattr(user, "_portal_site_roles", None) is None:
        return bool(flag)
    return bool(_roles(cast("User", user)))


def is_an_approver(user: User | AnonymousUser) -> bool:
    """Whether the user approves at some site (the flag the signed-in user is loaded with,
    `portal.auth`; else their roles): for pages that only need a yes or no."""
    if not user.is_authenticated:
        return False
    flag = getattr(user, "portal_is_approver", None)
    if flag is not None and getattr(user, "_portal_site_roles", None) is None:
        return bool(flag)
    return bool(approver_factory_ids(user))


def approver_factory_ids(user: User | AnonymousUser) -> list[int]:
    """The factories at which the user is an active site approver."""
    if not has_site_role(user):
        return []
    roles = _roles(cast("User", user))
    return sorted({f for role, f in roles if role == SiteRole.Role.APPROVER})


def is_site_approver(user: User, factory_id: int) -> bool:
    return factory_id in approver_factory_ids(user)


def may_decide(user: User, application: Application) -> bool:
    """Only an active approver of the application's site decides on it."""
    system = application.system
    return system is not None and is_site_approver(user, system.factory_id)


def requires_mfa(user: User) -> bool:
    """Staff and anyone with an active role at a site (reviewer, approver) must use MFA."""
    return bool(user.is_staff or user.is_superuser or has_site_role(user))


def visible_to_applicant(user: User, represented: list[int] | None = None) -> Q:
    """The applications an applicant sees: their own, and their represented organisations'
    (`represented`: their ids, when the caller has read them already)."""
    # The organisations are read first (a query of their own) and put in as a list: with a
    # subquery, "applicant OR organisation IN (subquery)" makes PostgreSQL scan every application
    # (5 ms at 1,000 rows, growing with the table); with a list it combines the two indexes.
    if represented is None:
        represented = list(
            Membership.objects.filter(user=user, role=Membership.Role.REPRESENTATIVE).values_list(
                "organisation_id", flat=True
            )
        )
    if not represented:
        return Q(applicant=user)
    return Q(applicant=user) | Q(organisation_id__in=represented)


def visible_to_reviewer(user: User, approver_sites: list[int] | None = None) -> Q:
    """The applications on a reviewer's or approver's side: assigned (not declined), or at a
    site they approve for."""
    assigned = Assignment.objects.filter(application=OuterRef("pk"), reviewer=user).exclude(
        status=Assignment.Status.DECLINED
    )
    if approver_sites is None:
        approver_sites = approver_factory_ids(user)
    return Q(Exists(assigned)) | Q(system__factory_id__in=approver_sites)
