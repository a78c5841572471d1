"""Settings: every environment variable the app reads, parsed and checked in one place.

The same variable names as the Flask and Django apps:
- DATABASE_URL: `sqlite:////abs/path.sqlite3` (default `<repo>/var/fastapi.sqlite3`) or
  `postgresql://user@host:port/db`; db.py picks the async driver.
- SECRET_KEY: the HS256 signing key; APP_ENV=production refuses the development default.
- APP_ENV: `development` (default) or `production`.
- JWT_TTL_SECONDS: token lifetime (default 2592000, 30 days).
- CORS_ALLOWED_ORIGINS: comma-separated origins (default `*`).
- SEED: `0` turns `python -m fastapi_app.cli seed` into a no-op.
- DB_POOL_SIZE (default 5), DB_MAX_OVERFLOW (default 10), DB_POOL_TIMEOUT (seconds, default
  30): the connection pool of each process on PostgreSQL, where pre-ping is always on so that
  a connection the server dropped is replaced instead of failing a request. SQLite keeps
  SQLAlchemy's own pooling (a file needs no network connections to share).
- LOG_LEVEL (default INFO) and LOG_FORMAT (`json`, the default in every environment, or `text`
  for a person at a terminal): see logs.py.
- RATE_LIMIT_LOGIN_ADDRESS (default `60/minute`), RATE_LIMIT_LOGIN_ACCOUNT (`10/minute`, failed
  logins only), RATE_LIMIT_REGISTER_ADDRESS (`30/minute`): the abuse limits (throttling.py);
  RATE_LIMITS_ENABLED=false turns them off.
- TRUSTED_PROXIES: comma-separated addresses or networks whose X-Forwarded-For names the client
  (default none: the peer address is the client).
- REDIS_URL: where the limits' counters live, shared by every process (default: unset, in each
  process's memory). While Redis does not answer (0.5 s connect and read timeouts), each process
  counts in its own memory, logs one warning for the outage, and goes back to Redis once it
  answers again (throttling.py).

A variable set to the empty string counts as unset (a `NAME=` line in an env file), as in the
Flask and Django apps: pydantic-settings' `env_ignore_empty`.
"""

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    IPvAnyNetwork,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"
DEFAULT_DATABASE_PATH = Path(__file__).resolve().parent.parent / "var" / "fastapi.sqlite3"

# A rate is `<count>/<second|minute|hour|day>`, the notation the three apps share.
Rate = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]+/(second|minute|hour|day)$")
]


class Settings(BaseSettings):
    """Configuration read from the environment (same variable names as the Flask and Django apps).

    There is one class for every environment: APP_ENV only switches on the production checks.
    """

    # A settings error must never print the values it was given (SECRET_KEY among them).
    model_config = SettingsConfigDict(hide_input_in_errors=True, env_ignore_empty=True)

    database_url: str = f"sqlite:///{DEFAULT_DATABASE_PATH}"
    secret_key: str = DEFAULT_SECRET_KEY
    app_env: Literal["development", "production"] = "development"
    jwt_ttl_seconds: PositiveInt = 30 * 24 * 60 * 60
    # NoDecode: the variable is a comma-separated list, not the JSON pydantic-settings expects.
    cors_allowed_origins: Annotated[list[str], NoDecode] = ["*"]
    # SEED=0 turns `python -m fastapi_app.cli seed` into a no-op.
    seed: bool = True
    # The PostgreSQL connection pool of each process (see above).
    db_pool_size: PositiveInt = 5
    db_max_overflow: NonNegativeInt = 10
    db_pool_timeout: PositiveFloat = 30
    # Request logs and every other record (see logs.py); case-insensitive, like the other apps.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    # The abuse limits (throttling.py).
    rate_limits_enabled: bool = True
    rate_limit_login_address: Rate = "60/minute"
    rate_limit_login_account: Rate = "10/minute"
    rate_limit_register_address: Rate = "30/minute"
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = []
    redis_url: str = ""

    @field_validator("cors_allowed_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            return value.upper() if info.field_name == "log_level" else value.lower()
        return value

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Self:
        if self.app_env == "production" and self.secret_key in ("", DEFAULT_SECRET_KEY):
            raise ValueError(
                "SECRET_KEY must be set to a private value when APP_ENV=production "
                "(it is unset or still the development default)"
            )
        return self


class ConfigurationError(Exception):
    """The environment holds settings the app cannot start with; the message is one line."""


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first use.

    Raises ConfigurationError naming each bad variable, so the entry points can print one
    clear line and exit instead of showing a traceback."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ConfigurationError(f"invalid settings: {problems}") from None


def _describe(error: Mapping[str, Any]) -> str:
    variable = "_".join(str(part) for part in error["loc"]).upper()
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{variable}: {message}" if variable else message
