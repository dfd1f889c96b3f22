"""The portal's language: the browser's Accept-Language by default, the switcher's cookie, and a
signed-in user's stored choice, on every page (the error pages and allauth's too), and never a
cached page in the wrong language.

The German strings asserted here are in locale/de/LC_MESSAGES/django.po."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from django.utils.formats import get_format

from factories.models import System
from notifications.models import NotificationPreference
from portal.middleware import unavailable_response
from portal.views import server_error

SETLANG = "/i18n/setlang/"
COOKIE = settings.LANGUAGE_COOKIE_NAME


def _lang(response) -> str:
    found = re.search(r'<html lang="([^"]*)"', response.content.decode())
    assert found, "no <html lang>"
    return found.group(1)


# --- The browser's language -----------------------------------------------------------------------


def test_it_answers_in_german_to_a_browser_that_asks_for_german(client, catalogue):
    response = client.get("/", headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"})

    assert _lang(response) == "de"
    assert response["Content-Language"] == "de"
    page = response.content.decode()
    assert "Anmelden" in page  # "Sign in"
    assert "Zum Inhalt springen" in page  # "Skip to content"
    assert ">Sign in<" not in page


def test_it_answers_in_english_without_accept_language(client, catalogue):
    response = client.get("/")

    assert _lang(response) == "en"
    assert ">Sign in<" in response.content.decode()


def test_it_answers_in_english_to_a_language_it_does_not_offer(client, catalogue):
    response = client.get("/", headers={"accept-language": "ja,zh;q=0.8"})

    assert _lang(response) == "en"
    assert ">Sign in<" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/", "/factories/", "/accounts/login/", "/accounts/signup/", "/no/such/page/"]
)
def test_every_page_names_its_language(client, catalogue, path):
    response = client.get(path, headers={"accept-language": "de"})

    assert _lang(response) == "de"


def test_the_not_found_page_is_in_the_browsers_language(client, db):
    response = client.get("/no/such/page/", headers={"accept-language": "de"})

    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


def test_the_unavailable_page_is_in_the_browsers_language(db):
    # Answered before LocaleMiddleware ran (the session's query failed): it reads the header.
    request = RequestFactory().get("/factories/", headers={"accept-language": "de"})

    response = unavailable_response(request)

    assert response.status_code == 503
    assert '<html lang="de">' in response.content.decode()
    assert "Startseite" in response.content.decode()  # "Home page"


def test_the_server_error_page_names_its_language(db):
    request = RequestFactory().get("/factories/")

    with translation.override("de"):  # as LocaleMiddleware left it
        response = server_error(request)

    assert response.status_code == 500
    assert '<html lang="de">' in response.content.decode()


# --- The switcher ---------------------------------------------------------------------------------


def test_every_page_offers_each_language_named_in_itself(client, catalogue):
    page = client.get("/factories/").content.decode()

    form = page.split('class="language-switcher"', 1)[1].split("</form>", 1)[0]
    assert f'action="{SETLANG}"' in page
    assert '<input type="hidden" name="next" value="/factories/">' in form
    assert "<legend" in form and "Language</legend>" in form
    buttons = re.findall(r'<button type="submit" name="language" value="(\w+)" lang="(\w+)"', form)
    assert [code for code, _ in buttons] == ["en", "es", "it", "fi", "sv", "de", "fr", "el"]
    assert all(code == lang for code, lang in buttons)
    for name in ("English", "Español", "Italiano", "Suomi", "Svenska", "Deutsch", "Français"):
        assert f">{name}</button>" in form
    assert ">Ελληνικά</button>" in form
    current = re.findall(r'value="(\w+)"[^>]* aria-current="true"', form)
    assert current == ["en"]  # the page's language, marked as the current one
    assert "csrfmiddlewaretoken" not in form  # the anonymous page stays the same for everybody


def test_the_switcher_sets_the_language_and_goes_back(catalogue):
    client = Client(enforce_csrf_checks=True)  # an anonymous visitor needs no token

    response = client.post(SETLANG, {"language": "de", "next": "/factories/"})

    assert response.status_code == 302
    assert response["Location"] == "/factories/"
    assert response.cookies[COOKIE].value == "de"
    page = client.get("/factories/", headers={"accept-language": "en"})
    assert _lang(page) == "de"  # the choice beats the browser's language
    assert "Anmelden" in page.content.decode()


def test_the_switcher_does_not_send_the_visitor_to_another_site(client, db):
    response = client.post(SETLANG, {"language": "fr", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[COOKIE].value == "fr"


@pytest.mark.parametrize("code", ["xx", "ja", "", "de-XX-<script>", "DE"])
def test_the_switcher_refuses_a_language_it_does_not_offer(client, alice, code):
    client.force_login(alice)

    response = client.post(SETLANG, {"language": code, "next": "/factories/"})

    assert response.status_code == 400
    assert response.content.decode() == "No such language."
    assert COOKIE not in response.cookies
    assert not NotificationPreference.objects.filter(user=alice).exists()


def test_an_unknown_language_in_the_cookie_is_ignored(client, catalogue):
    client.cookies[COOKIE] = "xx"

    response = client.get("/", headers={"accept-language": "de"})

    assert response.status_code == 200
    assert _lang(response) == "de"


def test_the_switcher_answers_only_a_post(client, db):
    assert client.get(SETLANG + "?language=de").status_code == 405


# --- A signed-in user's choice --------------------------------------------------------------------


def _sign_in(client: Client, email: str) -> object:
    return client.post("/accounts/login/", {"login": email, "password": "a-long-test-password"})


def test_a_signed_in_users_choice_is_stored_and_comes_back_at_the_next_sign_in(catalogue, alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    page = browser.get("/factories/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]

    chosen = browser.post(
        SETLANG, {"language": "de", "next": "/factories/", "csrfmiddlewaretoken": token}
    )

    assert chosen.status_code == 302
    assert chosen.cookies[COOKIE].value == "de"
    assert NotificationPreference.objects.get(user=alice).language == "de"

    # Sign out, then sign in again on another browser (no language cookie, an English one).
    browser.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    other = Client(headers={"accept-language": "en"})
    signed_in = _sign_in(other, "alice@example.org")

    assert signed_in.status_code == 302
    assert signed_in.cookies[COOKIE].value == "de"
    page = other.get("/factories/")
    assert _lang(page) == "de"
    assert "Abmelden" in page.content.decode()  # "Sign out"


def test_a_signed_in_user_must_send_the_csrf_token_to_change_language(alice, db):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    response = browser.post(SETLANG, {"language": "de", "next": "/"})

    assert response.status_code == 403
    assert COOKIE not in response.cookies
    assert not NotificationPreference.objects.filter(user=alice).exists()


def test_the_choice_keeps_the_other_email_preferences(client, alice):
    NotificationPreference.objects.create(user=alice, turned_off=["receipt"], language="fr")
    client.force_login(alice)

    client.post(SETLANG, {"language": "el", "next": "/"})

    preference = NotificationPreference.objects.get(user=alice)
    assert preference.language == "el"
    assert preference.turned_off == ["receipt"]


def test_a_user_without_a_choice_gets_the_browsers_language_after_sign_in(catalogue, alice):
    browser = Client(headers={"accept-language": "de"})

    signed_in = _sign_in(browser, "alice@example.org")

    assert signed_in.status_code == 302
    assert COOKIE not in signed_in.cookies
    assert _lang(browser.get("/factories/")) == "de"
    assert _lang(Client().get("/factories/")) == "en"


def test_the_email_preferences_show_the_language_chosen_in_the_switcher(client, alice):
    client.force_login(alice)
    client.post(SETLANG, {"language": "sv", "next": "/"})

    page = client.get("/notifications/preferences/").content.decode()

    assert re.search(r'<option value="sv"[^>]* selected>Svenska</option>', page)


# --- The cache of public pages --------------------------------------------------------------------


def test_the_cache_never_serves_a_page_in_another_language(catalogue, django_assert_num_queries):
    german = Client(headers={"accept-language": "de"})
    english = Client(headers={"accept-language": "en-GB,en;q=0.9"})
    nobody = Client()

    first = german.get("/factories/")
    assert _lang(first) == "de"
    assert "Accept-Language" in first["Vary"] and "Cookie" in first["Vary"]

    with django_assert_num_queries(0):  # from the cache
        assert _lang(german.get("/factories/")) == "de"
    assert _lang(english.get("/factories/")) == "en"  # a miss, not the German copy
    with django_assert_num_queries(0):
        again = english.get("/factories/")
        assert _lang(again) == "en"
        assert ">Sign in<" in again.content.decode()
        assert _lang(nobody.get("/factories/")) == "en"  # the default shares the English copy
        assert _lang(german.get("/factories/")) == "de"
    assert "Accept-Language" in again["Vary"] and "Cookie" in again["Vary"]

    nobody.cookies[COOKIE] = "de"  # the switcher's cookie beats the (absent) header
    with django_assert_num_queries(0):
        chosen = nobody.get("/factories/")
    assert _lang(chosen) == "de"
    assert "Anmelden" in chosen.content.decode()


def test_the_language_saved_with_the_email_preferences_becomes_the_pages_language(client, alice):
    client.force_login(alice)
    page = client.get("/notifications/preferences/").content.decode()
    kinds = re.findall(r'name="(email_[a-z_]+)"[^>]* checked', page)

    saved = client.post(
        "/notifications/preferences/", {"language": "de", **dict.fromkeys(kinds, "on")}
    )

    assert saved.status_code == 302
    assert saved.cookies[COOKIE].value == "de"
    assert NotificationPreference.objects.get(user=alice).language == "de"
    assert _lang(client.get("/notifications/preferences/")) == "de"

    cleared = client.post("/notifications/preferences/", dict.fromkeys(kinds, "on"))

    assert cleared.cookies[COOKIE].value == ""  # deleted: the browser's language again
    assert NotificationPreference.objects.get(user=alice).language == ""


# --- Numbers --------------------------------------------------------------------------------------

FR_SEPARATOR = get_format("THOUSAND_SEPARATOR", lang="fr")  # a no-break space in Django 5.2
MILLION = {"en": "1,000,000", "de": "1.000.000", "fr": f"1{FR_SEPARATOR}000{FR_SEPARATOR}000"}


@pytest.mark.parametrize("language", ["en", "de", "fr"])
@pytest.mark.parametrize("path", ["/systems/lumi/", "/factories/lumi-aif/", "/statistics/"])
def test_gpu_hours_are_grouped_as_the_language_writes_numbers(catalogue, language, path):
    System.objects.filter(slug="lumi").update(allocatable_gpu_hours_per_year=1_000_000)

    page = Client(headers={"accept-language": language}).get(path).content.decode()

    assert MILLION[language] in page
    others = [text for code, text in MILLION.items() if code != language]
    assert not any(text in page for text in others)


def test_ids_and_years_are_never_grouped(catalogue):
    page = Client(headers={"accept-language": "de"}).get("/statistics/").content.decode()

    year = str(timezone.localdate().year)
    assert year in page
    assert f"{year[0]}.{year[1:]}" not in page


def test_the_apis_messages_for_people_follow_accept_language(client, db):
    german = client.get("/api/v1/no-such-thing/", headers={"accept-language": "de"})
    english = client.get("/api/v1/no-such-thing/")

    assert german.status_code == english.status_code == 404
    assert german.json() == {"detail": "Nicht gefunden.", "code": "not_found"}
    assert english.json() == {"detail": "Not found.", "code": "not_found"}
