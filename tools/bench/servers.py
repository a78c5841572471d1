"""How the bench serves each app and the reference, and what a server's process tree costs.

"production" is how `make serve-*` deploys each app: granian, WSGI with 4 blocking threads per
worker for Flask, Django and the reference (granian's default is hundreds, more than the apps'
connection pools), ASGI for FastAPI, with the Makefile's HTTP limits. "conventional" is the
server each framework's deployment docs lead with, for comparison: gunicorn's threaded workers
(4 threads) for the WSGI apps, uvicorn for FastAPI. Every server runs 2 workers and production
settings. CPU and memory are read from /proc for the whole process tree (the server's session:
it starts a new one).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
APPS = ("flask", "django", "fastapi")
SERVERS = ("production", "conventional")
WORKERS = 2
THREADS = 4
DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "benchmark-secret-key-not-for-production-0123456789"
TICKS = os.sysconf("SC_CLK_TCK")

# The apps' WSGI or ASGI targets: "()" marks a factory (gunicorn calls it, granian --factory).
TARGETS = {"flask": "flask_app:create_app()", "django": "django_app.wsgi:application",
           "fastapi": "fastapi_app.main:app",
           "reference": "tools.bench.reference:create_app()"}  # fmt: skip
SERVE = {
    "gunicorn": "gunicorn {target} --bind 127.0.0.1:{port} --workers {workers}"
                " --threads {threads}",
    "uvicorn": "uvicorn {target} --host 127.0.0.1 --port {port} --workers {workers}"
               " --no-access-log",
    "granian": "granian --interface {interface} --host 127.0.0.1 --port {port} --workers {workers}"
               " --http1-buffer-size 16384 --http1-header-read-timeout 10000 --no-ws"
               " {blocking} {factory} {plain}",
}  # fmt: skip
MIGRATE = {"flask": "flask --app flask_app db upgrade",
           "django": "python django_app/manage.py migrate --noinput",
           "fastapi": "python -m fastapi_app.cli migrate"}  # fmt: skip


def server_name(app: str, server: str) -> str:
    """The server software a row ran on: granian in production, else the conventional one."""
    return "granian" if server == "production" else "uvicorn" if app == "fastapi" else "gunicorn"


def command(line: str, **values: Any) -> list[str]:
    words = line.format(**values).split()
    return [str(BIN / words[0]), *words[1:]]


def serve(app: str, server: str, port: int) -> list[str]:
    target, interface = TARGETS[app], "asgi" if app == "fastapi" else "wsgi"
    blocking = f"--blocking-threads {THREADS}" if interface == "wsgi" else ""
    factory = "--factory" if target.endswith("()") else ""
    return command(SERVE[server_name(app, server)], target=target, port=port, workers=WORKERS,
                   threads=THREADS, interface=interface, blocking=blocking, factory=factory,
                   plain=target.removesuffix("()"))  # fmt: skip


# The rate limits stay on (their in-memory counting is part of each request's cost), raised
# above what wrk sends from its one address, so the Login scenario measures logins, not 429s.
RAISED_LIMIT = "100000000/minute"


def environment(database_url: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY, "APP_ENV": "production", "SEED": "0",
            "RATE_LIMIT_LOGIN_ADDRESS": RAISED_LIMIT, "RATE_LIMIT_LOGIN_ACCOUNT": RAISED_LIMIT,
            "RATE_LIMIT_REGISTER_ADDRESS": RAISED_LIMIT}  # fmt: skip


def migrate(app: str, database_url: str, log: Path) -> None:
    with log.open("ab") as out:
        done = subprocess.run(command(MIGRATE[app]), cwd=REPO_ROOT, env=environment(database_url),
                              stdout=out, stderr=subprocess.STDOUT, check=False)  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"{app}: migration failed, see {log}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: [0] is field 3 (state), [11] utime, [12] stime."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these live processes, in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = stat_fields(pid)
        except OSError:  # ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


@dataclass
class Server:
    """One app under one server on its own port, started cold."""

    app: str
    server: str
    database_url: str
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> float:
        """Spawn the server; seconds until /health first answers 200 (the cold start)."""
        started = time.perf_counter()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # a session of its own: pids() finds the whole tree
                serve(self.app, self.server, self.port), cwd=REPO_ROOT, stdout=out,
                stderr=subprocess.STDOUT, env=environment(self.database_url),
                start_new_session=True,
            )  # fmt: skip
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                break
            if answers(self.port):
                return time.perf_counter() - started
            time.sleep(0.01)
        self.stop()
        tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"{self.app} under {self.server} did not start:\n{tail}")

    def settle(self, timeout: float = 20) -> None:
        """Wait until the process tree is idle (under a tenth of a core for 0.2 s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = cpu_seconds(self.pids())
            time.sleep(0.2)
            if cpu_seconds(self.pids()) - before < 0.02:
                return

    def pids(self) -> list[int]:
        """The processes of the server's session (field 6 of /proc/<pid>/stat)."""
        assert self.process is not None
        found = []
        for pid in (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()):
            try:
                if int(stat_fields(pid)[3]) == self.process.pid:
                    found.append(pid)
            except OSError:  # ended meanwhile
                continue
        return found

    def memory_kb(self) -> dict[str, int]:
        """RSS and PSS of the process tree (PSS shares pages the workers have in common)."""
        totals = {"rss_kb": 0, "pss_kb": 0}
        for pid in self.pids():
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            except OSError:
                continue
            for line in rollup:
                key, _, value = line.partition(":")
                if key in ("Rss", "Pss"):
                    totals[f"{key.lower()}_kb"] += int(value.split()[0])
        return totals

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


class Databases:
    """A database per app for the run: loaded once, kept as a snapshot, restored per server start.

    SQLite: a file copied with the backup API. PostgreSQL: CREATE DATABASE ... TEMPLATE, on the
    server at POSTGRES_ADMIN_URL (default: the local one the contract suite uses).
    """

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind, self.workdir = kind, workdir
        self.admin_url = os.environ.get("POSTGRES_ADMIN_URL", DEFAULT_POSTGRES_ADMIN_URL)
        self.prefix, self.current = f"bench_{os.getpid()}_", ""
        self.created: list[str] = []

    def admin(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            cursor = connection.execute(sql.encode(), params or None)  # bytes: names are ours
            return cursor.fetchall() if cursor.description else []

    def url(self, name: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.workdir / name}.sqlite3"
        return f"{self.admin_url.rsplit('/', 1)[0]}/{name}"

    def fresh(self, app: str) -> str:
        """An empty database to load `app`'s data into."""
        if self.kind == "postgres":
            self.admin(f'CREATE DATABASE "{self.prefix}{app}"')
            self.created.append(self.prefix + app)
        return self.url(self.prefix + app)

    def snapshot(self, app: str) -> None:
        """Keep the loaded database (the server that loaded it has stopped)."""
        if self.kind == "sqlite":
            with sqlite3.connect(self.workdir / f"{self.prefix}{app}.sqlite3") as source:
                source.backup(target := sqlite3.connect(self.workdir / f"{app}.snapshot"))
            target.close()

    def restore(self, app: str) -> str:
        """A fresh copy of `app`'s loaded database for one server session."""
        self.current = f"{self.prefix}{app}_run"
        if self.kind == "sqlite":
            for suffix in ("-wal", "-shm"):
                (self.workdir / f"{self.current}.sqlite3{suffix}").unlink(missing_ok=True)
            shutil.copyfile(
                self.workdir / f"{app}.snapshot", self.workdir / f"{self.current}.sqlite3"
            )
            return self.url(self.current)
        self.admin(f'DROP DATABASE IF EXISTS "{self.current}" WITH (FORCE)')
        for attempt in range(50):  # the last server's connections may take a moment to close
            try:
                self.admin(f'CREATE DATABASE "{self.current}" TEMPLATE "{self.prefix}{app}"')
                break
            except Exception:
                if attempt == 49:
                    raise
                time.sleep(0.1)
        self.created.append(self.current)
        return self.url(self.current)

    def backend_pids(self) -> list[int]:
        """PostgreSQL's processes serving the current database (their CPU is the database's)."""
        if self.kind == "sqlite":
            return []
        rows = self.admin("SELECT pid FROM pg_stat_activity WHERE datname = %s", self.current)
        return [int(row[0]) for row in rows]

    def drop_all(self) -> None:
        for database in dict.fromkeys(self.created):
            self.admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.created.clear()
