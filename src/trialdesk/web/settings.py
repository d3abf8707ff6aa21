"""Django settings of the trial server.

Nothing secret is in this file: the secret key is generated into the data directory on first run,
and the database comes from ``DATABASE_URL`` (default: SQLite in WAL mode, synchronous=FULL, in the
data directory).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from trialdesk.web.datadir import data_dir, secret_key

WEB_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = os.environ.get("TRIALDESK_DEBUG") == "1"
_HOSTS = os.environ.get("TRIALDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
ALLOWED_HOSTS = [host for host in _HOSTS.split(",") if host]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "trialdesk.web.core",
    "trialdesk.web.accounts",
    "trialdesk.web.trials",
    "trialdesk.web.api",
    "trialdesk.web.registry",
    "trialdesk.web.capture",
    "trialdesk.web.design",
    "trialdesk.web.reports",
    "trialdesk.web.safety",
    "trialdesk.web.dsmb",
    "trialdesk.web.monitoring",
    "trialdesk.web.deviations",
    "trialdesk.web.amendments",
    "trialdesk.web.exports",
    "trialdesk.web.redcap",
    "trialdesk.web.supply",
    # background work (issue 20): Django's task framework, its database backend, our worker
    "django_tasks",
    "django_tasks_db",
    "trialdesk.web.worker",
    "trialdesk.web.outbox",  # e-mail sent by retried tasks (issue 20)
    "trialdesk.web.administration",  # the sponsor admin's pages, delegation log (issue 20)
    "trialdesk.web.schedules",  # scheduled backups and data cuts, queued by the workers (issue 20)
    # two-factor sign-in: TOTP authenticators (trialdesk.web.accounts.two_factor, issue 20)
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # 400 for NUL, control or bidi/zero-width characters in a path, query string or form field
    # (or bytes not UTF-8 in the last two), before any view or database sees them
    "trialdesk.web.core.middleware.RefuseBadCharactersMiddleware",
    # gunicorn serves no files; WhiteNoise serves the apps' static files (CSS, the print stylesheet)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # a session signed in without the code its account now needs goes to the code page
    "trialdesk.web.accounts.middleware.TwoFactorSessionMiddleware",
    # a person with several roles acts as the one chosen for the session (core.acting)
    "trialdesk.web.core.acting.ActingMembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # a page's 405 in the layout and language, with a way back (the API's as it was)
    "trialdesk.web.error_pages.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # pages show times in the reader's site's zone (the API and exports stay in UTC)
    "trialdesk.web.core.timezones.ReaderTimeZoneMiddleware",
    # a password the administrator reset, a role whose delegation is unsigned: pages wait
    "trialdesk.web.administration.middleware.AccountGateMiddleware",
]

# Tasks are rows in the trial's own database, run by `trialdesk worker` (which `trialdesk serve`
# starts beside gunicorn): no broker, the same on SQLite and PostgreSQL. A task enqueued inside an
# action's transaction exists exactly when the action commits.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
# a worker silent this long is taken for dead and its running task is run again
TRIALDESK_WORKER_LEASE_SECONDS = float(os.environ.get("TRIALDESK_WORKER_LEASE_SECONDS", "60"))
# the rows of tasks finished longer ago than this are pruned by the workers
TRIALDESK_TASK_KEEP_DAYS = float(os.environ.get("TRIALDESK_TASK_KEEP_DAYS", "14"))

ROOT_URLCONF = "trialdesk.web.urls"
WSGI_APPLICATION = "trialdesk.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
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


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60)
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "trialdesk.sqlite3"}
    if config["ENGINE"].endswith("sqlite3"):
        # IMMEDIATE: every atomic block takes the write lock at BEGIN, so a randomization never
        # reads a slot that another writer is about to take; WAL lets readers run meanwhile.
        # synchronous=FULL: each commit is synced to disk before it is acknowledged (NORMAL
        # syncs WAL commits only at checkpoints), so an acknowledged randomization survives a
        # power loss or an OS crash. In WAL mode that is one fsync per commit: thousands of
        # commits a second, far above what the server's CPU allows it to randomize.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        }
        # Persistent connections, as for PostgreSQL: opening one per request (the PRAGMAs, the
        # schema read again, a checkpoint when the last one closes) was a third of a
        # randomization's CPU. Safe with this design: every write is one atomic block
        # (BEGIN IMMEDIATE ... COMMIT) and reads outside it are autocommit, so a connection
        # kept between requests holds no transaction, no lock and no old snapshot; Django closes
        # it after an error that left it unusable and after 60 s.
        config["CONN_MAX_AGE"] = 60
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "trials:dashboard"

# Sign-in lockout (trialdesk.web.accounts.lockout): five failures lock that account for the
# cool-off, whatever the address; an address is locked out only past its own, much higher
# threshold (any usernames), so one user's typos never lock out a ward behind one NAT address.
# The account's owner and the administrators are e-mailed.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
TRIALDESK_LOGIN_ADDRESS_FAILURE_LIMIT = 50
AXES_HANDLER = "trialdesk.web.accounts.lockout.TrialLockoutHandler"
AXES_LOCKOUT_CALLABLE = "trialdesk.web.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# the name authenticator apps show beside the username (two-factor sign-in)
OTP_TOTP_ISSUER = "trialdesk"
# attempts refused during a lockout are not counted: the lockout ends one cool-off after the
# last counted failure, and a locked-out user retrying the right password locks nothing more
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# axes.W006 asks for "ip_address" in AXES_LOCKOUT_PARAMETERS; the handler counts the address
# itself, with its own threshold
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind TLS (set TRIALDESK_HTTPS=1) cookies are marked secure and HSTS is sent.
_HTTPS = os.environ.get("TRIALDESK_HTTPS") == "1"
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_HSTS_SECONDS = 31536000 if _HTTPS else 0

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [WEB_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATICFILES_DIRS = [WEB_DIR / "static"]
# WhiteNoise serves straight from the apps' static folders (its finders), so there is no
# collectstatic step and no STATIC_ROOT before `trialdesk serve`.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

# Uploads: the form-data import is the only one. A file over the import limit is discarded as
# it streams in (UploadLimitHandler, first) and answered 413, never read whole or parsed; files
# over 1 MB are spooled to a temporary file, not kept in memory. Form fields and JSON bodies
# (pasted or API imports among them) may take the import limit and 1 MB besides.
TRIALDESK_IMPORT_MAX_BYTES = 5 * 2**20
TRIALDESK_UPLOAD_MAX_BYTES = TRIALDESK_IMPORT_MAX_BYTES
FILE_UPLOAD_HANDLERS = [
    "trialdesk.web.core.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2**20
DATA_UPLOAD_MAX_MEMORY_SIZE = TRIALDESK_IMPORT_MAX_BYTES + 2**20

EMAIL_BACKEND = os.environ.get(
    "TRIALDESK_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = "trialdesk@localhost"
TRIALDESK_PROTOCOL = os.environ.get("TRIALDESK_PROTOCOL") or None
TRIALDESK_NOTIFY_EMAILS = [
    address
    for address in os.environ.get(
        "TRIALDESK_NOTIFY_EMAILS", "sponsor@localhost,dsmb@localhost"
    ).split(",")
    if address
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
