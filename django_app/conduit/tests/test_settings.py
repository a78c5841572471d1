"""settings.py read fresh under a given environment: production refuses the default secret."""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from unittest import mock

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase
from django.urls import get_resolver

PACKAGE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_FILE = PACKAGE_DIR / "settings.py"
APP_VARIABLES = (
    "APP_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "JWT_TTL_SECONDS",
    "CORS_ALLOWED_ORIGINS",
    "DB_CONN_MAX_AGE",
    "SEED",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "RATE_LIMITS_ENABLED",
    "RATE_LIMIT_LOGIN_ADDRESS",
    "RATE_LIMIT_LOGIN_ACCOUNT",
    "RATE_LIMIT_REGISTER_ADDRESS",
    "TRUSTED_PROXIES",
    "REDIS_URL",
    "ALLOWED_HOSTS",
)


def clean_environ(**environ: str) -> dict[str, str]:
    """The process environment without the app's variables, plus `environ`."""
    kept = {key: value for key, value in os.environ.items() if key not in APP_VARIABLES}
    return {**kept, **environ}


def load_settings(**environ: str) -> ModuleType:
    """Execute settings.py as a new module with exactly these app variables set."""
    spec = importlib.util.spec_from_file_location("fresh_settings", SETTINGS_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ, clean_environ(**environ), clear=True):
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
        self.assertTrue(settings.SEED)
        self.assertTrue(settings.CORS_ALLOW_ALL_ORIGINS)
        self.assertFalse(settings.APPEND_SLASH)
        self.assertTrue(str(settings.DATABASES["default"]["NAME"]).endswith("var/django.sqlite3"))
        self.assertEqual(settings.PASSWORD_HASHERS, ["django_app.conduit.hashers.Argon2idHasher"])

    def test_passwords_are_hashed_with_argon2id_at_the_shared_cost(self) -> None:
        from django.contrib.auth.hashers import check_password, make_password

        encoded = make_password("correct horse battery")
        self.assertTrue(encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$"), encoded)
        self.assertTrue(check_password("correct horse battery", encoded))

    def test_empty_variables_count_as_unset(self) -> None:
        """`NAME=` lines in an env file leave the defaults in place."""
        empty, defaults = load_settings(**dict.fromkeys(APP_VARIABLES, "")), load_settings()
        for name in ("APP_ENV", "SECRET_KEY", "DATABASES", "JWT_TTL_SECONDS", "ALLOWED_HOSTS",
                     "CORS_ALLOW_ALL_ORIGINS", "CORS_ALLOWED_ORIGINS", "SEED", "LOG_LEVEL",
                     "LOG_FORMAT", "RATE_LIMITS_ENABLED", "RATE_LIMIT_LOGIN_ADDRESS",
                     "TRUSTED_PROXIES", "REDIS_URL", "CACHES"):  # fmt: skip
            with self.subTest(name):
                self.assertEqual(getattr(empty, name), getattr(defaults, name))

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

    def test_persistent_connections_default_to_sixty_seconds_with_health_checks(self) -> None:
        database = load_settings().DATABASES["default"]
        self.assertEqual(database["CONN_MAX_AGE"], 60)
        self.assertTrue(database["CONN_HEALTH_CHECKS"])

    def test_connection_age_comes_from_the_environment(self) -> None:
        for raw, expected in (("0", 0), ("300", 300)):
            with self.subTest(raw):
                settings = load_settings(
                    DB_CONN_MAX_AGE=raw, DATABASE_URL="postgresql://conduit@db.example/conduit"
                )
                self.assertEqual(settings.DATABASES["default"]["CONN_MAX_AGE"], expected)
                self.assertTrue(settings.DATABASES["default"]["CONN_HEALTH_CHECKS"])

    def test_seed_0_turns_the_demo_data_off(self) -> None:
        self.assertFalse(load_settings(SEED="0").SEED)
        self.assertTrue(load_settings(SEED="1").SEED)

    def test_malformed_numbers_are_refused_by_name(self) -> None:
        for name, raw in (
            ("DB_CONN_MAX_AGE", "-1"),
            ("DB_CONN_MAX_AGE", "soon"),
            ("JWT_TTL_SECONDS", "0"),
        ):
            with (
                self.subTest(name=name, raw=raw),
                self.assertRaisesRegex(ImproperlyConfigured, name),
            ):
                load_settings(**{name: raw})

    def test_rate_limits_default_and_are_read_from_the_environment(self) -> None:
        defaults = load_settings()
        self.assertEqual(
            defaults.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            {
                "login_address": "60/minute",
                "login_account": "10/minute",
                "register_address": "30/minute",
            },
        )
        self.assertEqual(defaults.TRUSTED_PROXIES, [])
        self.assertEqual(
            defaults.CACHES["default"]["BACKEND"], "django.core.cache.backends.locmem.LocMemCache"
        )
        settings = load_settings(
            RATE_LIMIT_LOGIN_ACCOUNT="5/hour",
            REDIS_URL="redis://127.0.0.1:6379/2",
            TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8",
        )
        self.assertEqual(
            settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login_account"], "5/hour"
        )
        self.assertEqual(
            settings.CACHES["default"],
            {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/2",
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            },
        )
        self.assertEqual(
            [str(network) for network in settings.TRUSTED_PROXIES], ["127.0.0.1/32", "10.0.0.0/8"]
        )
        disabled = load_settings(RATE_LIMITS_ENABLED="false")
        self.assertEqual(set(disabled.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].values()), {None})

    def test_malformed_rate_limit_settings_are_refused_by_name(self) -> None:
        for name, raw in (
            ("RATE_LIMIT_LOGIN_ADDRESS", "60 per minute"),
            ("RATE_LIMIT_REGISTER_ADDRESS", "ten/minute"),
            ("RATE_LIMITS_ENABLED", "maybe"),
            ("TRUSTED_PROXIES", "proxy.example"),
        ):
            with (
                self.subTest(name=name, raw=raw),
                self.assertRaisesRegex(ImproperlyConfigured, name),
            ):
                load_settings(**{name: raw})


def manage_py(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run manage.py as `python django_app/manage.py ...` from the repo root."""
    return subprocess.run(
        [sys.executable, "django_app/manage.py", *arguments],
        cwd=PACKAGE_DIR.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


class ManagePyTests(SimpleTestCase):
    """manage.py as a deployment runs it."""

    def test_the_app_loads_as_django_app_conduit_only(self) -> None:
        # This process is manage.py, whose own folder Python put first on sys.path; had any
        # module imported `conduit...` from there, the app would be loaded twice.
        get_resolver().url_patterns  # noqa: B018 - imports every view, serializer and service
        self.assertEqual(sorted(n for n in sys.modules if n.partition(".")[0] == "conduit"), [])

    def test_without_the_repo_root_on_pythonpath_it_says_so_in_one_line(self) -> None:
        environ = {k: v for k, v in clean_environ().items() if k != "PYTHONPATH"}
        result = manage_py("check", env=environ)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn("PYTHONPATH", result.stderr)

    def test_production_without_a_secret_key_is_one_line_and_exit_status_1(self) -> None:
        result = manage_py("check", env=clean_environ(APP_ENV="production"))
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn("SECRET_KEY", result.stderr)
