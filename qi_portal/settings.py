"""QI Portal settings: one file, every knob from the environment.

Embedded defaults (no environment at all) give a working development site on SQLite with
Celery running tasks eagerly. Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL and REDIS_URL.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Under pytest the insecure development defaults are allowed, as with DEBUG.
TESTING = env_bool("QI_TESTING", "pytest" in sys.modules)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

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
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "axes",  # login lockout (qi_portal.security); unlock in the admin: Access attempts
    "facilities",
    "indicators",
    "improvement",
    "jobs",
    "exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files leave here: none below
    "csp.middleware.CSPMiddleware",
    "qi_portal.security.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "qi_portal.middleware.DefaultLanguageMiddleware",  # Indonesian unless chosen otherwise
    "django.middleware.locale.LocaleMiddleware",
    "qi_portal.middleware.ApiBodyLimitMiddleware",  # before anything reads the body
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qi_portal.security.PrivateCacheMiddleware",  # no-store for signed-in users and /api/
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # a locked-out log-in → the log-in page with why
    "qi_portal.middleware.DatabaseUnavailableMiddleware",  # first to see a view's exception
]

ROOT_URLCONF = "qi_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "qi_portal.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "qi_portal.wsgi.application"

# Database: SQLite file unless DATABASE_URL is set (postgres://user:pass@host/db → psycopg2).
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The dashboards' grouped sums are short queries whose cost estimates trip
        # PostgreSQL's JIT, which then spends more time compiling than the query runs
        # (measured: 17 of 37 ms on a district page). Off for this connection.
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
# A persistent connection the server dropped is replaced at the start of the next request
# instead of failing it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and Celery: Redis when REDIS_URL is set, otherwise local memory and eager tasks.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "qi"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Tests run tasks in-process (no worker runs there);
    # tests/qi_portal/test_infrastructure.py checks that the broker itself answers.
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", TESTING)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Jakarta"
# A broker that is down must not hold a request: requests publish once, without retries
# (indicators.tasks.publish), connecting for at most BROKER_CONNECT_TIMEOUT seconds. The
# worker and beat keep retrying their own connection at start-up.
BROKER_CONNECT_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECT_TIMEOUT", "1"))
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# max_retries 0: one connection attempt per publish; callers that want retries (beat,
# tasks queued by the worker) get them from task_publish_retry_policy.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
    "max_retries": 0,
    # acks_late tasks (jobs.tasks.run_job) a dead worker left unacknowledged are
    # redelivered after this many seconds: longer than the hard time limit below.
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
}
# Background jobs (jobs/): one task at a time per worker process (a long export must not
# hold others back), time limits, result files kept for QI_JOB_RESULT_DAYS.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
QI_JOB_SOFT_TIME_LIMIT = int(os.environ.get("QI_JOB_SOFT_TIME_LIMIT", "600"))
QI_JOB_TIME_LIMIT = int(os.environ.get("QI_JOB_TIME_LIMIT", "660"))
CELERY_TASK_SOFT_TIME_LIMIT = QI_JOB_SOFT_TIME_LIMIT
CELERY_TASK_TIME_LIMIT = QI_JOB_TIME_LIMIT
QI_JOB_RESULT_DAYS = int(os.environ.get("QI_JOB_RESULT_DAYS", "7"))
# Outbox: waits between attempts to send an e-mail; after the last one it is marked failed.
QI_EMAIL_BACKOFF_MINUTES = [int(m) for m in env_list("QI_EMAIL_BACKOFF_MINUTES", "1,5,30,120,720")]
QI_DIGEST_MAX_LINES = 30
# A dashboard table of an area with more facilities than this is exported as a job.
QI_EXPORT_INLINE_FACILITIES = int(os.environ.get("QI_EXPORT_INLINE_FACILITIES", "300"))
# Excel uploads with more rows than this are applied as a background job.
QI_IMPORT_INLINE_ROWS = int(os.environ.get("QI_IMPORT_INLINE_ROWS", "300"))
CELERY_BEAT_SCHEDULE = {
    "flush-outbox": {"task": "jobs.tasks.flush_outbox", "schedule": 60.0},
    "requeue-jobs": {"task": "jobs.tasks.requeue_jobs", "schedule": 300.0},
    "report-reminders": {
        "task": "jobs.tasks.send_reminders",
        "schedule": crontab(hour=8, minute=0),  # CELERY_TIMEZONE: Asia/Jakarta
    },
    "weekly-digest": {
        "task": "jobs.tasks.send_digests",
        "schedule": crontab(hour=7, minute=30, day_of_week="mon"),
    },
    "cleanup-jobs": {"task": "jobs.tasks.cleanup_jobs", "schedule": crontab(hour=2, minute=15)},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout (django-axes, defect 9): after AXES_FAILURE_LIMIT wrong passwords for one
# user name from one address, that pair is refused for AXES_COOLOFF_MINUTES (each further
# try restarts the wait). The pair, not the address alone: a puskesmas behind one NAT
# address is not locked out by one person's typing, nor one user by a stranger elsewhere.
# A successful log-in clears the count; an administrator unlocks in the admin ("Access
# attempts": delete the row). Attempts are kept in the database.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "qi_portal.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "qi_portal.security.client_ip"
# Reverse proxies in front of gunicorn that append to X-Forwarded-For (0: use REMOTE_ADDR).
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: Bahasa Indonesia first, English second.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

# Static files: our own under static/, front-end packages from node_modules (npm ci).
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media"))  # uploads (PDSA attachments)
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Request bodies: form and JSON data held in memory at most DATA_UPLOAD_MAX_MEMORY_SIZE
# (a larger one is refused: 413 JSON under /api/); uploaded files above
# FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file. The Excel import caps files at 5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", 5_242_880))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "indicators.api.errors.exception_handler",
    # JSON only; the browsable HTML API only in development.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # Per signed-in user and per anonymous address (cache: Redis, else local memory).
    "DEFAULT_THROTTLE_CLASSES": [
        "qi_portal.security.AnonThrottle",
        "qi_portal.security.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "10000/minute" if TESTING else "30/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "10000/minute" if TESTING else "300/minute"),
    },
    "NUM_PROXIES": NUM_PROXIES,  # 0: REMOTE_ADDR (None would trust any X-Forwarded-For)
}
SPECTACULAR_SETTINGS = {
    "TITLE": "QI Portal API",
    "DESCRIPTION": "Maternal and neonatal quality-improvement data for Indonesian districts.",
    "VERSION": "1.0.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "QI Portal <noreply@localhost>")
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend): the relay of the office.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))  # a stuck relay never hangs a task
# Absolute links in e-mails (notifications, invitations, password resets) start here.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The language cookie is the visitor's explicit choice (see DefaultLanguageMiddleware).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# Security: strict defaults when DEBUG is off (behind a TLS-terminating proxy).
SESSION_COOKIE_SECURE = not DEBUG and not TESTING
CSRF_COOKIE_SECURE = not DEBUG and not TESTING
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list is a decision for the operator of the domain
# (hard to undo), so it stays opt-in and its reminder is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"
# The admin's address (ADMIN_PATH, e.g. "beheer-7f3k/"): off the path every scanner tries.
ADMIN_PATH = (os.environ.get("ADMIN_PATH", "").strip("/") or "admin") + "/"

# Content-Security-Policy (django-csp 4): no inline script, no eval, nothing from other
# sites. Chart data travels in json_script blocks (type application/json: not script);
# htmx is told not to inject its indicator <style> (meta htmx-config in base.html); style
# attributes in templates are classes instead, so style-src needs no 'unsafe-inline'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Bootstrap's icons are data: SVG in its CSS
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}
# Browser features the site never uses, refused for it and anything it might embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# Demo mode shows the "synthetic data" banner; seed_demo switches it on in the database,
# this only forces it.
QI_DEMO_BANNER = env_bool("QI_DEMO_BANNER", False)

# A month counts as complete for an area when at least this share of the expected reports
# is in the figures (approved, or also submitted when the user includes them). Dashboards
# open on the latest complete month; trend points of incomplete months are drawn hollow and
# left out of the limits, runs and summary marks.
QI_COMPLETE_SHARE = float(os.environ.get("QI_COMPLETE_SHARE", "0.8"))

# Excel imports: refuse a workbook that unpacks to more than this (a district-year template
# unpacks to ~0.7 MB; ~1.8 KB per row), before openpyxl reads it (zip bombs).
QI_IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("QI_IMPORT_MAX_UNPACKED_BYTES", 5 * 1024 * 1024))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
