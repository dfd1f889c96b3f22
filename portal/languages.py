"""The language of the portal's pages: the switcher's view, and a signed-in user's stored choice.

Which language a page is in is decided by Django's LocaleMiddleware, in this order: the language
cookie (`settings.LANGUAGE_COOKIE_NAME`), the browser's Accept-Language, `LANGUAGE_CODE`. URLs
carry no language prefix. A signed-in user's choice is stored with their email preferences
(`NotificationPreference.language`, which their emails already use) and put into the cookie
when they sign in, on any browser; until they choose, the language of their first sign-in is
stored (so emails to a German-speaking applicant are German from the start).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.translation import gettext
from django.views import i18n
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST


def language_codes() -> frozenset[str]:
    return frozenset(code for code, _ in settings.LANGUAGES)


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """The cookie LocaleMiddleware reads, with Django's settings for it (as `set_language`)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _switch(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language not in language_codes():
        # Django's own view would take any language Django itself has a catalogue for.
        return HttpResponseBadRequest(
            gettext("No such language."), content_type="text/plain; charset=utf-8"
        )
    # Django's view: the cookie, and the redirect to `next` (when it is on this site), or to the
    # page the form was on, or to the home page.
    response = i18n.set_language(request)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from notifications.services import notification_language_set

        try:
            notification_language_set(user=user, language=language)
        except ValidationError:  # checked above; nothing is saved half-way
            return HttpResponseBadRequest(
                gettext("No such language."), content_type="text/plain; charset=utf-8"
            )
    return response


_switch_signed_in = csrf_protect(_switch)


@csrf_exempt
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher's form (base.html): POST `language` and `next`.

    Anonymous visitors post without a CSRF token, so that the public pages (cached for everybody,
    factories/caching.py) carry none: at worst a forged post changes a visitor's language. A
    signed-in user's choice is stored, so their post must carry the token."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return _switch_signed_in(request)
    return _switch(request)


def on_user_logged_in(
    sender: Any, request: HttpRequest, response: HttpResponse | None = None, user: Any = None, **kw
) -> None:
    """allauth's `user_logged_in` (it carries the response): the user's stored language, when
    they chose one, becomes this browser's language cookie and this request's language (the
    "signed in" message is written in it). No choice yet: the language this sign-in happened in
    (the cookie's or Accept-Language's) is stored for them, so that their emails and letters are
    written in the language they use the portal in until they choose another."""
    from notifications.models import NotificationPreference
    from notifications.services import notification_language_set

    language = (
        NotificationPreference.objects.filter(user=user).values_list("language", flat=True).first()
    )
    if not language or language not in language_codes():
        current = getattr(request, "LANGUAGE_CODE", "") or translation.get_language()
        if current in language_codes():
            notification_language_set(user=user, language=current)
        return
    translation.activate(language)
    request.LANGUAGE_CODE = language  # as LocaleMiddleware sets it
    if response is not None:
        set_language_cookie(response, language)
