"""Hearth settings: one file, every value read from a HEARTH_* environment variable.

Each setting has a safe default for the embedded demo (SQLite under ./var, no broker server).
Bad values raise ImproperlyConfigured with the variable's name and what it expects.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hearth.schedule import periodic

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off."
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_secret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    if os.environ.get(name):
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}.") from None
    return None


# Every file Hearth writes lives under the data dir, so several instances can run side by side.
HEARTH_DATA_DIR = Path(env_str("HEARTH_DATA_DIR", "var")).resolve()
HEARTH_DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> tuple[str, str]:
    # No secret is committed: without HEARTH_SECRET_KEY, one is generated once per data dir.
    key = env_secret("HEARTH_SECRET_KEY")
    if key:
        return key, "environment"
    path = HEARTH_DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip(), "data dir"


# SECRET_KEY signs sessions and derives the key that encrypts stored channel secrets
# (core/secrets.py): every host of one site must share it. Where it came from ("environment" or
# "data dir") is kept for `hearth check --deploy` (a key of the data dir is one host's own).
SECRET_KEY, HEARTH_SECRET_KEY_SOURCE = _secret_key()
# Earlier keys, comma-separated: sessions and stored secrets made with them still open (rotation).
SECRET_KEY_FALLBACKS = env_list("HEARTH_SECRET_KEY_FALLBACKS", [])
DEBUG = env_bool("HEARTH_DEBUG", False)  # never on in production: it leaks settings in error pages
ALLOWED_HOSTS = env_list("HEARTH_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("HEARTH_CSRF_TRUSTED_ORIGINS", [])
# The address people reach this Hearth at, for the links in e-mails, alerts and notices.
HEARTH_PUBLIC_URL = env_str("HEARTH_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves Swagger UI from its own wheel; without it /api/v1/docs would load a CDN
    "hearth.core",
    "hearth.channels",
    "hearth.notify",
    "hearth.conversations",
    "hearth.analysis",
    "hearth.community",
    "hearth.pipeline",
    "hearth.moderation",
    "hearth.listening",
    "hearth.publishing",
    "hearth.animation",
    "hearth.feedback",
    "hearth.reports",
    "hearth.strategy",
    "hearth.analytics",
    "hearth.demo",
    "hearth.bench",
    "hearth.web",
    "hearth.api",
    "hearth.mcp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",  # last, as django-axes asks
]

MIDDLEWARE = [
    # First: /healthz answers before the host check, the HTTPS redirect and the session, so a
    # load balancer or a container probe on an internal address gets the real state.
    "hearth.core.middleware.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "hearth.core.middleware.WorkspaceMiddleware",
    "hearth.web.security.Require2FAMiddleware",
    "hearth.core.security.PrivateCacheMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

ROOT_URLCONF = "hearth.urls"
WSGI_APPLICATION = "hearth.wsgi.application"
ASGI_APPLICATION = "hearth.asgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# django-axes checks every sign-in first: a locked-out account or address never reaches the
# password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: after this many failed sign-ins, for one account or from one address,
# sign-in is refused for HEARTH_LOGIN_LOCKOUT_MINUTES (the page says so and until when).
AXES_FAILURE_LIMIT = env_int("HEARTH_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("HEARTH_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # per account, and per address, separately
AXES_RESET_ON_SUCCESS = True  # a successful sign-in clears the account's failures
AXES_LOCKOUT_CALLABLE = "hearth.web.security.lockout_response"  # a translated page, status 429
AXES_VERBOSE = False
# The issuer shown in authenticator apps next to the account (TOTP two-factor authentication).
OTP_TOTP_ISSUER = env_str("HEARTH_OTP_ISSUER", "Hearth")
PASSWORD_RESET_TIMEOUT = env_int("HEARTH_PASSWORD_RESET_SECONDS", 3 * 3600)  # a reset link's life

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "hearth.web.context.workspace",
                "hearth.channels.context.channel_alerts",
                "hearth.publishing.context.publishing_paused",
            ],
        },
    },
]

# Or HEARTH_DATABASE_URL_FILE: the URL holds the password, so it may come from a secret file.
_database_url = env_secret("HEARTH_DATABASE_URL") or ""
DATABASES: dict[str, Any]  # dj-database-url's TypedDict says NAME is a str; SQLite's is a Path
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": HEARTH_DATA_DIR / "hearth.sqlite3",
            "OPTIONS": {
                # WAL lets the web app read while the worker writes; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing with "database is locked".
                # A checkpoint every 10,000 pages (≈40 MB of WAL, cut back to 64 MB at most) rather
                # than SQLite's 1,000: ingestion rewrites the same index pages batch after batch,
                # and a checkpoint copies and syncs each of them once, not once per batch.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; "
                    "PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=67108864;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            # One test database per test run, so two runs on one data dir never share a file.
            "TEST": {"NAME": HEARTH_DATA_DIR / f"test-{os.getpid()}.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Checked at every door that sets a password: sign-up by invitation, reset, change, the CLI.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("HEARTH_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env_str("HEARTH_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("HEARTH_TIME_ZONE", "Europe/Paris")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HEARTH_DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from the finders but expects the folder
# Front-end assets come from npm at install time (node_modules next to pyproject.toml).
HEARTH_NODE_MODULES = Path(
    env_str("HEARTH_NODE_MODULES", str(BASE_DIR.parent.parent / "node_modules"))
)
STATICFILES_DIRS = [
    ("vendor/htmx", HEARTH_NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/pico", HEARTH_NODE_MODULES / "@picocss" / "pico" / "css"),
    ("vendor/uplot", HEARTH_NODE_MODULES / "uplot" / "dist"),
]
# Hearth's documentation (docs/*.md of the source tree), shown at /docs/… (the Channels page links it).
HEARTH_DOCS_DIR = Path(env_str("HEARTH_DOCS_DIR", str(BASE_DIR.parent.parent / "docs")))
WHITENOISE_USE_FINDERS = True  # serve straight from the finders: no collectstatic step for the demo
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("HEARTH_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# HTTPS (docs/configuration.md, "Security headers"). The defaults suit plain HTTP on loopback; a
# production instance behind TLS sets these, and `hearth check --deploy` then reports nothing.
SECURE_SSL_REDIRECT = env_bool("HEARTH_SSL_REDIRECT", False)  # http:// → https://
SECURE_REDIRECT_EXEMPT = [r"^hooks/"]  # a platform's webhook is not redirected: it would not follow
SECURE_HSTS_SECONDS = env_int("HEARTH_HSTS_SECONDS", 0)  # 0: no Strict-Transport-Security
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HEARTH_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("HEARTH_HSTS_PRELOAD", False)
# The header a TLS-terminating proxy sets to "https", e.g. X-Forwarded-Proto; only behind a proxy
# that always sets or strips it (otherwise a client could claim HTTPS).
_PROXY_SSL_HEADER = env_str("HEARTH_PROXY_SSL_HEADER", "")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https") if _PROXY_SSL_HEADER else None
)
SECURE_REFERRER_POLICY = "same-origin"
# Hearth's own deploy checks (core/checks.py) restate these in terms of the HEARTH_* variable to
# set, so Django's versions (which name Django's settings) would only repeat them.
SILENCED_SYSTEM_CHECKS = [
    "security.W004",  # HSTS: hearth.W208
    "security.W008",  # SSL redirect: hearth.W209
    "security.W009",  # weak secret key: hearth.E202
    "security.W012",  # session cookie: hearth.W207
    "security.W016",  # CSRF cookie: hearth.W207
    "security.W018",  # DEBUG: hearth.E201
    "security.W020",  # ALLOWED_HOSTS: hearth.E204
    # The operator's own, comma-separated: e.g. hearth.W203 on a site that is one single machine.
    *env_list("HEARTH_SILENCED_CHECKS", []),
]
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp, docs/configuration.md): only this server's own scripts,
# styles, images and forms; no inline script, handler, style or eval (templates wire behaviour
# from static files by data-attributes, htmx runs with allowEval off; a test scans the templates);
# no plugin, no framing. An operator relaxes a directive with the variables below.
_CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": env_list("HEARTH_CSP_SCRIPT_SRC", ["'self'"]),
    "style-src": env_list("HEARTH_CSP_STYLE_SRC", ["'self'"]),
    "img-src": ["'self'", "data:", *env_list("HEARTH_CSP_IMG_SRC", [])],
    "connect-src": ["'self'"],
    "font-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
_CSP_REPORT_URI = env_str("HEARTH_CSP_REPORT_URI", "")  # where browsers POST violation reports
if _CSP_REPORT_URI:
    _CSP_DIRECTIVES["report-uri"] = [_CSP_REPORT_URI]
if env_bool("HEARTH_CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES}
    CONTENT_SECURITY_POLICY = None
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}
# The API's documentation (/api/v1/docs and its OpenAPI schema) for signed-in users only, unless
# the operator publishes it.
HEARTH_API_DOCS_PUBLIC = env_bool("HEARTH_API_DOCS_PUBLIC", False)

# Background jobs. The embedded default needs no broker server: kombu's filesystem transport
# keeps the queue as files under the data dir. Set HEARTH_BROKER_URL=redis://… to scale out.
CELERY_BROKER_URL = env_secret("HEARTH_BROKER_URL") or "filesystem://"  # or HEARTH_BROKER_URL_FILE
CELERY_BROKER_DIR = HEARTH_DATA_DIR / "broker"
CELERY_TASK_ALWAYS_EAGER = env_bool("HEARTH_TASKS_EAGER", False)  # tests run tasks inline
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded default: the queue is a folder under the data dir, so `make demo` needs no
    # broker server. It is single-host; scale out with Redis or RabbitMQ.
    (CELERY_BROKER_DIR / "queue").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.05,
    }
CELERY_TASK_IGNORE_RESULT = True  # jobs record their outcome in their own rows
# Seconds an outbox item may stay "sending" before another worker may take it over (a worker
# that died mid-send): longer than any transport's timeout.
HEARTH_OUTBOX_LEASE_SECONDS = env_int("HEARTH_OUTBOX_LEASE_SECONDS", 300)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_BROKER_DIR / "beat-schedule")

# Largest webhook body accepted, in bytes (a batch of a few thousand messages).
HEARTH_WEBHOOK_MAX_BYTES = env_int("HEARTH_WEBHOOK_MAX_BYTES", 5 * 1024 * 1024)
# Django's own limit sits above ours, so that an oversized body gets the documented JSON 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = HEARTH_WEBHOOK_MAX_BYTES + 1024 * 1024
# Networks that alert, Slack and handoff webhooks may reach although they are not public
# (comma-separated, e.g. 10.0.0.0/8): by default only public addresses are called.
HEARTH_OUTBOUND_ALLOW = env_list("HEARTH_OUTBOUND_ALLOW", [])
# Seconds a webhook signature's timestamp may be away from this server's clock (replays older
# than this are refused; those inside it are recognised by their delivery id).
HEARTH_WEBHOOK_TOLERANCE_SECONDS = env_int("HEARTH_WEBHOOK_TOLERANCE_SECONDS", 300)
# Seconds a processed delivery is kept for de-duplication (at least twice the tolerance).
HEARTH_WEBHOOK_KEEP_SECONDS = env_int("HEARTH_WEBHOOK_KEEP_SECONDS", 86400)
# Answer /hooks/<key> once the delivery is stored (202) and ingest it in the background; off,
# the receiver ingests before answering (200 with the counts), at a few dozen deliveries a second.
HEARTH_WEBHOOK_ASYNC = env_bool("HEARTH_WEBHOOK_ASYNC", True)
# Messages per ingestion transaction: bigger is faster, smaller holds the write lock less long.
HEARTH_INGEST_BATCH = env_int("HEARTH_INGEST_BATCH", 1000)
# The pipeline's stages, in the order they run on each batch (see hearth/pipeline/stages.py):
# moderation decides what a moderator must see, routing keeps each thread's inbox state, counting
# keeps the dashboard and listening counters, members keeps community.Member (identities, counters,
# segments). Checked at start-up (system check hearth.E101).
HEARTH_PIPELINE_STAGES = [
    "hearth.moderation.stages.ModerationStage",
    "hearth.pipeline.routing.RoutingStage",
    "hearth.listening.stages.CountingStage",
    "hearth.publishing.stages.PostRepliesStage",
    "hearth.pipeline.members.MembersStage",
    "hearth.feedback.stages.IdeaCaptureStage",
    # Only `on_remove`: a message removed on the platform marks its day's roll-ups stale.
    "hearth.analytics.stages.StaleDaysStage",
]
# Who may not take part in a contest: callables (workspace id, authors) -> {author id: reason},
# named here so that animation (beside moderation on floor 4) does not import moderation.
HEARTH_ANIMATION_EXCLUDERS = ["hearth.moderation.eligibility.sanctioned_authors"]
# Public form posts (contest entries, event registrations) one address may make in an hour (0: no limit).
HEARTH_PUBLIC_FORM_LIMIT = env_int("HEARTH_PUBLIC_FORM_LIMIT", 30)
# How new suggestions are matched to existing ideas (docs/feedback.md): "encoder" (the second
# stage's multilingual encoder), "features" (the fast stage's tokens), or "auto" (the encoder
# when the second stage is on and installed).
HEARTH_FEEDBACK_MATCHER = env_str("HEARTH_FEEDBACK_MATCHER", "auto")
if HEARTH_FEEDBACK_MATCHER not in ("auto", "encoder", "features"):
    raise ImproperlyConfigured("HEARTH_FEEDBACK_MATCHER must be auto, encoder or features.")
# Panels other apps add to a member's community profile (templates given `member`), in order.
HEARTH_MEMBER_PANELS = [
    "moderation/_member_panel.html",
    "feedback/_member_panel.html",  # ideas asked for (and votes)
    "animation/_member_panel.html",  # events and contests taken part in
]
# The inbox's `segment` filter: (workspace id, segment) → author ids of that segment's members.
HEARTH_INBOX_SEGMENT_AUTHORS = "hearth.community.members.segment_authors"
# The audience for community's lurkers when the settings give none: (workspace id) → (followers,
# as of day) or None — the channels' latest follower counts, read by analytics every 6 hours.
HEARTH_COMMUNITY_AUDIENCE = "hearth.analytics.audience.latest_followers"
# Seconds between two batches of the demo's live trickle (0 turns it off).
# The second analysis stage (extra `second-stage`) relabels the messages the fast stage is unsure
# about, in a background job after ingestion; off, or not installed, the fast labels stand.
HEARTH_SECOND_STAGE = env_bool("HEARTH_SECOND_STAGE", True)
# Seconds between two drains of its queue (a table written by ingestion, read in bulk).
HEARTH_REFINE_TICK_SECONDS = env_int("HEARTH_REFINE_TICK_SECONDS", 2)
HEARTH_DEMO_TRICKLE_SECONDS = env_int("HEARTH_DEMO_TRICKLE_SECONDS", 5)
# Seconds between two looks for channels due for a sync (each channel has its own interval).
HEARTH_SYNC_TICK_SECONDS = env_int("HEARTH_SYNC_TICK_SECONDS", 30)
# Seconds between two passes over the outbox: items of workers that died, retries that are due.
HEARTH_OUTBOX_SWEEP_SECONDS = env_int("HEARTH_OUTBOX_SWEEP_SECONDS", 30)
# Seconds between two heartbeats of the worker (a periodic job: a fresh beat means jobs run).
HEARTH_HEARTBEAT_SECONDS = env_int("HEARTH_HEARTBEAT_SECONDS", 15)
# Seconds without a heartbeat after which every page says that background jobs are not running.
HEARTH_HEARTBEAT_STALE_SECONDS = env_int("HEARTH_HEARTBEAT_STALE_SECONDS", 90)
# Seconds `hearth serve --worker` waits before restarting a worker that died, doubled for each
# death in a row (up to a minute); a worker that stayed up a minute starts again from this.
HEARTH_WORKER_RESTART_SECONDS = env_int("HEARTH_WORKER_RESTART_SECONDS", 1)
# The web server of `hearth serve`: "waitress" (one process, threads: the embedded default) or
# "gunicorn" (pre-forked processes, each with threads: production, docs/deployment.md).
HEARTH_WEB_SERVER = env_str("HEARTH_WEB_SERVER", "waitress")
if HEARTH_WEB_SERVER not in ("waitress", "gunicorn"):
    raise ImproperlyConfigured(
        f"HEARTH_WEB_SERVER={HEARTH_WEB_SERVER!r} is not a web server: use waitress or gunicorn."
    )
# Web processes under gunicorn (0: one per CPU core); waitress always runs one.
HEARTH_WEB_PROCESSES = env_int("HEARTH_WEB_PROCESSES", 0)
# Threads per web process: requests served at once by each (each may hold a database connection).
HEARTH_WEB_THREADS = env_int("HEARTH_WEB_THREADS", 8)
# Seconds a request may run before gunicorn replaces its process (a stuck request frees its slot).
HEARTH_WEB_TIMEOUT = env_int("HEARTH_WEB_TIMEOUT", 120)
# Jobs the worker runs at once (Celery threads pool) when `hearth worker` gets no --concurrency.
HEARTH_WORKER_CONCURRENCY = env_int("HEARTH_WORKER_CONCURRENCY", 2)
for _name, _value, _least in (
    ("HEARTH_WEB_PROCESSES", HEARTH_WEB_PROCESSES, 0),
    ("HEARTH_WEB_THREADS", HEARTH_WEB_THREADS, 1),
    ("HEARTH_WEB_TIMEOUT", HEARTH_WEB_TIMEOUT, 1),
    ("HEARTH_WORKER_CONCURRENCY", HEARTH_WORKER_CONCURRENCY, 1),
):
    if _value < _least:
        raise ImproperlyConfigured(f"{_name}={_value} must be at least {_least}.")
# Minutes a platform action or alert may wait past its due time before the banner calls it late.
HEARTH_OUTBOX_LATE_MINUTES = env_int("HEARTH_OUTBOX_LATE_MINUTES", 10)
# A scheduled post found more than this many hours late (Hearth was stopped) is held for a
# person to reschedule instead of going out at the wrong moment.
HEARTH_PUBLISHING_LATE_HOURS = env_int("HEARTH_PUBLISHING_LATE_HOURS", 6)
# Analytics: how many recent local days the periodic roll-up recomputes (late data, post figures).
HEARTH_ANALYTICS_RECENT_DAYS = env_int("HEARTH_ANALYTICS_RECENT_DAYS", 8)
# The heaviest image and video the media library accepts (each platform may take less).
HEARTH_MEDIA_MAX_IMAGE_MB = env_int("HEARTH_MEDIA_MAX_IMAGE_MB", 20)
HEARTH_MEDIA_MAX_VIDEO_MB = env_int("HEARTH_MEDIA_MAX_VIDEO_MB", 200)
# Where Hearth's own short links live (https://go.example.org); empty: HEARTH_PUBLIC_URL.
HEARTH_SHORT_LINK_BASE = env_str("HEARTH_SHORT_LINK_BASE", "").rstrip("/")
# Minutes between two polls of an RSS-to-post feed.
HEARTH_POST_FEED_MINUTES = env_int("HEARTH_POST_FEED_MINUTES", 30)
CELERY_BEAT_SCHEDULE = periodic(
    heartbeat_seconds=HEARTH_HEARTBEAT_SECONDS,
    trickle_seconds=HEARTH_DEMO_TRICKLE_SECONDS,
    sync_tick_seconds=HEARTH_SYNC_TICK_SECONDS,
    outbox_sweep_seconds=HEARTH_OUTBOX_SWEEP_SECONDS,
    refine_tick_seconds=HEARTH_REFINE_TICK_SECONDS,
)

# Outgoing e-mail (listening alerts). Without HEARTH_SMTP_HOST, e-mails are printed to the console.
EMAIL_HOST = env_str("HEARTH_SMTP_HOST", "")  # SMTP server name; empty = console backend (demo)
EMAIL_PORT = env_int(
    "HEARTH_SMTP_PORT", 587
)  # 587 for STARTTLS, 465 for implicit TLS, 25 for plain
EMAIL_HOST_USER = env_str("HEARTH_SMTP_USER", "")  # SMTP login, if the server asks for one
EMAIL_HOST_PASSWORD = env_secret("HEARTH_SMTP_PASSWORD") or ""  # or HEARTH_SMTP_PASSWORD_FILE
EMAIL_USE_TLS = env_bool("HEARTH_SMTP_STARTTLS", True)  # upgrade the connection with STARTTLS
EMAIL_USE_SSL = env_bool("HEARTH_SMTP_SSL", False)  # implicit TLS (port 465); excludes STARTTLS
EMAIL_TIMEOUT = env_int(
    "HEARTH_SMTP_TIMEOUT", 10
)  # seconds before a stuck SMTP server counts as a failure
DEFAULT_FROM_EMAIL = env_str("HEARTH_SMTP_FROM", "hearth@localhost")  # sender of alert e-mails
EMAIL_BACKEND = (  # the console backend prints e-mails instead of sending them
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
if EMAIL_USE_SSL and EMAIL_USE_TLS and "HEARTH_SMTP_STARTTLS" in os.environ:
    raise ImproperlyConfigured(
        "HEARTH_SMTP_SSL and HEARTH_SMTP_STARTTLS cannot both be on: choose one."
    )
EMAIL_USE_TLS = EMAIL_USE_TLS and not EMAIL_USE_SSL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("HEARTH_LOG_LEVEL", "WARNING")},
}
