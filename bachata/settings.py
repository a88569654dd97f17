"""The one settings module. With no environment it runs the embedded demo configuration:
SQLite file, jobs in a background thread after commit, media in a local folder, DEBUG on, a
development secret. Ordered by topic: core and security, HTTP, database, jobs, caches, media,
accounts, API, logging.

Environment (each optional):
  DEBUG            "1"/"0" (default 1). With DEBUG off, SECRET_KEY and ALLOWED_HOSTS are required.
  SECRET_KEY       required when DEBUG is off.
  ALLOWED_HOSTS    comma-separated; required when DEBUG is off.
  DATABASE_URL     e.g. postgres://user@127.0.0.1:5432/bachata (default: SQLite in var/).
  REDIS_URL        e.g. redis://127.0.0.1:6379/0: turns on RQ queues "default" and "gpu".
  JOBS_IN_PROCESS  without Redis: "thread" (default: a background thread of the web process) or "sync".
  WARM_UP_ON_START "1"/"0" (default 1): a serving process loads its models in the background at start.
  MEDIA_ROOT       where uploads, clips, songs and routine videos live (default var/media).
  MEDIA_BUCKET     an S3 bucket for media instead of MEDIA_ROOT (django-storages), shared by every
                   machine; with MEDIA_S3_ENDPOINT_URL for an S3-compatible server, and the usual
                   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_DEFAULT_REGION.
  MEDIA_SCRATCH_DIR this machine's scratch folder for local copies PyAV and librosa read (default:
                   a folder in the system's temporary directory, never under MEDIA_ROOT).
  EMAIL_URL        e.g. smtp://user:pass@host:587?tls=1 (smtps:// for implicit TLS); or the usual
                   EMAIL_HOST / EMAIL_PORT / EMAIL_HOST_USER / EMAIL_HOST_PASSWORD / EMAIL_USE_TLS /
                   EMAIL_USE_SSL. Without either, mails are printed (console backend).
  DEFAULT_FROM_EMAIL the sender of the site's mails (default "Bachata Buddy <noreply@localhost>").
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BACHATA_VAR_DIR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}.")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def _env_rate(name: str, default: str) -> str:
    value = os.environ.get(name, "") or default
    count, _, period = value.partition("/")
    if not count.isdigit() or not period or period[0] not in "smhd":
        raise ImproperlyConfigured(f"{name} must look like 30/hour (per second, minute, hour or day), not {value!r}.")
    return value


# --- core: debug, secrets, hosts, apps, templates -------------------------------------------------------------

DEBUG = _env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = [host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()]
if DEBUG:
    SECRET_KEY = SECRET_KEY or "dev-only-secret-bachata-buddy-not-for-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]", "testserver"]
else:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (a long random string).")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off (comma-separated host names).")

REDIS_URL = os.environ.get("REDIS_URL", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "accounts",
    "choreography",
]
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")

ROOT_URLCONF = "bachata.urls"
WSGI_APPLICATION = "bachata.wsgi.application"

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
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True


# --- HTTP: middleware, security headers, HTTPS -----------------------------------------------------------------

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "bachata.middleware.SecurityHeadersMiddleware",
    "bachata.middleware.OutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionGenerationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Every answer carries a Content-Security-Policy: scripts only from our own files (no inline <script>,
# no on*= attributes; json_script's <script type="application/json"> is data and allowed). Inline style
# *attributes* stay allowed: the progress bars set their width with style="width: N%".
# 'wasm-unsafe-eval' lets the player compile our own MediaPipe pose WebAssembly (timing feedback on the device);
# it allows no JavaScript eval.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'wasm-unsafe-eval'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "object-src": ["'none'"],
}
# django-rq's admin pages (staff only) use inline scripts for their action checkboxes.
CONTENT_SECURITY_POLICY_PATHS = {r"^/admin/rq/": {"script-src": ["'self'", "'unsafe-inline'"]}}
CONTENT_SECURITY_POLICY_REPORT_ONLY = _env_bool("CSP_REPORT_ONLY", False)
# The camera for our own pages only: the player shows the dancer's camera beside the video (on the device).
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Load balancers probe plain HTTP: the health checks must not be redirected to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
if not DEBUG:
    # LOAD_INSECURE_COOKIES: only for the loopback load benchmark, which speaks plain HTTP.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not _env_bool("LOAD_INSECURE_COOKIES", False)
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind a trusted proxy, the META key that carries the client's address (e.g. HTTP_X_FORWARDED_FOR);
# otherwise REMOTE_ADDR, and every client behind one proxy would share one count.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")


# --- database ---------------------------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Requests and the job thread write at the same time. Wait for the lock rather than fail (timeout);
    # take it when a transaction begins (IMMEDIATE), since a deferred one that reads, then writes, fails
    # at once with "database is locked" when another writer got there first; and keep a write-ahead log
    # so that pages read while a job writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A readiness probe (and a request) must fail in seconds when PostgreSQL is unreachable, not hang on TCP.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", _env_int("DB_CONNECT_TIMEOUT", 5))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- jobs: RQ on Redis where REDIS_URL is set, in-process after commit otherwise (bachata.runner) ------------------

# Without Redis: "thread" runs jobs in a background thread of the web process (bachata.inprocess), so
# requests return at once; "sync" runs them inside the request that queued them, after its commit
# (the test suite's default, and the benchmarks' baseline).
JOBS_IN_PROCESS = os.environ.get("JOBS_IN_PROCESS", "") or "thread"
if JOBS_IN_PROCESS not in ("thread", "sync"):
    raise ImproperlyConfigured(f"JOBS_IN_PROCESS must be thread or sync, not {JOBS_IN_PROCESS!r}.")
# A process that serves routines (the web process without Redis; RQ workers always) loads MiniLM, the
# FAISS index and librosa's JIT in the background when it starts, so the first dancer does not wait.
WARM_UP_ON_START = _env_bool("WARM_UP_ON_START", True)
JOB_QUEUES = ("default", "gpu")
if REDIS_URL:
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600} for name in JOB_QUEUES}
    # bachata.runner.enqueue defers to transaction.on_commit itself; django-rq must enqueue at once.
    RQ = {"COMMIT_MODE": "auto"}
# Transient job failures are retried by RQ after these many seconds (bachata.queues.dispatch); a worker
# must run the scheduler for that: `manage.py rqworker ... --with-scheduler`.
JOB_RETRY_INTERVALS = [5, 30, 120]


# --- caches: failed-login counts ("default") and API throttles ("throttle") -----------------------------------
# Both must be shared by every web process, so they live in Redis where there is one. Fail fast (and let
# the request through, bachata.throttles) rather than hang when Redis is down.


def _cache(*, redis_prefix: str, local_name: str) -> dict:
    if REDIS_URL:
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": redis_prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": local_name}


CACHES = {
    "default": _cache(redis_prefix="bachata", local_name="default"),
    "throttle": _cache(redis_prefix="throttle", local_name="throttle"),
}


# --- static files and media --------------------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Media is never served as static files: routine videos and uploads go through views that
# check ownership and answer HTTP Range requests.
MEDIA_URL = "/media-not-public/"
# Every media read and write goes through the "default" storage (choreography.services.files): the local
# folder MEDIA_ROOT, or an S3 bucket that web and workers on many machines share.
MEDIA_BUCKET = os.environ.get("MEDIA_BUCKET", "")
MEDIA_S3_ENDPOINT_URL = os.environ.get("MEDIA_S3_ENDPOINT_URL", "")
if MEDIA_BUCKET:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_BUCKET,
            "endpoint_url": MEDIA_S3_ENDPOINT_URL or None,
            "region_name": os.environ.get("AWS_DEFAULT_REGION") or None,
            # Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (boto3 reads them, or a role).
            "default_acl": None,
            # Names are fresh (uuid) or deliberately replaced (demo assets): no existence check per save.
            "file_overwrite": True,
            "querystring_expire": 300,
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_SCRATCH_DIR = Path(
    os.environ.get("MEDIA_SCRATCH_DIR") or Path(tempfile.gettempdir()) / f"bachata-scratch-{os.getuid()}"
)
# The per-machine cache of clip and song-audio copies read from a bucket (least recently used go first).
MEDIA_SCRATCH_CACHE_BYTES = _env_int("MEDIA_SCRATCH_CACHE_BYTES", 1024 * 1024 * 1024)

# Upload limits (bytes, seconds).
SONG_MAX_BYTES = _env_int("SONG_MAX_BYTES", 50 * 1024 * 1024)
SONG_MAX_DURATION_S = _env_int("SONG_MAX_DURATION_S", 600)
CLIP_MAX_BYTES = _env_int("CLIP_MAX_BYTES", 200 * 1024 * 1024)
CLIP_MAX_DURATION_S = _env_int("CLIP_MAX_DURATION_S", 120)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Which renderer draws the catalog's demo clips (choreography.catalog.render.render_catalog): "3d", two
# shaded dancers seen from the front (needs an EGL context: Mesa's llvmpipe will do; `make` installs it),
# or "2d", the older diagram seen from above. Switching re-renders every clip once (the renderer is part
# of each clip's fingerprint).
CLIP_RENDERER = os.environ.get("CLIP_RENDERER", "3d").strip().lower()
if CLIP_RENDERER not in ("2d", "3d"):
    raise ImproperlyConfigured(f"CLIP_RENDERER must be 2d or 3d, not {CLIP_RENDERER!r}.")


# --- accounts: passwords, login, failed-login limits ---------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Failed logins, counted in the "default" cache: shared by every web process where Redis is configured.
LOGIN_FAILURE_LIMITS = {
    "username": _env_int("LOGIN_FAILURES_PER_USERNAME", 5),
    "ip": _env_int("LOGIN_FAILURES_PER_IP", 20),
}
LOGIN_FAILURE_WINDOW_S = _env_int("LOGIN_FAILURE_WINDOW_S", 15 * 60)
# Password-reset requests, counted the same way: per address asked for and per client, in one window.
PASSWORD_RESET_REQUEST_LIMITS = {
    "username": _env_int("PASSWORD_RESETS_PER_ADDRESS", 3),
    "ip": _env_int("PASSWORD_RESETS_PER_IP", 10),
}
PASSWORD_RESET_REQUEST_WINDOW_S = _env_int("PASSWORD_RESET_REQUEST_WINDOW_S", 60 * 60)
# A reset link works for 2 hours (Django's default, 3 days, leaves a mailbox's old link usable too long).
PASSWORD_RESET_TIMEOUT = 2 * 60 * 60
# An email-change confirmation link works for a day.
EMAIL_CHANGE_TIMEOUT_S = 24 * 60 * 60
# How long an "export my data" archive is offered for download; then refused and swept (sweep_jobs).
DATA_EXPORT_KEEP_S = _env_int("DATA_EXPORT_KEEP_S", 24 * 60 * 60)

# Mail: printed by default (the embedded mode); SMTP through EMAIL_URL or the EMAIL_HOST family.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "") or "Bachata Buddy <noreply@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("EMAIL_URL"):
    from bachata.mail import parse_email_url

    try:
        globals().update(parse_email_url(os.environ["EMAIL_URL"]))
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None
elif os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = _env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = 20


# --- API: token + session auth, pagination, per-user throttles, OpenAPI schema ----------------------------------
# Token first: an anonymous API call then gets 401 with "WWW-Authenticate: Token" instead of a bare 403.

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_RATES": {
        "routine_create": _env_rate("API_THROTTLE_ROUTINE_CREATE", "30/hour"),
        "song_upload": _env_rate("API_THROTTLE_SONG_UPLOAD", "20/hour"),
    },
    "EXCEPTION_HANDLER": "choreography.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bachata Buddy API",
    "DESCRIPTION": "Routines made for you, on the music's 1. Sign in with a session or 'Authorization: Token <key>'.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
}


# --- logging --------------------------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
