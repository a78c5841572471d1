"""Settings come from the environment; production refuses the development secret."""

import pytest

from flask_app import create_app
from flask_app.config import DEFAULT_SECRET_KEY, Config, database_uri


def test_defaults() -> None:
    config = Config({})
    assert config.APP_ENV == "development"
    assert config.SECRET_KEY == DEFAULT_SECRET_KEY
    assert config.JWT_TTL_SECONDS == 2592000
    assert config.CORS_ALLOWED_ORIGINS == ["*"]
    assert config.MAX_CONTENT_LENGTH == 1048576
    assert config.SQLALCHEMY_DATABASE_URI.endswith("/var/flask.sqlite3")


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


@pytest.mark.parametrize("secret", [None, "", DEFAULT_SECRET_KEY])
def test_production_refuses_the_default_or_missing_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_real_secret_and_debug_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-that-is-long-enough-for-hs256")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app()
    assert app.debug is False
