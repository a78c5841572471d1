"""Settings: production refuses the default secret; variables are parsed as documented."""

import pytest
from pydantic import ValidationError

from fastapi_app.config import DEFAULT_SECRET_KEY, Settings
from fastapi_app.db import async_database_url


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
