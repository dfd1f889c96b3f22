"""Query counts shared by the query-count tests."""

from django.conf import settings

# Reading the session costs a query with database sessions (the default) and none with sessions
# in the shared cache (`cached_db`, chosen when CACHE_URL is set, as in CI).
SESSION_QUERIES = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
# Loading the user, with their site-role and MFA flags (accounts.backends).
USER_QUERIES = 1
# A signed-in list answered from the per-user cache (access_requests/caching.py).
CACHE_HIT_QUERIES = SESSION_QUERIES + USER_QUERIES


def give_csrf_cookie(client) -> None:
    """The CSRF cookie a browser holds after its first page (`force_login` sets none). Signed-in
    pages are cached only for a browser with one: their forms' tokens come from it."""
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    secret = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
