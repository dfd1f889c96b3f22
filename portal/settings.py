"""Settings for the AI Factory access portal.

Everything is read from the environment (see `.env.example` for every variable) and the file works
with no environment at all: SQLite under `var/`, Celery tasks run eagerly in-process, mail to the
console. `DATABASE_URL` switches to PostgreSQL (psycopg 3 with Django's connection pool),
`CELERY_BROKER_URL` to real workers on Redis, `CACHE_URL` to a Redis cache shared by processes.

With `DJANGO_DEBUG=false` the settings refuse a missing or default secret key and an empty
`DJANGO_ALLOWED_HOSTS`, and `manage.py check --deploy` is clean.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from accounts.providers.oidc.config import (
    OIDCConfigurationError,
    form_action_origins,
    oidc_apps,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """A string from the environment, or from the file named by `<name>_FILE` (Docker secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true or false.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
TESTING = "pytest" in sys.modules or env_bool("DJANGO_TESTING", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

if not DEBUG:
    if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 40:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is false but DJANGO_SECRET_KEY is missing, too short (< 40 characters) "
            "or the development default. Set a long random DJANGO_SECRET_KEY (or "
            "DJANGO_SECRET_KEY_FILE), for example from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is false but DJANGO_ALLOWED_HOSTS is empty. Set it to the host names "
            "the portal is served under, comma-separated (for example portal.example.eu)."
        )
    if any(host.strip(".") in ("*", "") or "*" in host for host in ALLOWED_HOSTS):
        # A wildcard lets any Host header through: links built from it (password resets, the
        # admin's) could point anywhere. Name the hosts instead.
        raise ImproperlyConfigured(
            f"DJANGO_DEBUG is false but DJANGO_ALLOWED_HOSTS={','.join(ALLOWED_HOSTS)!r} "
            "contains a wildcard. Name the host names the portal is served under, "
            "comma-separated (for example portal.example.eu,localhost)."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "csp",
    "simple_history",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "portal",
    "accounts",
    "factories",
    "organisations",
    "applications",
    "reviews",
    "allocations",
    "notifications",
    "handoffs",
    "usage",
    "portal_statistics",
    "finder",
]
AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous catalogue pages from the cache, before the rest of the stack (factories/caching.py).
    "factories.caching.PublicCatalogueCacheMiddleware",
    "portal.middleware.DatabaseUnavailableMiddleware",
    # A control character in the URL, a cookie or a header: 400 (portal/request_checks.py).
    "portal.request_checks.RequestTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the language cookie (the switcher, or a signed-in user's stored choice set
    # at sign-in), else the browser's Accept-Language, else LANGUAGE_CODE. No language prefix
    # in URLs (no i18n_patterns).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.RequireMFAMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
                "portal.context_processors.roles",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # psycopg 3's pool, managed by Django: one pool per process. It cannot be combined with
        # persistent connections (CONN_MAX_AGE must stay 0).
        _db["CONN_MAX_AGE"] = 0
        # A pooled connection is checked before it is handed out (Django passes the pool
        # psycopg's check when health checks are on), so that one broken by a restart of
        # PostgreSQL is replaced instead of failing a request.
        _db["CONN_HEALTH_CHECKS"] = True
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10),
            # Seconds a request waits for a connection: short, so an outage answers 503 within
            # 2 s (a sync gunicorn worker uses one connection at a time: it never waits for one
            # of its own).
            "timeout": env_float("DATABASE_POOL_TIMEOUT", 1.5),
            # The pool retries a failed connection with a doubling delay (1, 2, 4 … s) until this
            # many seconds have passed, then gives up; the next request starts over at once. The
            # default (300 s) left a process answering 503 for up to a minute and a half after
            # PostgreSQL came back; with 4 s it reconnects within about 2 s.
            "reconnect_timeout": env_float("DATABASE_POOL_RECONNECT_TIMEOUT", 4.0),
        }
        _db["OPTIONS"]["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 3)
        # The portal's queries are small: starting parallel workers costs more than it saves
        # (measured 7 ms of a 9 ms dashboard query on these machines). And its disks are SSDs:
        # with PostgreSQL's default random_page_cost (4, for spinning disks) the dashboard's page
        # query read all 20,000 organisations at 100,000 applications (12 ms) instead of looking
        # up its 25 rows' (0.7 ms).
        _db["OPTIONS"]["options"] = env_str(
            "DATABASE_SESSION_OPTIONS",
            "-c max_parallel_workers_per_gather=0 -c random_page_cost=1.1",
        )
        # Prepared statements: the parameters travel apart from the SQL (server-side binding),
        # so a list's query is the same text for every user, and psycopg prepares it on a
        # connection after it ran there `DATABASE_PREPARE_THRESHOLD` times; PostgreSQL then
        # plans it once instead of on every request (the reviewer desk's page query: 1.5 ms of
        # planning for 0.3 ms of execution). Set it to 0 ("off") behind a pooler in transaction
        # mode without prepared-statement support (PgBouncer < 1.21): Django's default then,
        # client-side binding, no prepared statements.
        _prepare_threshold = env_int("DATABASE_PREPARE_THRESHOLD", 5)
        if _prepare_threshold > 0:
            _db["OPTIONS"]["server_side_binding"] = True
            _db["OPTIONS"]["prepare_threshold"] = _prepare_threshold
        _db.setdefault("TEST", {})["NAME"] = env_str("DATABASE_TEST_NAME") or None
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(BASE_DIR / "var" / "portal.sqlite3"),  # dj-database-url's DBConfig: a str
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6's default, adopted now

# --- Cache ----------------------------------------------------------------------------------------
# The public catalogue pages are cached and invalidated on every admin edit. Several processes
# (gunicorn workers) must share one cache for invalidation to reach all of them: set CACHE_URL.
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    CACHES = {
        "default": {
            # django-redis: with IGNORE_EXCEPTIONS an unreachable Redis is a cache miss (a
            # read returns nothing, a write is skipped, logged), never a failed page or write;
            # and `add` succeeds, so that rate limits fail open instead of refusing every
            # sign-in (portal/cache.py).
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "portal",
            "TIMEOUT": 3600,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": env_float("CACHE_SOCKET_TIMEOUT", 1.0),
                "SOCKET_TIMEOUT": env_float("CACHE_SOCKET_TIMEOUT", 1.0),
                "IGNORE_EXCEPTIONS": True,
                "LOG_IGNORED_EXCEPTIONS": True,
            },
        }
    }
    # Sessions read from the shared cache (written to both): no database read per request.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal",
            "TIMEOUT": 300,
        }
    }

# The page chrome's fragments (base.html: the navigation), the same for every user with the same
# language and roles and changed only by a deployment (which restarts the processes): kept in
# each process's memory, keyed by what they show.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": None,
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
# Fail fast when the broker is down at publish time: the application is already saved and the
# periodic sweep picks it up later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    "interval_start": 0,  # retry at once: a submit must not wait seconds for a dead broker
    # Seconds before a message taken by a worker that died (acks_late: not yet acknowledged) is
    # delivered again. Longer than any task runs; the fault tests set it to a few seconds.
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    # How often a worker looks for such messages: a quarter of the timeout (1 s to 60 s), on every
    # tick (kombu's default scans every 100 s, which would make a short timeout meaningless).
    "unacked_restore_interval": max(1, min(60, BROKER_VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_PUBLISH_RETRY = False
# Keep Celery's Django fix-up from closing the connection pool around every task; connections
# go back to the pool after each task instead (portal/celery.py).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TIMEZONE = "Europe/Brussels"
# Applications routed together, in one transaction, when a backlog waits (a burst of submissions,
# the sweep after an outage): see reviews.services.routing.applications_route_waiting.
ROUTING_BATCH_SIZE = env_int("ROUTING_BATCH_SIZE", 50)
# Periodic jobs live in the database (django-celery-beat, editable in the admin), not in a file:
# beat cannot die for want of one. These are created at `migrate` when missing and never
# overwritten afterwards (portal.apps); CELERY_BEAT_SCHEDULE stays empty because beat would
# write it over the admin's edits at every start.
PORTAL_PERIODIC_TASKS = {
    "sweep-unrouted": {"task": "reviews.tasks.sweep", "every_seconds": 60},
    "check-deadlines": {"task": "reviews.tasks.check_deadlines", "every_seconds": 3600},
    # Reviewers' and approvers' held emails, once a day in one digest each (notifications).
    "send-digests": {"task": "notifications.tasks.send_digests", "every_seconds": 86400},
    # Hand-offs to the sites that a lost message left behind, sent again (handoffs).
    "sweep-handoffs": {"task": "handoffs.tasks.sweep", "every_seconds": 300},
    # Allocations past their end date ended; report reminders and escalations.
    "check-allocations": {"task": "allocations.tasks.check_allocations", "every_seconds": 3600},
}
CELERY_BEAT_SCHEDULE: dict = {}
# Allocations' reports (allocations.selectors.report_policy): the defaults of an access mode with
# no ReportPolicy row (set per mode in the admin). The final report is due this many days after
# the end; allocations longer than this many months owe a progress report every that many months.
ALLOCATION_FINAL_REPORT_DAYS = env_int("ALLOCATION_FINAL_REPORT_DAYS", 30)
ALLOCATION_PROGRESS_REPORT_MONTHS = env_int("ALLOCATION_PROGRESS_REPORT_MONTHS", 12)
# Reminders of a report due go out this many days before its due date.
ALLOCATION_REPORT_REMINDER_DAYS = env_int("ALLOCATION_REPORT_REMINDER_DAYS", 14)
CELERY_BEAT_SCHEDULER = "portal.beat:Scheduler"
CELERY_RESULT_EXPIRES = None  # no result backend: no cleanup job either
# Seconds between the heartbeats of each worker and of beat; /healthz names one failing after
# twice this (portal/heartbeats.py).
HEARTBEAT_SECONDS = env_int("HEARTBEAT_SECONDS", 30)
# The sweep re-enqueues applications and emails left unprocessed for longer than this (their
# first message was lost: a worker killed, Redis restarted without persistence).
SWEEP_GRACE_SECONDS = env_int("SWEEP_GRACE_SECONDS", 120)

# --- Auth -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "start"  # by role: portal.views.start
# allauth's backend (email or username, and password), loading the signed-in user with the
# flags every request asks about (portal/auth.py).
AUTHENTICATION_BACKENDS = ["portal.auth.AuthenticationBackend"]

# django-allauth: sign-up and login by email, mandatory verification, rate limits (allauth's
# defaults, kept on), MFA (TOTP + recovery codes) for everybody and required for staff and
# reviewers (portal.middleware.RequireMFAMiddleware).
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[AI Factory portal] "  # also the portal's own emails
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Sign-up asks for the given and family name; allauth's emails use the portal's name and
# address (PORTAL_SITE_NAME, PORTAL_SITE_URL), not the request's host, and have an HTML part.
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# The client's address, which rate limits count by (login failures, sign-up, password reset),
# is the connection's (REMOTE_ADDR) unless the portal sits behind this many reverse proxies of
# its own: then it is the address the outermost of them appended to X-Forwarded-For. 0 (the
# default) never trusts the header, which a client can forge; behind the README's TLS proxy set
# 1, or every login would be counted as the proxy's (README, "Behind a proxy").
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("PORTAL_TRUSTED_PROXY_COUNT", 0)
# ACCOUNT_RATE_LIMITS: allauth's defaults (login failures, sign-up, password reset) stay on.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "AI Factory portal"
# Sign-in through OpenID Connect providers (MyAccessID and others), off unless OIDC_PROVIDERS
# names some (accounts/providers/oidc/config.py reads OIDC_<ID>_*; README, "Signing in"). An
# account is keyed on the provider's persistent identifier; a first sign-in links an existing
# account only through an address both sides verified (accounts.adapter.SocialAccountAdapter),
# otherwise it always shows the new-account form, which warns against a second identity.
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "mandatory"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_FORMS = {"signup": "accounts.forms.SocialSignupForm"}
try:
    _oidc_apps = oidc_apps(env_str)
except OIDCConfigurationError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
SOCIALACCOUNT_PROVIDERS: dict = {
    "openid_connect": {
        "provider_class": "accounts.providers.oidc.provider.PortalOpenIDConnectProvider",
        "APPS": _oidc_apps,
    }
}

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Each language named in itself (the switcher shows these names). Adding one: add it here,
# `make messages`, translate locale/<code>/LC_MESSAGES/django.po, `make compilemessages`.
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("fi", "Suomi"),
    ("sv", "Svenska"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("el", "Ελληνικά"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True
# No USE_THOUSAND_SEPARATOR: it would put separators into ids in URLs and form inputs. Counts
# meant to be read are grouped where they are shown (`intcomma`, or `number_format` with
# `force_grouping=True`).

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG

# --- Mail -----------------------------------------------------------------------------------------
# Without a backend configured, each email is written to its own file under var/mail/
# (portal.mail.FilePerEmailBackend); the tests keep them in memory.
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.locmem.EmailBackend"
    if TESTING
    else "portal.mail.FilePerEmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "AI Factory access portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The name every email signs with and greets from; links go to PORTAL_SITE_URL (below).
PORTAL_SITE_NAME = "AI Factory access portal"
ADMINS = [("Portal admins", a) for a in env_list("DJANGO_ADMINS")]

# --- Security -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)

# Content-Security-Policy (django-csp): everything from this host, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # The sign-in buttons' redirects to the OpenID Connect providers (accounts/providers/oidc).
        "form-action": ["'self'", *form_action_origins(_oidc_apps)],
        "frame-ancestors": ["'none'"],
    }
}

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous request then gets a 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "portal.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    # Every write takes JSON (bounded in size and depth): any other body answers 415.
    "DEFAULT_PARSER_CLASSES": ["portal.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AI Factory access portal API",
    "DESCRIPTION": (
        "Catalogue of the EuroHPC AI Factories and their systems, and (for signed-in users) "
        "applications for compute time. Authenticate scripts with `Authorization: Token <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "applications.models.ApplicationStatus",
        "SystemStatusEnum": "factories.models.System.Status",
        "SystemKindEnum": "factories.models.System.Kind",
        "AssignmentKindEnum": "reviews.models.Assignment.Kind",
        "AssignmentStatusEnum": "reviews.models.Assignment.Status",
        "EventKindEnum": "applications.models.ApplicationEvent.Kind",
        "ChangeRequestKindEnum": "allocations.models.ChangeRequest.Kind",
        "ReportKindEnum": "allocations.models.Report.Kind",
        "DecisionOutcomeEnum": "reviews.models.Decision.Outcome",
        "ReclaimOutcomeEnum": ["reclaim", "withdraw"],
    },
}

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Portal ---------------------------------------------------------------------------------------
# Mounts a constant-response view at /bench/baseline/ for `make bench` only.
PORTAL_BENCH = env_bool("PORTAL_BENCH", False)
CATALOGUE_CACHE_SECONDS = env_int("CATALOGUE_CACHE_SECONDS", 3600)
# The portal's public address, for links in emails.
PORTAL_SITE_URL = env_str("PORTAL_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Uploaded attachments: PDF only (checked by content), at most this many bytes each.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A start date may lie at most this many days ahead (a draft's, the form's and the API's).
APPLICATION_START_HORIZON_DAYS = env_int("APPLICATION_START_HORIZON_DAYS", 366)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A reviewer's due date: this many working days before the expected decision date (the
# approver's time to decide), never before the next working day.
REVIEW_DUE_WORKING_DAYS_BEFORE_DECISION = env_int("REVIEW_DUE_WORKING_DAYS_BEFORE_DECISION", 2)
