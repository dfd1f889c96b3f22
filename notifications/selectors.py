"""Reads: a recipient's preferences and language, and the unsubscribe links' tokens."""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.urls import reverse

from notifications.kinds import is_optional
from notifications.models import NotificationPreference
from portal.mail import site_url

if TYPE_CHECKING:
    from accounts.models import User

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
# Languages read for a batch of recipients in one query (`remember_languages`), used by the
# emails built right after: a routing batch costs the same queries for 5 and for 50. Kept for
# a few seconds only, so that a later email never uses a language changed since.
_languages: ContextVar[tuple[float, dict[str, str]] | None] = ContextVar(
    "notification_languages", default=None
)
REMEMBER_SECONDS = 10.0


def preference_for(*, user: User) -> NotificationPreference:
    """The user's preferences, or the defaults (unsaved) when they never set any."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


def preference_for_address(email: str) -> NotificationPreference | None:
    return NotificationPreference.objects.filter(user__email=email).first()


def language_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def remember_languages(languages: dict[str, str]) -> None:
    """Keep the languages of these addresses for the emails about to be built."""
    _languages.set((time.monotonic(), languages))


def recipient_language(email: str) -> str:
    """The language to write to `email` in: their preference, else the portal's default."""
    remembered = _languages.get()
    fresh = remembered is not None and time.monotonic() - remembered[0] < REMEMBER_SECONDS
    if remembered is not None and fresh and email in remembered[1]:
        language: str | None = remembered[1][email]
    else:
        language = (
            NotificationPreference.objects.filter(user__email=email)
            .values_list("language", flat=True)
            .first()
        )
    return language if language in language_codes() else settings.LANGUAGE_CODE


def unsubscribe_token(email: str, kind: str) -> str:
    # Not timestamped (signing.dumps is): the same link in the body and in the header.
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"e": email, "k": kind}, compress=True)


def unsubscribe_url(email: str, kind: str) -> str:
    path = reverse("notifications:unsubscribe")
    return site_url(f"{path}?t={unsubscribe_token(email, kind)}")


def unsubscribe_read(token: str) -> tuple[str, str] | None:
    """(address, kind) of a genuine token; None for a forged, damaged or unknown one. No
    expiry: a link in an old email must still work."""
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    email, kind = data.get("e"), data.get("k")
    if not isinstance(email, str) or not isinstance(kind, str) or not is_optional(kind):
        return None  # a mandatory email has no such link
    return email, kind
