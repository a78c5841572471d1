"""Settings come from the environment; production refuses the development secret."""

import pytest
from flask import Flask
from sqlalchemy.pool import QueuePool

from flask_app import create_app
from flask_app.config import DEFAULT_SECRET_KEY, Config, ConfigurationError, database_uri
from flask_app.extensions import db


def test_defaults() -> None:
    config = Config({})
    assert config.APP_ENV == "development"
    assert config.SECRET_KEY == DEFAULT_SECRET_KEY
    assert config.JWT_TTL_SECONDS == 2592000
    assert config.CORS_ALLOWED_ORIGINS == ["*"]
    assert config.MAX_CONTENT_LENGTH == 1048576
    assert config.SQLALCHEMY_DATABASE_URI.endswith("/var/flask.sqlite3")
    assert (config.DB_POOL_SIZE, config.DB_MAX_OVERFLOW, config.DB_POOL_TIMEOUT) == (5, 10, 30)
    assert config.SQLALCHEMY_ENGINE_OPTIONS == {}  # SQLite keeps SQLAlchemy's own pooling


def test_empty_variables_count_as_unset() -> None:
    """`NAME=` lines in an env file leave the defaults in place."""
    variables = ("APP_ENV", "SECRET_KEY", "DATABASE_URL", "JWT_TTL_SECONDS",
                 "CORS_ALLOWED_ORIGINS", "DB_POOL_SIZE", "LOG_LEVEL", "LOG_FORMAT",
                 "RATE_LIMITS_ENABLED", "RATE_LIMIT_LOGIN_ADDRESS", "TRUSTED_PROXIES",
                 "REDIS_URL", "SEED")  # fmt: skip
    empty, defaults = Config(dict.fromkeys(variables, "")), Config({})
    for attribute in ("APP_ENV", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "JWT_TTL_SECONDS",
                      "CORS_ALLOWED_ORIGINS", "DB_POOL_SIZE", "LOG_LEVEL", "LOG_FORMAT",
                      "RATELIMIT_ENABLED", "RATE_LIMIT_LOGIN_ADDRESS", "TRUSTED_PROXIES",
                      "RATELIMIT_STORAGE_URI", "SEED"):  # fmt: skip
        assert getattr(empty, attribute) == getattr(defaults, attribute), attribute


@pytest.mark.parametrize("value", ["prod", "Production", "staging"])
def test_an_unknown_app_env_is_refused(value: str) -> None:
    """A typo must not run the app with the development secret accepted."""
    with pytest.raises(ConfigurationError, match="APP_ENV must be 'development' or 'production'"):
        Config({"APP_ENV": value, "SECRET_KEY": "a-private-secret-that-is-long-enough-0123"})


def test_environment_is_read() -> None:
    config = Config(
        {
            "DATABASE_URL": "postgresql://conduit@db:5432/conduit",
            "JWT_TTL_SECONDS": "60",
            "CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        }
    )
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://conduit@db:5432/conduit"
    assert config.JWT_TTL_SECONDS == 60
    assert config.CORS_ALLOWED_ORIGINS == ["https://a.example", "https://b.example"]
    assert database_uri("sqlite:////tmp/x.sqlite3") == "sqlite:////tmp/x.sqlite3"
    assert config.SQLALCHEMY_ENGINE_OPTIONS == {
        "pool_size": 5,
        "max_overflow": 10,
        "pool_timeout": 30,
        "pool_pre_ping": True,
    }


def test_pool_settings_reach_the_postgresql_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """DB_POOL_SIZE, DB_MAX_OVERFLOW and DB_POOL_TIMEOUT size each process's pool."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://conduit@127.0.0.1:1/conduit")  # no connection
    monkeypatch.setenv("DB_POOL_SIZE", "7")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "3")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "12")
    app = create_app()
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_size": 7,
        "max_overflow": 3,
        "pool_timeout": 12,
        "pool_pre_ping": True,
    }
    with app.app_context():
        pool = db.engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool.timeout()) == (7, 12)


@pytest.mark.parametrize(
    ("name", "value"), [("DB_POOL_SIZE", "0"), ("DB_MAX_OVERFLOW", "-1"), ("JWT_TTL_SECONDS", "x")]
)
def test_a_malformed_number_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Config({name: value})


@pytest.mark.parametrize("secret", [None, "", DEFAULT_SECRET_KEY])
def test_production_refuses_the_default_or_missing_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_real_secret_and_debug_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-that-is-long-enough-for-hs256")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app()
    assert app.debug is False


def test_rate_limits_default_and_are_read_from_the_environment() -> None:
    defaults = Config({})
    assert (
        defaults.RATE_LIMIT_LOGIN_ADDRESS,
        defaults.RATE_LIMIT_LOGIN_ACCOUNT,
        defaults.RATE_LIMIT_REGISTER_ADDRESS,
    ) == ("60/minute", "10/minute", "30/minute")
    assert defaults.RATELIMIT_ENABLED is True
    assert defaults.RATELIMIT_STORAGE_URI == "memory://"
    assert defaults.TRUSTED_PROXIES == []
    config = Config(
        {
            "RATE_LIMIT_LOGIN_ACCOUNT": "5/hour",
            "RATE_LIMITS_ENABLED": "false",
            "REDIS_URL": "redis://127.0.0.1:6379/2",
            "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
        }
    )
    assert config.RATE_LIMIT_LOGIN_ACCOUNT == "5/hour"
    assert config.RATELIMIT_ENABLED is False
    assert config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/2"
    assert [str(network) for network in config.TRUSTED_PROXIES] == ["127.0.0.1/32", "10.0.0.0/8"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATE_LIMIT_LOGIN_ADDRESS", "60 per minute"),
        ("RATE_LIMIT_REGISTER_ADDRESS", "ten/minute"),
        ("RATE_LIMITS_ENABLED", "maybe"),
        ("TRUSTED_PROXIES", "proxy.example"),
    ],
)
def test_a_malformed_rate_limit_setting_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Config({name: value})


def test_sqlite_connections_use_wal_without_an_fsync_per_commit(app: Flask) -> None:
    """WAL with synchronous=NORMAL (1): commits hold the write lock without an fsync."""
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1
