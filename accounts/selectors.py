from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator


def user_has_site_role(user) -> bool:
    """Whether the user reviews or approves at some site (asked once per request: kept on the
    user object, which lives as long as the request)."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_site_role_active", None)
    if cached is None:
        from access_requests.models import SiteRole

        cached = SiteRole.objects.filter(user=user, is_active=True).exists()
        user._site_role_active = cached
    return cached


def user_requires_mfa(user) -> bool:
    """Staff and anyone with an active role at a site (reviewer, approver) must use MFA."""
    return user.is_staff or user.is_superuser or user_has_site_role(user)


def user_has_mfa(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def user_email_verified(user) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
