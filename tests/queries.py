"""Query counts shared by the query-count tests."""

from django.conf import settings

# Reading the session costs a query with database sessions (the default) and none with sessions
# in the shared cache (`cached_db`, chosen when CACHE_URL is set, as in CI).
SESSION_QUERIES = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
# Loading the user, then whether they hold a site role (the MFA middleware asks of every
# signed-in request: staff and site staff must use two-factor authentication).
USER_QUERIES = 2
# Staff and site staff: whether their two-factor authenticator is set up.
MFA_QUERIES = 1
