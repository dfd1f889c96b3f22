from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator


def user_requires_mfa(user) -> bool:
    """Staff and anyone with an active role at a site (reviewer, approver) must use MFA."""
    if user.is_staff or user.is_superuser:
        return True
    cached = getattr(user, "_has_site_role", None)
    if cached is None:
        from access_requests.models import SiteRole

        cached = SiteRole.objects.filter(user=user, is_active=True).exists()
        user._has_site_role = cached
    return cached


def user_has_mfa(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def user_email_verified(user) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
