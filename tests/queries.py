"""Query counts shared by the query-count tests."""

from django.conf import settings

# Reading the session costs a query with database sessions (the default) and none with sessions
# in the shared cache (`cached_db`, chosen when CACHE_URL is set, as in CI).
SESSION_QUERIES = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
# Loading the user, with whether they hold a site role and have set up TOTP (what the MFA
# middleware asks of every signed-in request: staff and site staff must use two factors), in
# one query (portal/auth.py).
USER_QUERIES = 1
# Site staff, on pages that need to know at which sites they approve: their site roles.
SITE_ROLE_QUERIES = 1
