"""Settings read from `CRM_*` environment variables; `.env.example` documents each one."""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from crm.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CRM_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("CRM_DEBUG", False)
SECRET_KEY = env_str("CRM_SECRET_KEY", "insecure-development-key" if DEBUG else None)
ALLOWED_HOSTS = env_list("CRM_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CRM_CSRF_TRUSTED_ORIGINS", [])

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
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "crm.core",
    "crm.accounts",
    "crm.parties",
    "crm.catalog",
    "crm.activities",
    "crm.sales",
    "crm.documents",
    "crm.files",
    "crm.playbooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("CRM_DATABASE_URL", f"sqlite:///{VAR_DIR / 'crm.sqlite3'}"),
        conn_max_age=env_int("CRM_DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# The fixed queries of every request are prepared once per connection on PostgreSQL (crm.core.db.fetch_rows).
# Behind PgBouncer: false, unless it is 1.22+ with max_prepared_statements > 0 and plan_cache_mode in its
# track_extra_parameters (it refuses startup options it does not track).
CRM_DATABASE_PREPARE = env_bool("CRM_DATABASE_PREPARE", True)
if CRM_DATABASE_PREPARE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Those prepared statements are planned once: PostgreSQL would otherwise re-plan them on every run as long as
    # a plan for the values at hand looks cheaper. Only they are affected, as Django's own queries are not prepared
    # (do not add server_side_binding to the database URL: every ORM query would get a generic plan, and the
    # prefix searches would lose their indexes).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write while pages read; IMMEDIATE avoids "database is locked" on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["crm.accounts.backends.RoleBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "activities:today"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("CRM_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Files and sales materials (crm.files) ---------------------------------------------------------------
# Uploads go through Django's default storage: var/media by default, an S3-compatible bucket when
# CRM_S3_BUCKET is set. Downloads are always streamed by a view that checks access, never served from /media/.
CRM_FILE_MAX_MB = env_int("CRM_FILE_MAX_MB", 25)
# Extensions accepted for upload; the content must also look like its extension (crm/files/validation.py).
_FILE_TYPES = "pdf doc docx xls xlsx ppt pptx odt ods odp rtf txt csv jpg jpeg png gif webp heic tif tiff zip"
CRM_FILE_TYPES = [ext.lower().lstrip(".") for ext in env_list("CRM_FILE_TYPES", _FILE_TYPES.split())]
CRM_S3_BUCKET = env_str("CRM_S3_BUCKET", "")
if CRM_S3_BUCKET:
    # django-storages reads its AWS_* settings; objects stay private (no ACL, signed URLs only) and are never
    # overwritten: every download is streamed by a view that checks access first.
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = CRM_S3_BUCKET
    AWS_S3_ENDPOINT_URL = env_str("CRM_S3_ENDPOINT_URL", "") or None
    AWS_S3_ACCESS_KEY_ID = env_str("CRM_S3_ACCESS_KEY", "") or None
    AWS_S3_SECRET_ACCESS_KEY = env_str("CRM_S3_SECRET_KEY", "") or None
    AWS_S3_REGION_NAME = env_str("CRM_S3_REGION", "") or None
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_S3_FILE_OVERWRITE = False
# --- end of files settings ----------------------------------------------------------------------------------

# E-mail: SMTP when CRM_EMAIL_HOST is set, otherwise .eml files under var/mail/.
EMAIL_HOST = env_str("CRM_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("CRM_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("CRM_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = env_str("CRM_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("CRM_EMAIL_USE_TLS", True)
    # Seconds to wait for the mail server; shorter than CRM_REMINDER_LEASE_SECONDS, so a hung server cannot
    # make a reminder outlive its lease and be taken over (and mailed again) by another worker.
    EMAIL_TIMEOUT = env_int("CRM_EMAIL_TIMEOUT", 30)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("CRM_EMAIL_FROM", "crm@localhost")

# Background work: the Django Tasks API, carried by Huey (SQLite file or Redis).
REDIS_URL = env_str("CRM_REDIS_URL", "")
# The queue's name and the cache's key prefix in Redis: installations sharing one Redis server differ here.
REDIS_PREFIX = env_str("CRM_REDIS_PREFIX", "crm")
TASKS = {"default": {"BACKEND": "crm.core.tasks_backend.HueyBackend"}}
HUEY_SETTINGS = {
    "name": REDIS_PREFIX,
    "redis_url": REDIS_URL,
    "sqlite_path": str(VAR_DIR / "huey.sqlite3"),
    "immediate": False,
}
# How long a worker may take to deliver one reminder (bell and e-mail) before another worker may take it over:
# longer than the mail server's slowest answer. A worker that dies mid-way delays its reminder by this much.
CRM_REMINDER_LEASE_SECONDS = env_int("CRM_REMINDER_LEASE_SECONDS", 120)

# The cache counts the public lead form's posts per address (CRM_LEAD_FORM_RATE_PER_MINUTE). With Redis every web
# process on every host counts together; without it each process counts alone in its memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "crm.accounts.authentication.UserTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "crm.core.api.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "crm.core.api.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM API",
    "DESCRIPTION": "Clients, contacts, classifiers, interactions and tasks.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from the installed package, not a CDN: the docs work offline and behind firewalls.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# How old a confirmation of a phone, e-mail or address may be before it is shown as stale (S15).
CRM_CONTACT_STALE_DAYS = env_int("CRM_CONTACT_STALE_DAYS", 180)
# Trusted proxies (load balancers) in front of the CRM, each adding to X-Forwarded-For: with N > 0 the client's
# address (rate limits) is the one the outermost of them saw; 0 uses the connection's address.
CRM_PROXY_HOPS = env_int("CRM_PROXY_HOPS", 0)
# Lists show exact totals up to this number, then "N+" (counting millions of rows is slow).
CRM_LIST_COUNT_CAP = env_int("CRM_LIST_COUNT_CAP", 10000)
# The secret a company site sends with its lead form to /sales/leads/webform/; empty turns the form off.
CRM_LEAD_FORM_TOKEN = env_str("CRM_LEAD_FORM_TOKEN", "")
CRM_LEAD_FORM_RATE_PER_MINUTE = env_int("CRM_LEAD_FORM_RATE_PER_MINUTE", 10)
# Used in links inside e-mails, e.g. https://crm.example.com
CRM_BASE_URL = env_str("CRM_BASE_URL", "").rstrip("/")
CRM_PHONE_REGION = env_str("CRM_PHONE_REGION", "RU")

SESSION_COOKIE_SECURE = env_bool("CRM_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CRM_LOG_LEVEL", "INFO")},
}
