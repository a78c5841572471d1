"""Settings: every environment variable the app reads, parsed and checked in one place."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import PositiveInt, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"
DEFAULT_DATABASE_PATH = Path(__file__).resolve().parent.parent / "var" / "fastapi.sqlite3"


class Settings(BaseSettings):
    """Configuration read from the environment (same variable names as the Flask and Django apps).

    There is one class for every environment: APP_ENV only switches on the production checks.
    """

    # A settings error must never print the values it was given (SECRET_KEY among them).
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    database_url: str = f"sqlite:///{DEFAULT_DATABASE_PATH}"
    secret_key: str = DEFAULT_SECRET_KEY
    app_env: Literal["development", "production"] = "development"
    jwt_ttl_seconds: PositiveInt = 30 * 24 * 60 * 60
    # NoDecode: the variable is a comma-separated list, not the JSON pydantic-settings expects.
    cors_allowed_origins: Annotated[list[str], NoDecode] = ["*"]
    # SEED=0 turns `python -m fastapi_app.cli seed` into a no-op.
    seed: bool = True

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Self:
        if self.app_env == "production" and self.secret_key in ("", DEFAULT_SECRET_KEY):
            raise ValueError(
                "SECRET_KEY must be set to a private value when APP_ENV=production "
                "(it is unset or still the development default)"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first use."""
    return Settings()
