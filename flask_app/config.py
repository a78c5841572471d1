"""Settings: the one place the app reads its environment.

The same variable names are used by the Django and FastAPI apps (DATABASE_URL, SECRET_KEY,
APP_ENV, JWT_TTL_SECONDS, CORS_ALLOWED_ORIGINS). There are no per-environment subclasses:
APP_ENV only switches the production safety checks on.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_PATH = REPO_ROOT / "var" / "flask.sqlite3"
DEMO_DATA_PATH = REPO_ROOT / "shared_spec" / "demo_data.json"
MAX_BODY_BYTES = 1024 * 1024


def database_uri(url: str) -> str:
    """Map the shared DATABASE_URL onto the SQLAlchemy driver this app uses (psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


class Config:
    """Flask settings read from the environment when the app is created (not at import)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.APP_ENV = env.get("APP_ENV", "development")
        self.SECRET_KEY = env.get("SECRET_KEY") or DEFAULT_SECRET_KEY
        self.DATABASE_URL = env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DATABASE_PATH}"
        self.SQLALCHEMY_DATABASE_URI = database_uri(self.DATABASE_URL)
        self.JWT_TTL_SECONDS = int(env.get("JWT_TTL_SECONDS", "2592000"))
        origins = env.get("CORS_ALLOWED_ORIGINS", "*")
        self.CORS_ALLOWED_ORIGINS = [o.strip() for o in origins.split(",") if o.strip()] or ["*"]
        self.MAX_CONTENT_LENGTH = MAX_BODY_BYTES
        # `flask seed` loads the demo data unless SEED=0.
        self.SEED = env.get("SEED", "1") != "0"
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
        raise RuntimeError(
            "SECRET_KEY must be set to a private value (not the development default) "
            "when APP_ENV=production"
        )
