"""Povreg settings: everything that varies between machines comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Fail closed: DEBUG is off unless asked for (`make run` and the test settings ask for it).
DEBUG = env_bool("DEBUG", False)
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "")
_WEAK = (
    "SECRET_KEY is missing or weak: with DEBUG off set SECRET_KEY to at least 50 random characters, e.g. "
    "python -c 'import secrets; print(secrets.token_urlsafe(50))'. For development run with DEBUG=1 (make run does)."
)
WEAK_SECRET_MESSAGE = _WEAK  # noqa: S105 (a message, not a secret)


def weak_secret(key: str) -> bool:
    return len(key) < 50 or len(set(key)) < 5 or key == DEV_SECRET_KEY or key.startswith("django-insecure")


# With DEBUG off the server refuses to start on a weak key (povreg/wsgi.py, asgi.py, runserver, check --deploy).
# Management commands (load_units, import_survey, …: the contracts of DESIGN.md §3) still run; they sign
# nothing that outlives the process, so they get a random key of their own.
SECRET_KEY_IS_WEAK = not DEBUG and weak_secret(SECRET_KEY)
if SECRET_KEY_IS_WEAK:
    import secrets

    SECRET_KEY = secrets.token_urlsafe(50)
SECRET_KEY = SECRET_KEY or DEV_SECRET_KEY

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_htmx",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "core",
    "households",
    "surveys",
    "dedupe",
    "dci",
    "offline",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.SessionIdleMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.NoStoreForSignedInMiddleware",
    "core.access_log.AccessLogMiddleware",
    "core.middleware.BadInputMiddleware",
    "core.middleware.ApiErrorsAsJsonMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout answer (429).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses (and counts) logins of a locked-out account or address, on every login path.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # The admin's model permissions of department staff come from the access policy (core/policy.py).
    "core.policy.PolicyPermissionBackend",
]

ROOT_URLCONF = "povreg.urls"

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
                "core.context.permissions",
            ]
        },
    }
]

WSGI_APPLICATION = "povreg.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A small office on SQLite: writers queue behind one another (IMMEDIATE takes the write lock at the start of a
    # transaction, so none fails half-way with "database is locked"), readers never wait for writers (WAL), and
    # a busy writer is waited for up to 20 s instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# A streaming replica of the primary (PostgreSQL): reports and the API's read-only aggregate endpoints read from it
# (core.routers); writes and everything else use `default`. docs/deploy.md says how a national deployment runs.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))
    )
DATABASE_ROUTERS = ["core.routers.ReplicaRouter"]
POVREG_READ_REPLICA = bool(os.environ.get("DATABASE_REPLICA_URL"))

# Background jobs (core.jobs): django-tasks with its database backend, so SQLite and PostgreSQL both work and a
# job is queued in the same transaction as the row that describes it. `manage.py db_worker` runs them (`make run`
# starts one). POVREG_TASKS_IMMEDIATE=1 runs each job inside the request instead (the test suite's default).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if os.environ.get("POVREG_TASKS_IMMEDIATE", "0") == "1"
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese first; English as the second language.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# With DEBUG off, static files are served by WhiteNoise: from the collected, hashed copies when
# `collectstatic` has run (docs/deploy.md; `make serve` does it), else straight from the app's folders, so
# a page never fails for want of a manual step.
_COLLECTED = (STATIC_ROOT / "staticfiles.json").exists()
WHITENOISE_USE_FINDERS = DEBUG or not _COLLECTED
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _COLLECTED and not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Large workbooks are streamed to disk, not held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

REST_FRAMEWORK = {
    # Token first so a request without credentials answers 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Bodies are JSON: members, deprivations and decisions are nested, which a form encoding cannot carry. Another
    # content type gets 415. The token endpoint also takes a form, like DRF's own.
    "DEFAULT_PARSER_CLASSES": ["core.api.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # The client address for throttles: REMOTE_ADDR, or the address the trusted proxies saw; never a header as sent.
    "NUM_PROXIES": int(os.environ.get("TRUSTED_PROXY_COUNT", "0")),
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("THROTTLE_LOGIN", "20/min"),
        "anon": os.environ.get("THROTTLE_ANON", "60/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Povreg API",
    "DESCRIPTION": "Poverty-household registry: criteria sets, classification, registry data and rates.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Offline: no validator badge from swagger.io, no web fonts (templates/drf_spectacular/redoc.html).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_UI_SETTINGS": {
        "typography": {
            "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
            "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"},
        }
    },
    "ENUM_NAME_OVERRIDES": {
        "CategoryEnum": "surveys.models.Category",
        "AreaTypeEnum": "households.models.AreaType",
        "HouseholdStatusEnum": "households.models.HouseholdStatus",
        "ListStatusEnum": "surveys.models.ListStatus",
        "ApplicationKindEnum": "surveys.models.ApplicationKind",
        "ApplicationStatusEnum": "surveys.models.ApplicationStatus",
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "TAGS": [
        {"name": "auth", "description": "API tokens."},
        {"name": "rates", "description": "Poverty rates per unit (aggregates, no personal data)."},
        {"name": "flows", "description": "Flows of poor and near-poor households between rounds (aggregates)."},
        {"name": "units", "description": "Administrative units with GSO codes."},
        {"name": "rounds", "description": "Survey rounds."},
        {"name": "criteria-sets", "description": "Poverty standards: indicators and rule tables."},
        {"name": "classify", "description": "What-if classification; stores nothing."},
        {"name": "households", "description": "Households and members (personal data)."},
        {"name": "assessments", "description": "Assessments of households in rounds (personal data)."},
        {"name": "commune-lists", "description": "Commune lists, the unit of approval, and their transitions."},
    ],
}

# API tokens expire after this many days (hashed at rest, scoped, revocable: core/tokens.py).
POVREG_TOKEN_DAYS = int(os.environ.get("POVREG_TOKEN_DAYS", "90"))

# The offline entry app's copy of a commune on a device stops opening (and is wiped) after this many days without a
# signed-in visit (README "Offline entry").
POVREG_OFFLINE_DAYS = int(os.environ.get("POVREG_OFFLINE_DAYS", "7"))

# Whether anonymous callers may read rates of approved lists (off by default).
POVREG_PUBLIC_RATES = env_bool("POVREG_PUBLIC_RATES", False)
# Mail (password reset): only when a mail server is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_CONFIGURED = bool(EMAIL_HOST)
if EMAIL_CONFIGURED:
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "povreg@localhost")

# The app's own data folder (uploaded workbooks, private to the app's user).
POVREG_DATA_DIR = Path(os.environ.get("POVREG_DATA_DIR", BASE_DIR / "var"))
# Uploaded documents (decision scans) live in the app's own data folder and are served only through views that
# check access: there is no public MEDIA_URL.
MEDIA_ROOT = POVREG_DATA_DIR / "media"
# The monthly review's decision deadline (Decision 24/2021: "within 15 days"; counted here in working days) and
# the public holidays that are not working days (comma-separated YYYY-MM-DD).
POVREG_MONTHLY_DECISION_WORKING_DAYS = int(os.environ.get("POVREG_MONTHLY_DECISION_WORKING_DAYS", "15"))
POVREG_PUBLIC_HOLIDAYS = os.environ.get("POVREG_PUBLIC_HOLIDAYS", "")  # the year's dates, set by the department (docs/deploy.md)
# Caches: local memory by default (per process; cached approved numbers are keyed on a stamp in the database, so
# several workers never disagree); CACHE_URL=redis://host:6379/1 shares one Redis between the app servers.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "povreg"}
    }
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be a redis:// or rediss:// address (or unset for local memory).")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "povreg"}}
# How long an approved rates or flows answer stays cached (a new approval makes a new key at once).
POVREG_APPROVED_CACHE_SECONDS = int(os.environ.get("POVREG_APPROVED_CACHE_SECONDS", str(24 * 3600)))

POVREG_DECISION_MAX_BYTES = int(os.environ.get("POVREG_DECISION_MAX_BYTES", str(10 * 1024 * 1024)))
# Bounds of an uploaded survey workbook, checked before it is parsed.
POVREG_IMPORT_MAX_UNCOMPRESSED_MB = int(os.environ.get("POVREG_IMPORT_MAX_UNCOMPRESSED_MB", "400"))
# A household list export longer than this runs as a background job (downloaded from "My jobs").
POVREG_EXPORT_INLINE_ROWS = int(os.environ.get("POVREG_EXPORT_INLINE_ROWS", "5000"))
POVREG_IMPORT_MAX_ROWS = int(os.environ.get("POVREG_IMPORT_MAX_ROWS", "300000"))
# Working days a commune list must stay publicly posted before it can be submitted.
POVREG_POSTING_WORKING_DAYS = int(os.environ.get("POVREG_POSTING_WORKING_DAYS", "3"))
# An income per person per month (VND) above the first or, when not 0, below the second is implausible enough
# for the assessment form to ask the officer to confirm it before saving (a warning, not a refusal).
POVREG_INCOME_WARN_ABOVE = int(os.environ.get("POVREG_INCOME_WARN_ABOVE", "50000000"))
POVREG_INCOME_WARN_BELOW = int(os.environ.get("POVREG_INCOME_WARN_BELOW", "100000"))

# Login throttling and lockout (django-axes), in the database all workers share. A failure counts against the
# account and against the address; either reaching the limit locks it out for the cool-off time.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# Content Security Policy (django-csp): scripts only from Povreg's own static files, never inline; nothing
# loaded from another host. (Inline style attributes stay allowed; the API's interactive docs, which carry no
# personal data, are exempt: povreg/urls.py.)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Two-factor authentication (TOTP) for department staff and administrators: on in production (DEBUG off).
POVREG_REQUIRE_2FA = env_bool("POVREG_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "Povreg"

# Sessions end after an idle time (default 8 hours) and when the browser closes.
SESSION_COOKIE_AGE = int(float(os.environ.get("SESSION_IDLE_HOURS", "8")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # (the idle expiry is pushed forward by core.middleware.SessionIdleMiddleware)

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
# HTTPS deployments (docs/deploy.md): redirect to HTTPS and send HSTS.
if env_bool("HTTPS", False):
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
