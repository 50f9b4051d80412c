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
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portail.lib.request_log.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portail.lib.sessions.SessionRenewalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portail.accounts.middleware.AbsoluteSessionTimeoutMiddleware",
    "portail.accounts.middleware.PortalLoginRequiredMiddleware",
    "portail.accounts.middleware.FamilyGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portail.accounts.middleware.SecurityHeadersMiddleware",
    "portail.audit.middleware.AdminAuditMiddleware",
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
    # Argon2id at OWASP's parameters, within the hashing budget (docs/operations.md).
    "portail.accounts.hashers.Argon2idHasher",
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
    # French common words and the portal's context (town, nurseries, names) with digits around.
    {"NAME": "portail.accounts.validators.ContextPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"
ACTIVATION_LINK_DAYS = env_int("ACTIVATION_LINK_DAYS", 7)
PASSWORD_RESET_LINK_MINUTES = env_int("PASSWORD_RESET_LINK_MINUTES", 60)
TEMPORARY_PASSWORD_DAYS = env_int("TEMPORARY_PASSWORD_DAYS", 7)

# Sessions: 30 minutes idle (the cookie is renewed at most once a minute by
# portail.lib.sessions.SessionRenewalMiddleware, not saved on every request), 12 hours absolute.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_WARNING_SECONDS = env_int("SESSION_WARNING_MINUTES", 5) * 60
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True

# Login throttling (CNIL 2022-100 "cas n° 2"): per account and per IP, 10 consecutive
# failures lock for 15 minutes, and an account is locked once 25 wrong passwords were tried
# on it in 24 hours (portail/accounts/lockout.py); a password reset unlocks the account.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_HANDLER = "portail.accounts.lockout.DailyBudgetHandler"
LOGIN_FAILURES_PER_DAY = 25  # CNIL 2022-100 cas n° 2: at most 25 failed attempts per 24 h
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

# --- Content: news, menus, documents, practical pages (portail/content) --------------------
# Largest picture or PDF staff may attach to content, in megabytes.
CONTENT_UPLOAD_MAX_MB = env_int("CONTENT_UPLOAD_MAX_MB", 5)
# On a guardian's first visit to MON ACCUEIL, content of the last N days counts as new.
CONTENT_NEW_DAYS_FIRST_VISIT = env_int("CONTENT_NEW_DAYS_FIRST_VISIT", 30)

# --- Family requests (portail/households) ---------------------------------------------------
# Largest file a family may attach to a request (a medical certificate, a document), in bytes.
REQUEST_UPLOAD_MAX_BYTES = env_int("REQUEST_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)

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

# --- Production and scale: several nodes (docs/operations.md) ------------------------------
# Nothing a node keeps in its own memory may matter to the next request, which another node
# may serve: sessions and the cache live in the database (or Redis), files in MEDIA_ROOT on
# a shared disk (or S3-compatible storage), tasks in the database queue (or Redis).
# Static files: each node serves the collected files itself (WhiteNoise), compressed and under
# hashed names cached for a year (`manage.py collectstatic` at each release). Off: the plain
# storage, for servers that run without collecting (development, the multi-node tests).
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
# Media (invoice PDFs, uploads): "filesystem" (MEDIA_ROOT, shared by every node: NFS) or "s3".
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "filesystem")
if MEDIA_STORAGE == "filesystem":
    _MEDIA_BACKEND = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif MEDIA_STORAGE == "s3":
    # django-storages; any S3-compatible service (Scaleway, OVHcloud, MinIO, Garage). Files are
    # private: the portal streams them after checking who asks, never links to the bucket.
    _MEDIA_BACKEND = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID"),
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY"),
            "location": env_str("AWS_LOCATION"),
            "default_acl": None,
            "file_overwrite": False,
        },
    }
else:
    raise ImproperlyConfigured('MEDIA_STORAGE must be "filesystem" or "s3".')
STORAGES = {
    "default": _MEDIA_BACKEND,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Cache and sessions shared by every node: the database (table created by `migrate`), or
# Redis when REDIS_URL is set (sessions then read from Redis, written through to the database).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portail_cache",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
# TASKS_BACKEND=django_tasks_rq.RQBackend (pip install ".[redis]") queues the tasks in Redis
# (REDIS_URL); the workers are then `manage.py rqworker default` instead of `db_worker`.
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=django_tasks_rq.RQBackend needs REDIS_URL.")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
# /sante/ answers 503 when a task has been ready to run for longer than this (no worker).
HEALTH_QUEUE_MAX_AGE_SECONDS = env_int("HEALTH_QUEUE_MAX_AGE_MINUTES", 15) * 60
# Load balancers check /sante/ over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^sante/$"]
# Logs: "json" (one object per line, for journald or a log shipper) or "text".
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")

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
    # The « preload » token only lets the town submit its domain at hstspreload.org (which
    # takes registrable domains only); nothing is preloaded until it does.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp 4): no inline script or style, no eval, never framed.
# Forms post only to the portal, and to PayFiP's origin: paying is a POST answered by a 302
# to PayFiP's page, and browsers apply form-action to that redirect.
_PAYFIP_ORIGIN = "/".join(PAYFIP_PAYMENT_URL.split("/")[:3])
# The payment pages of the other services a régie may choose (eopayment's addresses), whose
# signed form the family's browser posts; more with CSP_EXTRA_FORM_ACTIONS.
_PAYMENT_FORM_ORIGINS = [
    "https://paiement.systempay.fr",
    "https://secure.payzen.eu",
    "https://tpeweb.paybox.com",
    "https://tpeweb1.paybox.com",
    "https://preprod-tpeweb.paybox.com",
    *env_list("CSP_EXTRA_FORM_ACTIONS"),
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *env_list("CSP_EXTRA_IMG_SOURCES")],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", _PAYFIP_ORIGIN, *_PAYMENT_FORM_ORIGINS],
    }
}
# Browser features no page of the portal uses (SecurityHeadersMiddleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

# Password reset requests: at most this many e-mails per account per hour (the answer never
# changes), and this many requests per IP address per hour before « too many requests ».
PASSWORD_RESET_EMAILS_PER_HOUR = env_int("PASSWORD_RESET_EMAILS_PER_HOUR", 5)
PASSWORD_RESET_REQUESTS_PER_IP_HOUR = env_int("PASSWORD_RESET_REQUESTS_PER_IP_HOUR", 20)

# --- Audit trail and retention (portail/audit, `manage.py purge_expired_data`) -------------
# How long each kind of data is kept; the purge runs daily (docs/operations.md).
# Accounts and household personal data: years after the last child left the nurseries
# (CNIL NS-058: three years after the children leave), then anonymised.
RETENTION_HOUSEHOLD_YEARS = env_int("RETENTION_HOUSEHOLD_YEARS", 3)
# Invoices, credit notes and payments: years after issue (public accounting: 10 years), then
# deleted when nothing else points at them.
RETENTION_INVOICE_YEARS = env_int("RETENTION_INVOICE_YEARS", 10)
# Audit trail, login attempts and access logs: days (CNIL journalisation: 6 months to 1 year).
RETENTION_LOG_DAYS = env_int("RETENTION_LOG_DAYS", 365)
# Sent or failed e-mails of the outbox: days.
RETENTION_OUTBOX_DAYS = env_int("RETENTION_OUTBOX_DAYS", 365)

# Backups (manage.py backup dump|restore|drill; docs/operations.md « Backups »): where
# `backup dump` writes, and the recovery point objective the schedule is set for, in hours
# (24 for a nightly dump; the archiving delay with PostgreSQL WAL archiving, e.g. 0.25).
BACKUP_DIR = env_str("BACKUP_DIR", str(BASE_DIR / "var" / "backups"))
try:
    BACKUP_RPO_HOURS = float(env_str("BACKUP_RPO_HOURS", "24"))
except ValueError as error:
    raise ImproperlyConfigured(
        "BACKUP_RPO_HOURS must be a number of hours, e.g. 24 or 0.25."
    ) from error

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "portail.lib.request_log.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # At DEBUG, zeep logs whole SOAP envelopes: the payer's e-mail and PayFiP's idop.
        "zeep.transports": {"level": "INFO"},
    },
}
