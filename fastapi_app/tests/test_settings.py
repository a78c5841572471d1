"""Settings: production refuses the default secret (with one clear line, no traceback);
variables, the pool settings among them, are parsed as documented."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.pool import QueuePool

from fastapi_app.config import DEFAULT_SECRET_KEY, ConfigurationError, Settings, get_settings
from fastapi_app.db import async_database_url
from fastapi_app.main import create_app

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """get_settings() caches the environment it saw first; forget it around the test."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings()
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(secret_key=DEFAULT_SECRET_KEY)


def test_production_starts_with_a_private_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-private-secret-that-is-long-enough-0123")
    assert Settings().secret_key == "a-private-secret-that-is-long-enough-0123"


def test_development_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APP_ENV", "SECRET_KEY", "JWT_TTL_SECONDS", "CORS_ALLOWED_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.app_env == "development"
    assert settings.secret_key == DEFAULT_SECRET_KEY
    assert settings.jwt_ttl_seconds == 2_592_000
    assert settings.cors_allowed_origins == ["*"]
    assert settings.database_url.endswith("/var/fastapi.sqlite3")


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """`NAME=` lines in an env file leave the defaults in place."""
    fields = Settings.model_fields
    for name in fields:
        monkeypatch.delenv(name.upper(), raising=False)
    defaults = Settings()
    for name in fields:
        monkeypatch.setenv(name.upper(), "")
    assert Settings() == defaults


def test_cors_origins_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "http://a.example, http://b.example")
    assert Settings().cors_allowed_origins == ["http://a.example", "http://b.example"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////tmp/x.sqlite3", "sqlite+aiosqlite:////tmp/x.sqlite3"),
        ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_urls_get_async_drivers(url: str, expected: str) -> None:
    assert async_database_url(url) == expected


def test_pool_settings_default_and_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW", "DB_POOL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    assert defaults.db_pool_size == 5
    assert defaults.db_max_overflow == 10
    assert defaults.db_pool_timeout == 30

    monkeypatch.setenv("DB_POOL_SIZE", "7")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "3")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "12.5")
    settings = Settings()
    assert settings.db_pool_size == 7
    assert settings.db_max_overflow == 3
    assert settings.db_pool_timeout == 12.5


@pytest.mark.anyio
async def test_the_postgresql_engine_is_built_with_the_pool_settings() -> None:
    settings = Settings(
        database_url="postgresql://nobody@127.0.0.1:1/nothing",  # never connected to
        db_pool_size=7,
        db_max_overflow=3,
        db_pool_timeout=12.5,
    )
    engine = create_app(settings).state.engine
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    # QueuePool has accessors for the size and the timeout only.
    assert (pool.size(), pool._max_overflow, pool.timeout(), pool._pre_ping) == (7, 3, 12.5, True)
    await engine.dispose()


def test_bad_settings_are_one_line(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "many")
    monkeypatch.setenv("JWT_TTL_SECONDS", "-1")
    with pytest.raises(ConfigurationError) as error:
        get_settings()
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("invalid settings: ")
    assert "DB_POOL_SIZE: " in message
    assert "JWT_TTL_SECONDS: " in message


@pytest.mark.parametrize(
    ("command", "exit_code"),
    [
        (["-m", "fastapi_app.cli", "migrate"], 1),
        # What each uvicorn worker does first; 3 is uvicorn's "startup failed, stop everything".
        (["-c", "import fastapi_app.main"], 3),
    ],
)
def test_production_without_a_secret_refuses_to_start(command: list[str], exit_code: int) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    environment |= {"APP_ENV": "production", "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, *command],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == exit_code
    assert result.stderr.strip().splitlines() == [
        "fastapi_app: invalid settings: SECRET_KEY must be set to a private value when "
        "APP_ENV=production (it is unset or still the development default)"
    ]


def test_rate_limits_default_and_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    defaults = Settings()
    assert (
        defaults.rate_limit_login_address,
        defaults.rate_limit_login_account,
        defaults.rate_limit_register_address,
    ) == ("60/minute", "10/minute", "30/minute")
    assert defaults.rate_limits_enabled is True
    assert (defaults.redis_url, defaults.trusted_proxies) == ("", [])
    monkeypatch.setenv("RATE_LIMIT_LOGIN_ACCOUNT", "5/hour")
    monkeypatch.setenv("RATE_LIMITS_ENABLED", "false")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/2")
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    settings = Settings()
    assert settings.rate_limit_login_account == "5/hour"
    assert settings.rate_limits_enabled is False
    assert settings.redis_url == "redis://127.0.0.1:6379/2"
    assert [str(network) for network in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATE_LIMIT_LOGIN_ADDRESS", "60 per minute"),
        ("RATE_LIMIT_REGISTER_ADDRESS", "ten/minute"),
        ("RATE_LIMITS_ENABLED", "maybe"),
        ("TRUSTED_PROXIES", "proxy.example"),
    ],
)
def test_a_malformed_rate_limit_setting_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: None, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        get_settings()


@pytest.mark.anyio
async def test_sqlite_connections_use_wal_without_an_fsync_per_commit(app: FastAPI) -> None:
    """WAL with synchronous=NORMAL (1): commits hold the write lock without an fsync."""
    async with app.state.engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await connection.exec_driver_sql("PRAGMA synchronous")).scalar() == 1
