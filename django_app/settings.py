"""Project settings, read from the environment in this one module.

The variable names are the same in the three apps:
- DATABASE_URL: `sqlite:////abs/path.sqlite3` (default `<repo>/var/django.sqlite3`) or
  `postgresql://user@host:port/db` (psycopg 3), parsed by dj-database-url.
- SECRET_KEY: the HS256 signing key; APP_ENV=production refuses the development default.
- APP_ENV: `development` (default) or `production` (the secret checked).
- JWT_TTL_SECONDS: token lifetime (default 2592000, 30 days).
- CORS_ALLOWED_ORIGINS: comma-separated origins (default `*`).
- ALLOWED_HOSTS: comma-separated host names the app answers to (default `*`).
- SEED: `0` turns `manage.py seed` into a no-op.
- DB_CONN_MAX_AGE: seconds a thread keeps its database connection (default 60; 0 closes it after
  every request), with CONN_HEALTH_CHECKS on so a connection the server dropped is replaced
  instead of failing a request. Django's counterpart of the Flask and FastAPI apps' pool
  variables (DB_POOL_SIZE, DB_MAX_OVERFLOW, DB_POOL_TIMEOUT), which it has no use for: each
  server thread holds at most one connection, so workers x threads bounds the total.
- LOG_LEVEL (default INFO) and LOG_FORMAT (`json`, the default in every environment, or `text`
  for a person at a terminal): see LOGGING below and conduit/logs.py.
- RATE_LIMIT_LOGIN_ADDRESS (default `60/minute`), RATE_LIMIT_LOGIN_ACCOUNT (`10/minute`, failed
  logins only), RATE_LIMIT_REGISTER_ADDRESS (`30/minute`): the abuse limits (DRF throttles,
  conduit/throttling.py); RATE_LIMITS_ENABLED=false turns them off.
- TRUSTED_PROXIES: comma-separated addresses or networks whose X-Forwarded-For names the client
  (default none: the peer address is the client).
- REDIS_URL: the cache the throttles count in, shared by every process (default: unset, each
  process's local memory). While Redis does not answer (0.5 s connect and read timeouts), each
  process counts in its own local memory, logs one warning for the outage, and goes back to
  Redis once it answers again (conduit/throttling.py).

A variable set to the empty string counts as unset (a `NAME=` line in an env file), as in the
Flask and FastAPI apps. There are no per-environment settings modules; APP_ENV=production only
turns on the checks that a deployment needs. A bad value raises ImproperlyConfigured, which
manage.py prints as one line.
What Django, DRF and django-cors-headers already default to is not repeated here.
"""

import ipaddress
import os
import re
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Lets the classes django-stubs types as generic (ModelAdmin[Article]) be subscripted at run time.
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent

DEFAULT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"


def _env_int(name: str, default: int, *, minimum: int) -> int:
    """An integer environment variable, refused with a clear message when malformed."""
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdecimal() or not raw.isascii() or int(raw) < minimum:
        raise ImproperlyConfigured(f"{name} must be an integer >= {minimum}, not {raw!r}")
    return int(raw)


# A rate is `<count>/<second|minute|hour|day>`, the notation the three apps share.
RATE = re.compile(r"[0-9]+/(second|minute|hour|day)")


def _env_rate(name: str, default: str) -> str:
    """A rate limit such as `10/minute`, refused with a clear message when malformed."""
    value = os.environ.get(name, "").strip() or default
    if not RATE.fullmatch(value):
        raise ImproperlyConfigured(f"{name} must be a rate such as {default!r}, not {value!r}")
    return value


def _env_flag(name: str, default: bool) -> bool:
    """A boolean environment variable: true/false, 1/0, yes/no, on/off."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")
    return raw in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str]:
    """A comma-separated environment variable's items, blanks left out."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma-separated addresses or networks."""
    items = _env_list(name)
    try:
        return [ipaddress.ip_network(item, strict=False) for item in items]
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}") from None


APP_ENV = os.environ.get("APP_ENV", "").strip() or "development"
if APP_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"APP_ENV must be 'development' or 'production', not {APP_ENV!r}")

SECRET_KEY = os.environ.get("SECRET_KEY") or DEFAULT_SECRET_KEY
if APP_ENV == "production" and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a private value when APP_ENV=production "
        "(it is unset or still the development default)"
    )

# Django's debug pages are HTML (the technical 404 for unknown routes, the traceback page for
# errors) and would break the JSON error contract, so the API runs with DEBUG off in every
# environment; tracebacks still go to the console log.
DEBUG = False

# The API answers on whatever host name the deployment routes to it; the proxy in front
# of a production deployment is the place that pins host names.
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS") or ["*"]

JWT_TTL_SECONDS = _env_int("JWT_TTL_SECONDS", 2592000, minimum=1)
DB_CONN_MAX_AGE = _env_int("DB_CONN_MAX_AGE", 60, minimum=0)
# `manage.py seed` loads the demo data unless SEED=0.
SEED = os.environ.get("SEED", "1") != "0"

# The abuse limits (conduit/throttling.py), in DRF's DEFAULT_THROTTLE_RATES below.
RATE_LIMITS_ENABLED = _env_flag("RATE_LIMITS_ENABLED", True)
RATE_LIMIT_LOGIN_ADDRESS = _env_rate("RATE_LIMIT_LOGIN_ADDRESS", "60/minute")
RATE_LIMIT_LOGIN_ACCOUNT = _env_rate("RATE_LIMIT_LOGIN_ACCOUNT", "10/minute")
RATE_LIMIT_REGISTER_ADDRESS = _env_rate("RATE_LIMIT_REGISTER_ADDRESS", "30/minute")
TRUSTED_PROXIES = _env_networks("TRUSTED_PROXIES")
REDIS_URL = os.environ.get("REDIS_URL", "").strip()

# The throttles' counters: in Redis, shared by every process, or in each process's memory.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that hangs costs a request half a second, not a worker.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # runserver leaves static files to WhiteNoise too, so development serves them as production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_app.conduit",
]

# SecurityMiddleware first, so its headers (X-Content-Type-Options: nosniff) reach every
# response, the CORS preflights CorsMiddleware answers by itself included.
MIDDLEWARE = [
    # First, so every response gets the request id and every request its log record.
    "django_app.conduit.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "django_app.urls"
# None: runserver serves Django's own application, not wsgi.py's (which wraps it for granian
# and gunicorn in CloseAfterUnreadBody, a header wsgiref refuses; runserver skips unread bodies
# itself).
WSGI_APPLICATION = None
# Never redirect /api/users/ to /api/users: an unknown path is a JSON 404.
APPEND_SLASH = False

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "").strip()
        or f"sqlite:///{REPO_ROOT / 'var' / 'django.sqlite3'}",
        conn_max_age=DB_CONN_MAX_AGE,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers wait for the lock (IMMEDIATE transactions, 5 s busy timeout) instead of
    # failing with "database is locked"; WAL lets readers run alongside the writer. Django turns
    # foreign keys on for every SQLite connection itself.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 5,
    }

AUTH_USER_MODEL = "conduit.User"

# The admin's session and CSRF cookies (SameSite=Lax and the session's HttpOnly are Django's
# defaults): the CSRF one is kept from scripts too, and both go over HTTPS only in production.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = APP_ENV == "production"

PASSWORD_HASHERS = [
    "django_app.conduit.hashers.Argon2idHasher",
]

# Bodies over 1 MiB are refused with 413 when the view reads them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

TIME_ZONE = "UTC"

STATIC_URL = "static/"
# WhiteNoise serves the static files (the admin's, and Swagger UI's and ReDoc's from
# drf-spectacular-sidecar) from the installed apps, under runserver and granian alike: no
# collectstatic step, no web server in front needed. It indexes them once, when a worker starts.
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["django_app.conduit.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "django_app.conduit.parsers.JSONOnlyNegotiation",
    "DEFAULT_AUTHENTICATION_CLASSES": ["django_app.conduit.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "django_app.conduit.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "django_app.conduit.openapi.ConduitAutoSchema",
    # Anonymous callers are `request.user is None`, so services take `viewer: User | None`.
    "UNAUTHENTICATED_USER": None,
    # The scopes of conduit/throttling.py; a rate of None lets every request through.
    "DEFAULT_THROTTLE_RATES": {
        "login_address": RATE_LIMIT_LOGIN_ADDRESS if RATE_LIMITS_ENABLED else None,
        "login_account": RATE_LIMIT_LOGIN_ACCOUNT if RATE_LIMITS_ENABLED else None,
        "register_address": RATE_LIMIT_REGISTER_ADDRESS if RATE_LIMITS_ENABLED else None,
    },
}

# The document at /openapi.json, generated by drf-spectacular from the views' @extend_schema
# annotations; title and version are those of shared_spec/openapi.yaml (a test compares them).
SPECTACULAR_SETTINGS = {
    "TITLE": "Conduit API (three ways)",
    "VERSION": "2.0.0-three-ways.1",
    "DESCRIPTION": (
        "The RealWorld Conduit API as the Django app serves it, generated by drf-spectacular "
        "from its views. The contract all three apps are tested against is "
        "`shared_spec/openapi.yaml`. Authorize with `Token <jwt>` (the word Token, a space, "
        "the token from CreateUser or Login)."
    ),
    "LICENSE": {"name": "MIT License", "identifier": "MIT"},
    "OAS_VERSION": "3.1.0",
    "TAGS": [
        {"name": "User and Authentication"},
        {"name": "Profile"},
        {"name": "Articles"},
        {"name": "Comments"},
        {"name": "Favorites"},
        {"name": "Tags"},
        {"name": "Health", "description": "Served at the root (`/health`), not under `/api`."},
    ],
    # The docs pages are public and read no token: a stale one in the header is no 401.
    "SERVE_AUTHENTICATION": [],
    "SERVE_INCLUDE_SCHEMA": False,
    # A string field that refuses blank values is documented with minLength 1.
    "ENFORCE_NON_BLANK_FIELDS": True,
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge, which Swagger UI would fetch from swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

CORS_URLS_REGEX = r"^/api/.*$"
_cors_origins = _env_list("CORS_ALLOWED_ORIGINS") or ["*"]
CORS_ALLOW_ALL_ORIGINS = "*" in _cors_origins
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else _cors_origins
CORS_ALLOW_HEADERS = ["authorization", "content-type"]
CORS_ALLOW_METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS"]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "text")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "").strip().upper() or "INFO"
if LOG_LEVEL not in LOG_LEVELS:
    raise ImproperlyConfigured(f"LOG_LEVEL must be one of {LOG_LEVELS}, not {LOG_LEVEL!r}")
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or "json"
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {LOG_FORMATS}, not {LOG_FORMAT!r}")

# Every logger's records go to stderr through one handler, in LOG_FORMAT (conduit/logs.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "django_app.conduit.logs.JSONFormatter"},
        "text": {"()": "django_app.conduit.logs.TextFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers (console when DEBUG, mail_admins) give way to the root's.
        "django": {"handlers": [], "level": LOG_LEVEL},
        # 4xx answers are the API working as specified and are in the request record; only
        # 5xx are logged here, with their traceback.
        "django.request": {"handlers": [], "level": "ERROR"},
        # runserver's access lines: the request record replaces them.
        "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}
