"""Settings: the one place the app reads its environment.

The same variable names are used by the Django and FastAPI apps:
- DATABASE_URL: `sqlite:////abs/path.sqlite3` (default `<repo>/var/flask.sqlite3`) or
  `postgresql://user@host:port/db` (served by psycopg 3).
- SECRET_KEY: the HS256 signing key; APP_ENV=production refuses the development default.
- APP_ENV: `development` (default) or `production` (debug off, the secret checked).
- JWT_TTL_SECONDS: token lifetime (default 2592000, 30 days).
- CORS_ALLOWED_ORIGINS: comma-separated origins (default `*`).
- SEED: `0` turns `flask --app flask_app seed` into a no-op.
- DB_POOL_SIZE (default 5), DB_MAX_OVERFLOW (default 10), DB_POOL_TIMEOUT (seconds, default
  30): each process's connection pool on PostgreSQL, with pre-ping on so a connection the
  server dropped is replaced instead of failing a request. SQLite keeps SQLAlchemy's own
  pooling (a file needs no network connections to share).
- LOG_LEVEL (default INFO) and LOG_FORMAT (`json`, the default in every environment, or `text`
  for a person at a terminal): see logs.py.
- RATE_LIMIT_LOGIN_ADDRESS (default `60/minute`), RATE_LIMIT_LOGIN_ACCOUNT (`10/minute`, failed
  logins only), RATE_LIMIT_REGISTER_ADDRESS (`30/minute`): the abuse limits (throttling.py);
  RATE_LIMITS_ENABLED=false turns them off.
- TRUSTED_PROXIES: comma-separated addresses or networks whose X-Forwarded-For names the client
  (default none: the peer address is the client).
- REDIS_URL: where the limits' counters live, shared by every process (default: unset, in each
  process's memory). While Redis does not answer (0.5 s connect and read timeouts), each process
  counts in its own memory, logs one warning for the outage, and goes back to Redis once a
  check finds it answering again (throttling.py).

A variable set to the empty string counts as unset (a `NAME=` line in an env file), as in the
Django and FastAPI apps. There are no per-environment subclasses: APP_ENV only switches the
production checks on.
"""

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from flask_app.logs import LOG_FORMATS, LOG_LEVELS

DEFAULT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_PATH = REPO_ROOT / "var" / "flask.sqlite3"
DEMO_DATA_PATH = REPO_ROOT / "shared_spec" / "demo_data.json"
MAX_BODY_BYTES = 1024 * 1024


class ConfigurationError(click.ClickException):
    """The environment holds settings the app cannot start with; the message is one line.

    A click exception, like Flask's own NoAppException: `flask db upgrade` and `flask run`
    load the app through click, which prints it as one "Error: ..." line and exits 1 instead
    of showing a traceback.
    """


def database_uri(url: str) -> str:
    """Map the shared DATABASE_URL onto the SQLAlchemy driver this app uses (psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def engine_options(
    uri: str, *, pool_size: int, max_overflow: int, pool_timeout: float
) -> dict[str, Any]:
    """SQLALCHEMY_ENGINE_OPTIONS: the pool settings apply to PostgreSQL only."""
    if not uri.startswith("postgresql"):
        return {}
    return {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout,
        "pool_pre_ping": True,
    }


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    """A variable with a fixed set of values (case-insensitive); another stops the app."""
    raw = env.get(name, "").strip() or default
    for choice in choices:
        if raw.lower() == choice.lower():
            return choice
    raise ConfigurationError(f"{name} must be one of {', '.join(choices)} (got {raw!r})")


def _number(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    """An integer variable; a malformed one stops the app with a message naming it."""
    raw = env.get(name, "").strip() or str(default)
    value = int(raw) if raw.isascii() and raw.isdecimal() else None
    if value is None or value < minimum:
        raise ConfigurationError(f"{name} must be an integer >= {minimum} (got {raw!r})")
    return value


# A rate is `<count>/<second|minute|hour|day>`, the notation the three apps share.
RATE = re.compile(r"[0-9]+/(second|minute|hour|day)")


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    """A rate limit such as `10/minute`; a malformed one stops the app."""
    value = env.get(name, "").strip() or default
    if not RATE.fullmatch(value):
        raise ConfigurationError(f"{name} must be a rate such as {default!r} (got {value!r})")
    return value


def _networks(
    env: Mapping[str, str], name: str
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma-separated addresses or networks; a malformed one stops the app."""
    items = [item.strip() for item in env.get(name, "").split(",") if item.strip()]
    try:
        return [ipaddress.ip_network(item, strict=False) for item in items]
    except ValueError as error:
        raise ConfigurationError(f"{name}: {error}") from None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A boolean variable: true/false, 1/0, yes/no, on/off."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        raise ConfigurationError(f"{name} must be true or false (got {raw!r})")
    return raw in {"1", "true", "yes", "on"}


class Config:
    """Flask settings read from the environment when the app is created (not at import)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.APP_ENV = env.get("APP_ENV", "").strip() or "development"
        if self.APP_ENV not in ("development", "production"):
            # A typo such as `prod` would otherwise run with the development secret accepted.
            raise ConfigurationError(
                f"APP_ENV must be 'development' or 'production' (got {self.APP_ENV!r})"
            )
        self.SECRET_KEY = env.get("SECRET_KEY") or DEFAULT_SECRET_KEY
        self.DATABASE_URL = (
            env.get("DATABASE_URL", "").strip() or f"sqlite:///{DEFAULT_DATABASE_PATH}"
        )
        self.SQLALCHEMY_DATABASE_URI = database_uri(self.DATABASE_URL)
        self.DB_POOL_SIZE = _number(env, "DB_POOL_SIZE", 5, minimum=1)
        self.DB_MAX_OVERFLOW = _number(env, "DB_MAX_OVERFLOW", 10, minimum=0)
        self.DB_POOL_TIMEOUT = _number(env, "DB_POOL_TIMEOUT", 30, minimum=1)
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(
            self.SQLALCHEMY_DATABASE_URI,
            pool_size=self.DB_POOL_SIZE,
            max_overflow=self.DB_MAX_OVERFLOW,
            pool_timeout=self.DB_POOL_TIMEOUT,
        )
        self.JWT_TTL_SECONDS = _number(env, "JWT_TTL_SECONDS", 2592000, minimum=1)
        origins = env.get("CORS_ALLOWED_ORIGINS", "*")
        self.CORS_ALLOWED_ORIGINS = [o.strip() for o in origins.split(",") if o.strip()] or ["*"]
        self.MAX_CONTENT_LENGTH = MAX_BODY_BYTES
        self.LOG_LEVEL = _choice(env, "LOG_LEVEL", "INFO", LOG_LEVELS)
        self.LOG_FORMAT = _choice(env, "LOG_FORMAT", "json", LOG_FORMATS)
        # The abuse limits (throttling.py) and Flask-Limiter's own settings.
        self.RATE_LIMIT_LOGIN_ADDRESS = _rate(env, "RATE_LIMIT_LOGIN_ADDRESS", "60/minute")
        self.RATE_LIMIT_LOGIN_ACCOUNT = _rate(env, "RATE_LIMIT_LOGIN_ACCOUNT", "10/minute")
        self.RATE_LIMIT_REGISTER_ADDRESS = _rate(env, "RATE_LIMIT_REGISTER_ADDRESS", "30/minute")
        self.TRUSTED_PROXIES = _networks(env, "TRUSTED_PROXIES")
        self.REDIS_URL = env.get("REDIS_URL", "").strip()
        self.RATELIMIT_ENABLED = _flag(env, "RATE_LIMITS_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        if self.REDIS_URL:
            # A Redis that hangs costs a request half a second, not a worker.
            self.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        # Redis down: count in this process's memory with the same limits, retrying Redis with
        # Flask-Limiter's back-off; swallowed, the failure of a count after the response.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True
        # `flask seed` loads the demo data unless SEED=0.
        self.SEED = env.get("SEED", "1") != "0"
        # The admin's session cookie (Flask's signed session); the API itself never sets one.
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.APP_ENV == "production"
        if self.APP_ENV == "production":
            self.DEBUG = False

    def as_dict(self) -> dict[str, Any]:
        """The settings as Flask config keys (upper-case attributes)."""
        return {key: value for key, value in vars(self).items() if key.isupper()}


def check_production(config: Mapping[str, Any]) -> None:
    """Refuse to run in production with a missing or well-known signing key."""
    if config.get("APP_ENV") != "production":
        return
    secret = config.get("SECRET_KEY")
    if not secret or secret == DEFAULT_SECRET_KEY:
        raise ConfigurationError(
            "SECRET_KEY must be set to a private value (not the development default) "
            "when APP_ENV=production"
        )
