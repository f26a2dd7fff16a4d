"""Django settings for Harken, read from environment variables only (see README, "Configuration")."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from harken.lib import env

BASE_DIR = Path(__file__).resolve().parent

DATA_DIR = env.data_dir("HARKEN_DATA_DIR", Path("~/.local/share/harken"))
SECRET_KEY = env.secret_key("SECRET_KEY", DATA_DIR)
DEBUG = env.envbool("DEBUG", False)
BASE_URL = env.envurl("BASE_URL", "http://127.0.0.1:8000")
ALLOWED_HOSTS = env.envlist("ALLOWED_HOSTS", [urlsplit(BASE_URL).hostname or "127.0.0.1", "127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = [BASE_URL]
TIME_ZONE = env.envtimezone("TIME_ZONE", "UTC")
USE_TZ = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français"), ("de", "Deutsch")]
USE_I18N = True

SITE_NAME = env.envstr("SITE_NAME", "Harken")
DEFAULT_FROM_EMAIL = env.envstr("DEFAULT_FROM_EMAIL", "Harken <harken@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The minimum number of responses before a unit is ranked on leaderboards (DESIGN.md §4).
MIN_SAMPLE = env.envint("HARKEN_MIN_SAMPLE", 30, minimum=1)
CONFIDENCE = env.envint("HARKEN_CONFIDENCE", 95, minimum=50, maximum=99) / 100
# Dashboards fetch their panels again this often, so new responses appear without a reload.
DASHBOARD_REFRESH_SECONDS = env.envint("HARKEN_DASHBOARD_REFRESH_SECONDS", 10, minimum=1)

# Public survey endpoints (harken/collect): requests per minute per client address and per survey link, counted
# in the database so every process shares them; behind a reverse proxy the client address is the last
# X-Forwarded-For entry.  Survey links in emails expire after SURVEY_LINK_MAX_AGE_DAYS.
RATE_LIMIT_PER_IP = env.envint("HARKEN_RATE_LIMIT_PER_IP", 120, minimum=1)
RATE_LIMIT_PER_TOKEN = env.envint("HARKEN_RATE_LIMIT_PER_TOKEN", 30, minimum=1)
BEHIND_PROXY = env.envbool("HARKEN_BEHIND_PROXY", False)
SURVEY_LINK_MAX_AGE_DAYS = env.envint("HARKEN_SURVEY_LINK_DAYS", 120, minimum=1)
CSRF_FAILURE_VIEW = "harken.collect.views.csrf_failure"  # a friendly page for survey forms left open too long

# Sending invitations (harken/distribution): no contact is asked more than once per FATIGUE_DAYS across all
# surveys unless a survey or a per-attribute rule says otherwise; temporary SMTP failures are retried
# EMAIL_MAX_ATTEMPTS times, waiting EMAIL_RETRY_SECONDS, then twice as long each time; nothing is sent in
# the contact's quiet hours (their own time zone).
FATIGUE_DAYS = env.envint("HARKEN_FATIGUE_DAYS", 30, minimum=0)
RETENTION_MONTHS = env.envint("HARKEN_RETENTION_MONTHS", 0, minimum=0)
EMAIL_MAX_ATTEMPTS = env.envint("HARKEN_EMAIL_MAX_ATTEMPTS", 6, minimum=1)
EMAIL_RETRY_SECONDS = env.envint("HARKEN_EMAIL_RETRY_SECONDS", 60, minimum=1)
SMS_URL = env.envstr("HARKEN_SMS_URL", "").strip()
if SMS_URL and urlsplit(SMS_URL).scheme not in ("twilio", "twilio+http"):
    raise ImproperlyConfigured("HARKEN_SMS_URL: expected twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com/?from=NUMBER")
QUIET_HOURS = env.envstr("HARKEN_QUIET_HOURS", "21:00-08:00").strip().lower()
if not re.fullmatch(r"off|(([01]?\d|2[0-3]):[0-5]\d)-(([01]?\d|2[0-3]):[0-5]\d)", QUIET_HOURS):
    raise ImproperlyConfigured(f"HARKEN_QUIET_HOURS: expected a span like 21:00-08:00 or off, got {QUIET_HOURS!r}")
# Envelope sender of invitations: bounces come back to BOUNCE_ADDRESS with +i<id>-<signature> (VERP).
BOUNCE_ADDRESS = env.envstr("HARKEN_BOUNCE_ADDRESS", "").strip()
if BOUNCE_ADDRESS and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", BOUNCE_ADDRESS):
    raise ImproperlyConfigured(f"HARKEN_BOUNCE_ADDRESS: expected an address like bounces@x.com, got {BOUNCE_ADDRESS!r}")

# Outgoing webhooks (harken/integrations/webhooks): a failed delivery is retried WEBHOOK_MAX_ATTEMPTS times in all,
# waiting WEBHOOK_RETRY_SECONDS, then twice as long each time (capped at 6 hours): the defaults cover ~38 hours.
WEBHOOK_MAX_ATTEMPTS = env.envint("HARKEN_WEBHOOK_MAX_ATTEMPTS", 15, minimum=1)
WEBHOOK_RETRY_SECONDS = env.envint("HARKEN_WEBHOOK_RETRY_SECONDS", 30, minimum=1)
WEBHOOK_TIMEOUT_SECONDS = env.envint("HARKEN_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)

# Single sign-on through OpenID Connect (harken/org/sso.py, docs/sso.md): off unless an issuer and a client id
# are set.  The provider must allow the redirect URI BASE_URL + /login/sso/callback/.
OIDC_ISSUER = env.envstr("HARKEN_OIDC_ISSUER", "").strip()
OIDC_CLIENT_ID = env.envstr("HARKEN_OIDC_CLIENT_ID", "").strip()
OIDC_CLIENT_SECRET = env.envstr("HARKEN_OIDC_CLIENT_SECRET", "").strip()
OIDC_PROVIDER_NAME = env.envstr("HARKEN_OIDC_PROVIDER_NAME", "single sign-on").strip() or "single sign-on"
OIDC_CREATE_USERS = env.envbool("HARKEN_OIDC_CREATE_USERS", False)
if OIDC_ISSUER and (urlsplit(OIDC_ISSUER).scheme not in ("http", "https") or not urlsplit(OIDC_ISSUER).hostname):
    raise ImproperlyConfigured(f"HARKEN_OIDC_ISSUER: expected an absolute http(s) URL, got {OIDC_ISSUER!r}")
if bool(OIDC_ISSUER) != bool(OIDC_CLIENT_ID):
    raise ImproperlyConfigured("HARKEN_OIDC_ISSUER and HARKEN_OIDC_CLIENT_ID: set both for single sign-on, or neither")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "ninja",  # serves the API docs page with its own static files (no CDN; the CSP allows only our origin)
    "django_tasks",
    "django_tasks_db",
    "harken",  # the project package itself, for its templates, static files and `harken` commands
    "harken.org",
    "harken.surveys",
    "harken.contacts",
    "harken.distribution",
    "harken.collect",
    "harken.analytics",
    "harken.dashboards",
    "harken.api",
    "harken.io",
    "harken.integrations",
    "harken.loop",
    "harken.integrations.webhooks",
    "harken.demo",
    "harken.text",
    "harken.reports",
    "harken.reports.digests",
    "harken.reports.metric_alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "harken.org.audit.ActingUserMiddleware",  # who changed memberships, for the audit log
    "harken.lib.middleware.LoginRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "harken.lib.middleware.content_security_policy",
]

ROOT_URLCONF = "harken.urls"
WSGI_APPLICATION = "harken.wsgi.application"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboards:overview"
LOGOUT_REDIRECT_URL = "login"

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
                "harken.lib.context.site",
            ],
        },
    },
]

DATABASES = {"default": env.database("DATABASE_URL", DATA_DIR / "harken.sqlite3")}
if DATABASES["default"]["ENGINE"] == "harken.lib.sqlite":
    # Keep each thread's SQLite connection open: opening one runs the PRAGMAs, and closing the last one of a
    # WAL database checkpoints it, which cost ~7 ms of every request (bench/answer_throughput.py).
    DATABASES["default"].setdefault("CONN_MAX_AGE", None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

_email = env.email("EMAIL_URL", "console:")
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_FILE_PATH = _email.file_path
EMAIL_TIMEOUT = 20

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # only for `harken collectstatic`; WhiteNoise serves from the apps otherwise
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.envstr("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
