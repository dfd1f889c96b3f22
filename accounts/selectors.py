from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from accounts.models import User


def user_has_mfa(user: User) -> bool:
    """Whether the user set up TOTP (a flag the signed-in user is loaded with, else a query)."""
    flag = getattr(user, "portal_has_totp", None)
    if flag is not None:
        return bool(flag)
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def user_email_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
