"""The one settings file. Every value comes from the environment (see .env.example)."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portail.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

# Keys that encrypt IBANs, mandate and health data at rest (portail/lib/encryption.py): Fernet
# keys, never SECRET_KEY. The first encrypts, all decrypt (rotation: prepend a new key, run
# `manage.py rotate_encryption_keys`, then remove the old one).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off.")
    FIELD_ENCRYPTION_KEYS = ["ZGV2ZWxvcG1lbnQtb25seS1maWVsZC1rZXktMDAwMDA="]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Absolute address of the portal, used in e-mails (activation and reset links) so that a
# forged Host header can never choose where a link points.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "portail.backoffice.apps.BackofficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "portail.lib",
    "portail.organisation",
    "portail.accounts",
    "portail.nurseries",
    "portail.households",
    "portail.notifications",
    "portail.jobs",
    "portail.billing",
    "portail.payments",
    "portail.direct_debits",
    "portail.content",
    "portail.audit",
    "portail.payfip_simulator",
    "portail.portal",
    "portail.backoffice.apps.BackofficeConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portail.accounts.middleware.AbsoluteSessionTimeoutMiddleware",
    "portail.accounts.middleware.PortalLoginRequiredMiddleware",
    "portail.accounts.middleware.FamilyGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portail.organisation.context_processors.organisation",
                "portail.portal.context_processors.portal",
            ],
            "string_if_invalid": env_str("TEMPLATE_STRING_IF_INVALID", ""),
        },
    }
]

# --- Database -----------------------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL (postgres://…) switches to PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "var" / "portail.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
                # timeout instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and authentication ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portail.accounts.backends.IdentifierOrEmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The municipal rule is the floor; long passphrases are exempt from the composition rule.
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 8)
PASSWORD_STAFF_MIN_LENGTH = env_int("PASSWORD_STAFF_MIN_LENGTH", 12)
PASSWORD_REQUIRE_UPPERCASE = env_bool("PASSWORD_REQUIRE_UPPERCASE", True)
PASSWORD_REQUIRE_DIGIT = env_bool("PASSWORD_REQUIRE_DIGIT", True)
PASSWORD_PASSPHRASE_LENGTH = env_int("PASSWORD_PASSPHRASE_LENGTH", 15)  # 0 turns it off
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "portail.accounts.validators.MunicipalPasswordValidator"},
    {"NAME": "portail.accounts.validators.MaximumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"
ACTIVATION_LINK_DAYS = env_int("ACTIVATION_LINK_DAYS", 7)
PASSWORD_RESET_LINK_MINUTES = env_int("PASSWORD_RESET_LINK_MINUTES", 60)
TEMPORARY_PASSWORD_DAYS = env_int("TEMPORARY_PASSWORD_DAYS", 7)

# Sessions: 30 minutes idle (the cookie is renewed on every request), 12 hours absolute.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_WARNING_SECONDS = env_int("SESSION_WARNING_MINUTES", 5) * 60
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True

# Login throttling (CNIL 2022-100 "cas n° 2"): per account and per IP, 10 consecutive
# failures lock for 15 minutes; a password reset unlocks the account.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
# A successful login clears only that account's failures (the login view does it), never
# the address's failures against other accounts.
AXES_RESET_ON_SUCCESS = False
AXES_USERNAME_CALLABLE = "portail.accounts.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "portail.portal.views.accounts.locked_out"
# How many reverse proxies stand in front of the portal and append to X-Forwarded-For.
# 0: the client's address is REMOTE_ADDR and X-Forwarded-For is ignored.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "portail.accounts.backends.client_ip_address"

OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Portail Famille")

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- Static and media files --------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))

# --- E-mail ------------------------------------------------------------------------------
# Every e-mail is stored in the outbox (notifications.OutgoingEmail) and sent by a task.
# In development the console backend prints it and /dev/outbox/ shows it.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "nepasrepondre@portail-famille.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 5)
# The /dev/outbox/ page answers only when DEBUG is on too (portail/notifications/views.py).
OUTBOX_PAGE_ENABLED = env_bool("OUTBOX_PAGE_ENABLED", True)

# --- PayFiP simulator (portail/payfip_simulator) -------------------------------------------
# A local stand-in for the DGFiP's payment service, mounted at /payfip-simulateur/. Never on in
# production: `manage.py check` warns when it is on without DEBUG, `check --deploy` fails.
PAYFIP_SIMULATOR_ENABLED = env_bool("PAYFIP_SIMULATOR_ENABLED", DEBUG)
# The simulator records payments but never notifies the portal (to test the reconciliation).
PAYFIP_SIMULATOR_DROP_NOTIFICATIONS = env_bool("PAYFIP_SIMULATOR_DROP_NOTIFICATIONS", False)

# --- PayFiP (portail/payments/payfip.py, through eopayment's payfip_ws) ---------------------
# The DGFiP's addresses by default; the simulator's when it is on (the demo).
_PAYFIP_BASE = (
    SITE_URL + "/payfip-simulateur" if PAYFIP_SIMULATOR_ENABLED else "https://www.payfip.gouv.fr"
)
PAYFIP_WSDL_URL = env_str("PAYFIP_WSDL_URL", "")  # empty: the WSDL shipped with eopayment
PAYFIP_ENDPOINT_URL = env_str("PAYFIP_ENDPOINT_URL", _PAYFIP_BASE + "/tpa/services/securite")
PAYFIP_PAYMENT_URL = env_str("PAYFIP_PAYMENT_URL", _PAYFIP_BASE + "/tpa/paiementws.web")
PAYFIP_TIMEOUT = env_int("PAYFIP_TIMEOUT", 15)  # seconds, for each SOAP call

# --- Background tasks --------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Security ----------------------------------------------------------------------------
SECURE_SSL = env_bool("SECURE_SSL", not DEBUG)
if SECURE_SSL:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
