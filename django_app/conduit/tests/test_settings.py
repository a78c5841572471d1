"""settings.py read fresh under a given environment: production refuses the default secret."""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

import importlib.util
import os
from pathlib import Path
from types import ModuleType
from unittest import mock

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "settings.py"


def load_settings(**environ: str) -> ModuleType:
    """Execute settings.py as a new module with exactly these app variables set."""
    names = ("APP_ENV", "SECRET_KEY", "DATABASE_URL", "JWT_TTL_SECONDS", "CORS_ALLOWED_ORIGINS")
    clean = {key: value for key, value in os.environ.items() if key not in names}
    spec = importlib.util.spec_from_file_location("fresh_settings", SETTINGS_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ, {**clean, **environ}, clear=True):
        spec.loader.exec_module(module)
    return module


class SettingsTests(SimpleTestCase):
    """Environment-driven settings."""

    def test_production_refuses_an_unset_secret_key(self) -> None:
        with self.assertRaisesRegex(ImproperlyConfigured, "SECRET_KEY"):
            load_settings(APP_ENV="production")

    def test_production_refuses_the_default_secret_key(self) -> None:
        default = "development-only-secret-key-do-not-use-in-production"
        with self.assertRaisesRegex(ImproperlyConfigured, "SECRET_KEY"):
            load_settings(APP_ENV="production", SECRET_KEY=default)

    def test_production_with_a_secret_runs_without_debug(self) -> None:
        settings = load_settings(APP_ENV="production", SECRET_KEY="a-private-key-" + "x" * 32)
        self.assertFalse(settings.DEBUG)

    def test_development_defaults(self) -> None:
        settings = load_settings()
        self.assertEqual(settings.APP_ENV, "development")
        self.assertEqual(settings.JWT_TTL_SECONDS, 2592000)
        self.assertTrue(settings.CORS_ALLOW_ALL_ORIGINS)
        self.assertFalse(settings.APPEND_SLASH)
        self.assertTrue(str(settings.DATABASES["default"]["NAME"]).endswith("var/django.sqlite3"))
        self.assertEqual(settings.PASSWORD_HASHERS, ["django_app.conduit.hashers.Argon2idHasher"])

    def test_passwords_are_hashed_with_argon2id_at_the_shared_cost(self) -> None:
        from django.contrib.auth.hashers import check_password, make_password

        encoded = make_password("correct horse battery")
        self.assertTrue(encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$"), encoded)
        self.assertTrue(check_password("correct horse battery", encoded))

    def test_database_url_and_cors_origins_come_from_the_environment(self) -> None:
        settings = load_settings(
            DATABASE_URL="postgresql://conduit@db.example:5432/conduit",
            CORS_ALLOWED_ORIGINS="http://a.example, http://b.example",
        )
        database = settings.DATABASES["default"]
        self.assertEqual(database["ENGINE"], "django.db.backends.postgresql")
        self.assertEqual((database["HOST"], database["NAME"]), ("db.example", "conduit"))
        self.assertFalse(settings.CORS_ALLOW_ALL_ORIGINS)
        self.assertEqual(settings.CORS_ALLOWED_ORIGINS, ["http://a.example", "http://b.example"])
