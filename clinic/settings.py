"""Settings for the clinic system, read from the environment.

It works with no configuration at all (SQLite next to the code, DEBUG off unless asked for);
`.env.example` lists every variable. There is one settings module for every environment.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envsecret(name: str, default: str | None = None) -> str:
    """A secret from the environment, or from the file named by NAME_FILE (systemd credentials)."""
    path = os.getenv(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    value = os.getenv(name, default)
    if value is None:
        raise RuntimeError(f"{name} must be set")
    return value


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "False")
# The fallback key exists so that tests and `make run` work on a fresh machine; `check --deploy`
# rejects it (it is short and marked insecure), so it cannot reach production unnoticed.
SECRET_KEY = envsecret("SECRET_KEY", "django-insecure-local-development-key")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
# Where the public reaches the system: every link in a message (e-mail, SMS, calendar feed) is
# made absolute from it (clinic.core.public_url). `make run` derives it from PORT. SITE_ROOT is
# the name older configurations used.
PUBLIC_BASE_URL = (
    os.getenv("PUBLIC_BASE_URL") or os.getenv("SITE_ROOT") or "http://127.0.0.1:8000"
).rstrip("/")

INSTALLED_APPS = [
    "modeltranslation",  # must precede django.contrib.admin-style apps that read model fields
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "django_htmx",
    "django_tasks_db",
    "phonenumber_field",
    "clinic.core",
    "clinic.accounts",
    "clinic.locations",
    "clinic.formulary",
    "clinic.patients",
    "clinic.courses",
    "clinic.inquiries",
    "clinic.website",
    "clinic.controlled_drugs",
    "clinic.assessments",
    "clinic.scheduling",
    "clinic.treatment",
    "clinic.billing",
    "clinic.portal",
    "clinic.dashboard",
    "clinic.demo",
]

MIDDLEWARE = [
    # First: health probes answer without host checks, redirects, sessions or the database.
    "clinic.core.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clinic.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "clinic.core.middleware.UkrainianFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clinic.core.middleware.AbsoluteSessionLimitMiddleware",
    "clinic.core.middleware.SessionRenewalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so that a lockout answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "clinic" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.core.context_processors.shell",
                "clinic.locations.context_processors.sites",
                "clinic.treatment.context_processors.chair_alerts",
            ],
        },
    },
]


def database_from_url(url: str) -> dict:
    """DATABASE_URL=postgres://user:password@host:port/name -> a DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise RuntimeError("DATABASE_URL must start with postgres://")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", "60"),
        # A connection that died while idle (server restart) is replaced instead of failing
        # the next request.
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": envint("DB_CONNECT_TIMEOUT", "3")},
    }


if os.getenv("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    SQLITE_PATH = Path(os.getenv("SQLITE_PATH", str(BASE_DIR / "var" / "clinic.sqlite3")))
    # A fresh checkout has no var/; any manage.py command should work there.
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            # Measured on this hardware: with Django's deferred transactions 948 of 1000
            # concurrent writes failed with "database is locked"; with these options, none.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 10,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            },
            "TEST": {"NAME": os.getenv("SQLITE_TEST_PATH") or None},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# The database cache is shared by every worker process: allauth's TOTP replay guard and
# rate limits rely on it being one cache, not one per process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "clinic_cache",
    }
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions: 15 minutes idle (the cookie age, renewed by activity), 12 hours absolute
# (AbsoluteSessionLimitMiddleware). security.md §1.2.
SESSION_COOKIE_AGE = envint("SESSION_IDLE_SECONDS", "900")
# Renewed at most once a minute (core.middleware.SessionRenewalMiddleware), not written on
# every request; the idle limit holds to within that minute.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_SECONDS = envint("SESSION_RENEW_SECONDS", "60")
# How long the staff menu's counters (new inquiries, open alerts) may lag (core.navigation).
NAV_COUNTER_SECONDS = envint("NAV_COUNTER_SECONDS", "10")
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = envint("SESSION_ABSOLUTE_SECONDS", str(12 * 3600))
SESSION_COOKIE_HTTPONLY = True

# The patient portal (clinic/portal): its own session cookie and limits, and the one-time
# sign-in codes with their rate limits (security.md: portal rows, ASVS 6.1.1, 2.4.1).
PORTAL_SESSION_COOKIE = "portal_session"
PORTAL_IDLE_SECONDS = envint("PORTAL_IDLE_SECONDS", "900")
PORTAL_ABSOLUTE_SECONDS = envint("PORTAL_ABSOLUTE_SECONDS", str(12 * 3600))
PORTAL_SHARED_IDLE_SECONDS = envint("PORTAL_SHARED_IDLE_SECONDS", "300")
PORTAL_SHARED_ABSOLUTE_SECONDS = envint("PORTAL_SHARED_ABSOLUTE_SECONDS", "3600")
PORTAL_CODE_MINUTES = envint("PORTAL_CODE_MINUTES", "10")
PORTAL_CODE_LENGTH = 6
PORTAL_CODE_MAX_ATTEMPTS = envint("PORTAL_CODE_MAX_ATTEMPTS", "5")
PORTAL_LIMIT_WINDOW_MINUTES = envint("PORTAL_LIMIT_WINDOW_MINUTES", "15")
PORTAL_CODE_REQUESTS_PER_IDENTIFIER = envint("PORTAL_CODE_REQUESTS_PER_IDENTIFIER", "5")
PORTAL_FAILED_CODES_PER_IDENTIFIER = envint("PORTAL_FAILED_CODES_PER_IDENTIFIER", "10")
PORTAL_ATTEMPTS_PER_IP = envint("PORTAL_ATTEMPTS_PER_IP", "30")
PORTAL_MESSAGES_PER_HOUR = envint("PORTAL_MESSAGES_PER_HOUR", "5")
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "False")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "False")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "False")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if envbool("BEHIND_TLS_PROXY", "False"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Addresses or networks of the reverse proxies in front (nginx on the same host: 127.0.0.1).
# Only they may name the client in X-Forwarded-For; clinic.core.network.client_ip decides.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", "")
X_FRAME_OPTIONS = "DENY"

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Internationalisation: Ukrainian first, English complete.
LANGUAGE_CODE = "uk"
LANGUAGES = [("uk", _("Ukrainian")), ("en", _("English"))]
MODELTRANSLATION_DEFAULT_LANGUAGE = "uk"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("uk", "en")
LOCALE_PATHS = [BASE_DIR / "clinic" / "locale"]
TIME_ZONE = "Europe/Kyiv"
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = "UA"

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "clinic" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("COMPRESS_STATIC", "False")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard:today"

# django-allauth: e-mail login only; accounts are created by administrators, never by sign-up.
ACCOUNT_ADAPTER = "clinic.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SESSION_COOKIE_SECURE else "http"
MFA_ADAPTER = "clinic.accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Setting up the mandatory second factor right after the first sign-in should not ask for the
# password again; switching it off is refused anyway (MFAAdapter.can_delete_authenticator).
# Recovery codes and the audit and patient exports ask for a sign-in or re-authentication within
# ACCOUNT_REAUTHENTICATION_TIMEOUT instead (core.policy.recently_authenticated).
MFA_REAUTHENTICATION_REQUIRED = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300  # seconds
# Accept the code of the previous 30-second step too (RFC 6238 §5.2: at most one step of
# delay); allauth's replay guard still refuses a code used once.
MFA_TOTP_TOLERANCE = 1
MFA_TOTP_ISSUER = os.getenv("MFA_TOTP_ISSUER", "Clinic")
# MFA secrets are encrypted at rest with a key of their own (AES-GCM), so a database dump
# alone does not give away second factors.
MFA_ENCRYPTION_KEY = envsecret("MFA_ENCRYPTION_KEY", "")  # empty: derived from SECRET_KEY

# Sign-in limits (security.md §1.1, ASVS 6.1.1: against guessing, without letting one
# attacker lock others out). Three counts of failed sign-ins, each over the cool-off time:
# - per (account, address), django-axes: AXES_FAILURE_LIMIT, then that pair is locked out;
# - per account from all addresses, allauth: SIGN_IN_FAILURES_PER_ACCOUNT. Attempts from an
#   address already locked out for the account are not counted (AccountAdapter), so one
#   address cannot use up an account's limit;
# - per address for all accounts, allauth: SIGN_IN_FAILURES_PER_ADDRESS, much higher, because
#   the staff of a site usually share one public address.
SIGN_IN_COOLOFF_MINUTES = envint("AXES_COOLOFF_MINUTES", "15")
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = SIGN_IN_COOLOFF_MINUTES / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "clinic.accounts.adapters.axes_username"
AXES_CLIENT_IP_CALLABLE = "clinic.core.network.client_ip"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = envbool("AXES_ENABLED", "True")
SIGN_IN_FAILURES_PER_ACCOUNT = envint("SIGN_IN_FAILURES_PER_ACCOUNT", "20")
SIGN_IN_FAILURES_PER_ADDRESS = envint("SIGN_IN_FAILURES_PER_ADDRESS", "200")
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{SIGN_IN_FAILURES_PER_ADDRESS}/{SIGN_IN_COOLOFF_MINUTES}m/ip,"
        f"{SIGN_IN_FAILURES_PER_ACCOUNT}/{SIGN_IN_COOLOFF_MINUTES}m/key"
    ),
    # Every sign-in attempt, failed or not, per address (allauth's default is 30 a minute).
    "login": f"{SIGN_IN_FAILURES_PER_ADDRESS}/{SIGN_IN_COOLOFF_MINUTES}m/ip",
}

# Background work: Django's tasks framework, stored in the database (django-tasks-db) and run by
# `manage.py db_worker` (`make worker`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "clinic@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.getenv("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": envint("EMAIL_PORT", "587"),
                "username": os.getenv("EMAIL_USER", ""),
                "password": envsecret("EMAIL_PASSWORD", ""),
                "use_tls": envbool("EMAIL_USE_TLS", "True"),
                "timeout": envint("EMAIL_TIMEOUT", "10"),
            },
        }
    }
else:
    # No SMTP configured: messages are written to the console (the outbox still records them).
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# Public contact form: inquiries accepted per sender (hashed IP) per hour.
INQUIRY_LIMIT_PER_HOUR = envint("INQUIRY_LIMIT_PER_HOUR", "5")
# Controlled drugs: lots expiring within this many days are flagged (the centre's own policy).
DRUG_EXPIRY_WARNING_DAYS = envint("DRUG_EXPIRY_WARNING_DAYS", "90")

# Outbox delivery: attempts before a message is dead-lettered, and the first retry delay.
OUTBOX_MAX_ATTEMPTS = envint("OUTBOX_MAX_ATTEMPTS", "8")
OUTBOX_RETRY_BASE_SECONDS = envint("OUTBOX_RETRY_BASE_SECONDS", "60")
SMS_GATEWAY_URL = os.getenv("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = envsecret("SMS_GATEWAY_TOKEN", "")
TELEGRAM_GATEWAY_URL = os.getenv("TELEGRAM_GATEWAY_URL", "")
TELEGRAM_GATEWAY_TOKEN = envsecret("TELEGRAM_GATEWAY_TOKEN", "")
VIBER_GATEWAY_URL = os.getenv("VIBER_GATEWAY_URL", "")
VIBER_GATEWAY_TOKEN = envsecret("VIBER_GATEWAY_TOKEN", "")
MESSAGE_GATEWAY_TIMEOUT_SECONDS = envint("MESSAGE_GATEWAY_TIMEOUT_SECONDS", "10")
# Only the tests' stub gateway on 127.0.0.1 may be plain http; a real gateway needs https.
MESSAGE_GATEWAY_ALLOW_LOOPBACK_HTTP = False
# Fiscal receipts (billing.fiscal): the PRRO service; unset, payments wait unregistered
# (in development they get a made-up number).
PRRO_URL = os.getenv("PRRO_URL", "")
PRRO_TOKEN = envsecret("PRRO_TOKEN", "")
PRRO_TIMEOUT_SECONDS = envint("PRRO_TIMEOUT_SECONDS", "10")
# Online payment links (billing.online): the payment service, its token, and the secret its
# callbacks are signed with (HMAC-SHA256 of the body). Unset: creating a link is refused.
PAYMENT_LINK_URL = os.getenv("PAYMENT_LINK_URL", "")
PAYMENT_LINK_TOKEN = envsecret("PAYMENT_LINK_TOKEN", "")
PAYMENT_LINK_SECRET = envsecret("PAYMENT_LINK_SECRET", "")
PAYMENT_LINK_TIMEOUT_SECONDS = envint("PAYMENT_LINK_TIMEOUT_SECONDS", "10")
PAYMENT_LINK_VALID_HOURS = envint("PAYMENT_LINK_VALID_HOURS", "72")
# The service's name as staff know it, shown in the cash report ("Online payment (...)").
PAYMENT_LINK_PROVIDER_NAME = os.getenv("PAYMENT_LINK_PROVIDER_NAME", "")

# Scheduling: the slot grid, how long before a visit the reminder goes, how long a place
# offered from the waitlist is held (clinic decisions, not clinical rules).
SCHEDULING_SLOT_STEP_MINUTES = envint("SCHEDULING_SLOT_STEP_MINUTES", "15")
REMINDER_HOURS_BEFORE = envint("REMINDER_HOURS_BEFORE", "24")
WAITLIST_HOLD_MINUTES = envint("WAITLIST_HOLD_MINUTES", "120")
# Online booking from the public site (scheduling/online.py): how long a chosen time is held
# while the person fills the form, how long a code lives (ASVS 6.5.5: at most 10 minutes),
# wrong codes before the booking is given up, and the anti-automation limits per hour.
ONLINE_BOOKING_HOLD_MINUTES = envint("ONLINE_BOOKING_HOLD_MINUTES", "15")
ONLINE_BOOKING_CODE_MINUTES = envint("ONLINE_BOOKING_CODE_MINUTES", "10")
ONLINE_BOOKING_MAX_WRONG_CODES = envint("ONLINE_BOOKING_MAX_WRONG_CODES", "5")
ONLINE_BOOKING_HOLDS_PER_IP_PER_HOUR = envint("ONLINE_BOOKING_HOLDS_PER_IP_PER_HOUR", "10")
ONLINE_BOOKING_CODES_PER_IP_PER_HOUR = envint("ONLINE_BOOKING_CODES_PER_IP_PER_HOUR", "6")
ONLINE_BOOKING_CODES_PER_CONTACT_PER_HOUR = envint("ONLINE_BOOKING_CODES_PER_CONTACT_PER_HOUR", "3")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}
