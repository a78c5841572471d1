"""Start and stop the three implementations as real server processes.

The contract suite never imports the apps: it runs the same commands a person runs (see the
Makefile), each on a free port with a fresh SQLite database, and talks to them over HTTP.
A server's output (migration, then its stdout and stderr, where the apps write their logs) goes
to `log_file` when one is given (the suite's servers: build/logs/<app>.log, kept after the run
so the log tests and a person can read it), else to a file in its temporary workdir.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# The secret the managed test servers sign tokens with; tests use it to forge expired tokens.
TEST_SECRET_KEY = "contract-suite-secret-key-0123456789abcdef"
# The apps' development default, assumed for --base-url servers unless --secret-key is given.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"

IMPLEMENTATIONS = ("flask", "django", "fastapi")

LOG_DIR = REPO_ROOT / "build" / "logs"
# Every log file a server of this process wrote to, for the checks that read them all.
SERVER_LOGS: list[Path] = []
# The managed servers' rate limits: far above what any test (or the fuzzer) sends in a minute.
RAISED_LIMIT = "100000/minute"


@dataclass(frozen=True)
class Commands:
    """How one implementation is migrated and served; `{port}` is filled in."""

    migrate: tuple[str, ...]
    serve: tuple[str, ...]


COMMANDS: dict[str, Commands] = {
    "flask": Commands(
        migrate=(str(BIN / "flask"), "--app", "flask_app", "db", "upgrade"),
        serve=(
            str(BIN / "flask"),
            "--app",
            "flask_app",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
        ),
    ),
    "django": Commands(
        migrate=(str(BIN / "python"), "django_app/manage.py", "migrate", "--noinput"),
        serve=(
            str(BIN / "python"),
            "django_app/manage.py",
            "runserver",
            "127.0.0.1:{port}",
            "--noreload",
        ),
    ),
    "fastapi": Commands(
        migrate=(str(BIN / "python"), "-m", "fastapi_app.cli", "migrate"),
        # As `make run-fastapi` serves it: granian's HTTP layer (see GRANIAN_HTTP in the Makefile).
        serve=(
            str(BIN / "granian"),
            "--interface",
            "asgi",
            "fastapi_app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--http1-buffer-size",
            "16384",
            "--http1-header-read-timeout",
            "10000",
            "--no-ws",
            "--log-config",
            "fastapi_app/granian-logging.json",
        ),
    ),
}


DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class PostgresDatabases:
    """Creates a database per server for the run and drops it afterwards."""

    def __init__(self, admin_url: str) -> None:
        import psycopg

        self.admin_url = admin_url
        self.created: list[str] = []
        try:
            with psycopg.connect(admin_url, connect_timeout=5) as connection:
                connection.execute("SELECT 1")
        except psycopg.OperationalError as error:
            raise RuntimeError(
                f"no PostgreSQL server answers at {admin_url}: {error}\n"
                "Start one, or point the suite at one with POSTGRES_ADMIN_URL=postgresql://user@host:port/db"
            ) from error

    def create(self, prefix: str) -> str:
        import psycopg

        name = f"conduit_{prefix}_{os.getpid()}_{len(self.created)}_{int(time.time())}"
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            for name in self.created:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


def free_port() -> int:
    """Ask the kernel for a port nobody is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """One implementation running as a child process on its own port and database."""

    name: str
    database_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    commands: Commands | None = None  # default: COMMANDS[name], the development servers
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="conduit-")))
    log_file: Path | None = None

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.log_file or self.workdir / "server.log"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(REPO_ROOT),
            DATABASE_URL=self.database_url or f"sqlite:///{self.workdir / 'conduit.sqlite3'}",
            SECRET_KEY=TEST_SECRET_KEY,
            APP_ENV="development",
            SEED="0",
            PYTHONUNBUFFERED="1",
            # The apps' defaults, pinned so a developer's own setting cannot change what the
            # log tests read.
            LOG_LEVEL="INFO",
            LOG_FORMAT="json",
            # The rate limits stay on, raised out of the suite's reach (test_rate_limits.py
            # starts servers of its own with small ones); the counters live in memory.
            RATE_LIMITS_ENABLED="true",
            RATE_LIMIT_LOGIN_ADDRESS=RAISED_LIMIT,
            RATE_LIMIT_LOGIN_ACCOUNT=RAISED_LIMIT,
            RATE_LIMIT_REGISTER_ADDRESS=RAISED_LIMIT,
            REDIS_URL="",
            TRUSTED_PROXIES="",
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60.0) -> None:
        """Migrate a fresh database, start the server and wait until /health answers."""
        commands = self.commands or COMMANDS[self.name]
        env = self.environment()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.write_bytes(b"")  # this run's output only
        SERVER_LOGS.append(self.log_path)
        with self.log_path.open("ab") as log:
            migrated = subprocess.run(
                commands.migrate,
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
        if migrated.returncode != 0:
            raise RuntimeError(f"{self.name}: migration failed\n{self.log_tail()}")
        serve = [part.format(port=self.port, workers=self.workers) for part in commands.serve]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            serve,
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() takes its children too
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: server exited early\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.root_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        tail = self.log_tail()
        self.stop()
        raise RuntimeError(f"{self.name}: /health did not answer in {timeout:.0f}s\n{tail}")

    def stop(self) -> None:
        """Stop the whole process group, politely first, then remove its database and log."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
