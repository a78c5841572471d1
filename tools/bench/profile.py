"""`make profile`: where each app spends one GetArticles request (signed in, 20 items).

Method: per app and database, a fresh database gets the bench's data set through the app's API.
Then a separate process builds the app as its server would (the WSGI callable; the ASGI app on
one asyncio task, as an ASGI server runs it) and calls it in-process: 100 requests of warm-up, 300
timed without a profiler (CPU ms per request: every thread of the process), then 300 under
cProfile with a per-thread CPU clock (time.thread_time: waiting costs nothing), one profiler
per thread (FastAPI's aiosqlite runs each connection's queries in a thread). The profiler's
own cost per call, calibrated as (profiled - unprofiled time) / calls, is taken off every
call, so code making many small calls is not inflated against code in C. Each function's own
time goes to the category of the file it lives in; the standard library and builtins are
charged to their callers (json.dumps under Flask is framework work, `isinstance` in SQLAlchemy
is ORM work), except the sqlite3 module (driver) and asyncio (server: the event loop granian
runs in production). The HTTP server's parsing and sockets are not in this profile; the bench's
CPU ms per request includes them. Output: build/profile.md and build/profile.json.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import io
import json
import pstats
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.bench import dataset
from tools.bench.report import DATABASES, NAMES, table
from tools.bench.servers import APPS, REPO_ROOT, Databases, environment

CATEGORIES = {  # the first match on the path below site-packages (or the stdlib) wins
    "driver": ("sqlite3", "_sqlite3", "psycopg", "psycopg_binary", "aiosqlite", "asyncpg"),
    "ORM": ("sqlalchemy", "flask_sqlalchemy", "django/db"),
    "serializer": ("marshmallow", "rest_framework/serializers", "rest_framework/fields",
                   "rest_framework/relations", "pydantic", "pydantic_core"),
    "JWT": ("jwt",),
    "framework": ("flask", "werkzeug", "django", "rest_framework", "fastapi", "starlette",
                  "flask_cors", "corsheaders", "anyio"),
    "server": ("asyncio", "selectors", "uvloop", "tools/bench/profile"),
    "app code": ("flask_app", "django_app", "fastapi_app"),
}  # fmt: skip
COLUMNS = (*CATEGORIES, "other")
WARMUP, REQUESTS = 100, 300
Function = tuple[str, int, str]


def module_path(function: Function) -> str:
    """Where a function lives: sqlalchemy/orm/query.py, json/encoder.py, sqlite3/Cursor..."""
    path, _, name = function
    if path == "~":  # a builtin: "<method 'execute' of 'sqlite3.Cursor' objects>"
        found = re.search(r"of '([\w.]+)' objects|built-in method ([\w.]+)", name)
        return (found[1] or found[2]).replace(".", "/") if found else name
    for marker in ("/site-packages/", f"{REPO_ROOT}/"):
        if marker in path:
            return path.split(marker, 1)[1]
    stdlib = re.search(r"/lib/python3\.\d+/(.*)", path)
    return stdlib[1] if stdlib else path


def category(function: Function) -> str | None:
    """The category of a function's module; None for the standard library and builtins."""
    path = module_path(function)
    for name, prefixes in CATEGORIES.items():
        if any(path.startswith((prefix + "/", prefix + ".")) for prefix in prefixes):
            return name
    return None


def attribute(stats: dict[Function, Any], overhead: float) -> dict[str, float]:
    """Seconds of own time per category, less `overhead` per call (the profiler's own cost).

    Time in the standard library and builtins is charged to whoever called it."""
    shares: dict[Function, dict[str, float]] = {}

    def share(function: Function, seen: frozenset[Function]) -> dict[str, float]:
        if function in shares:
            return shares[function]
        known = category(function)
        callers = stats[function][4] if function in stats else {}
        if known or not callers or function in seen:
            return {known or "other": 1.0}
        total: dict[str, float] = defaultdict(float)
        weight = sum(entry[3] for entry in callers.values()) or 1.0
        for caller, entry in callers.items():
            for name, part in share(caller, seen | {function}).items():
                total[name] += part * entry[3] / weight
        shares[function] = dict(total)
        return shares[function]

    seconds: dict[str, float] = defaultdict(float)
    for function, (_, calls, own, _, callers) in stats.items():
        if category(function) or not callers:
            pieces = [({category(function) or "other": 1.0}, own, calls)]
        else:  # callers hold (calls, primitive calls, own time, cumulative time) per caller
            pieces = [(share(caller, frozenset({function})), entry[2], entry[0])
                      for caller, entry in callers.items()]  # fmt: skip
        for owners, spent, count in pieces:
            for name, part in owners.items():
                seconds[name] += max(spent - count * overhead, 0.0) * part
    return dict(seconds)


def driver(app: str, tokens: list[str]) -> tuple[Callable[[int], list[int]], Callable[[], None]]:
    """`batch(n)` sends n GetArticles in-process (tokens in turn) and returns their statuses;
    `reset()` closes pooled connections, so FastAPI's aiosqlite threads start again.

    An ASGI batch is one task on one loop, as under granian: anyio's worker threads live as
    long as that task, so they are started once per batch, not once per request."""
    path = "/api/articles"
    if app == "fastapi":
        asgi = importlib.import_module("fastapi_app.main").app
        loop = asyncio.new_event_loop()

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def one(token: str) -> int:
            sent: list[dict[str, Any]] = []

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)

            headers = [(b"host", b"bench"), (b"authorization", f"Token {token}".encode())]
            scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                     "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
                     "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
                     "server": ("127.0.0.1", 80), "headers": headers}  # fmt: skip
            await asgi(scope, receive, send)
            return int(sent[0]["status"])

        async def many(count: int) -> list[int]:
            return [await one(tokens[number % len(tokens)]) for number in range(count)]

        def reset() -> None:
            loop.run_until_complete(asgi.state.engine.dispose())

        return lambda n: loop.run_until_complete(many(n)), reset
    if app == "flask":
        wsgi = importlib.import_module("flask_app").create_app()
    else:
        wsgi = importlib.import_module("django_app.wsgi").application

    def call(token: str) -> int:
        status: list[str] = []
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
                   "SERVER_NAME": "bench", "SERVER_PORT": "80", "HTTP_HOST": "bench",
                   "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_AUTHORIZATION": f"Token {token}",
                   "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
                   "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
                   "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": True,
                   "wsgi.run_once": False}  # fmt: skip
        body = wsgi(environ, lambda line, headers, exc_info=None: status.append(line))
        b"".join(body)
        getattr(body, "close", lambda: None)()
        return int(status[0].split()[0])

    return lambda n: [call(tokens[number % len(tokens)]) for number in range(n)], lambda: None


def worker(app: str, tokens: list[str]) -> dict[str, Any]:
    """Run inside the app's own process: warm up, time, then profile REQUESTS requests."""
    batch, reset = driver(app, tokens)
    statuses = batch(WARMUP)
    if set(statuses) != {200}:
        raise RuntimeError(f"{app}: GetArticles answered {sorted(set(statuses))}")
    started = time.process_time()
    batch(REQUESTS)
    cpu_ms = (time.process_time() - started) * 1000 / REQUESTS
    reset()
    profiles = [cProfile.Profile(time.thread_time)]

    def profile_thread(*_: Any) -> None:
        profiles.append(profiler := cProfile.Profile(time.thread_time))
        profiler.enable()

    threading.setprofile(profile_thread)
    profiles[0].enable()
    batch(REQUESTS)
    profiles[0].disable()
    threading.setprofile(None)
    reset()  # every thread must end before its profile is read: a call still running would be
    for thread in threading.enumerate():  # closed with this thread's clock, not its own
        if thread is not threading.current_thread():
            thread.join(timeout=15)
    stats = pstats.Stats(*profiles).stats  # type: ignore[attr-defined]  # documented, untyped
    profiled = sum(entry[2] for entry in stats.values())
    calls = sum(entry[1] for entry in stats.values())
    overhead = max(profiled - cpu_ms * REQUESTS / 1000, 0.0) / calls
    seconds = attribute(stats, overhead)
    total = sum(seconds.values())
    return {"cpu_ms_per_request": cpu_ms, "profiled_ms_per_request": profiled * 1000 / REQUESTS,
            "calls_per_request": calls / REQUESTS, "overhead_us_per_call": overhead * 1e6,
            "shares": {name: seconds.get(name, 0.0) / total for name in COLUMNS}}  # fmt: skip


def markdown(results: list[dict[str, Any]]) -> str:
    rows = [[NAMES[r["app"]], DATABASES[r["database"]], f"{r['cpu_ms_per_request']:.2f}",
             *(f"{r['shares'][name]:.0%}" for name in COLUMNS)] for r in results]  # fmt: skip
    return "\n".join(table(["App", "Database", "CPU ms/request", *COLUMNS], rows, 2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench.profile", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--apps", default=",".join(APPS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, sys.stdin.read().split())))
        return 0
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    data, results = dataset.build(), []
    with tempfile.TemporaryDirectory(prefix="conduit-profile-") as work:
        for database in databases:
            dbs = Databases(database, Path(work))
            try:
                for app in args.apps.split(","):
                    url = dbs.fresh(app)
                    label = f"[{database}] {app}"
                    loaded = dataset.load_app(app, url, data, Path(work) / "load.log", label)
                    dataset.show(f"{label}: profiling {REQUESTS} requests", done=True)
                    done = subprocess.run(
                        [sys.executable, "-m", "tools.bench.profile", "--worker", app],
                        input="\n".join(loaded.tokens[:10]), env=environment(url), cwd=REPO_ROOT,
                        capture_output=True, text=True, check=False,
                    )  # fmt: skip
                    if done.returncode:
                        raise RuntimeError(f"{label}: the profile failed\n{done.stderr[-2000:]}")
                    result = json.loads(done.stdout.strip().splitlines()[-1])
                    results.append({"app": app, "database": database, **result})
            finally:
                dbs.drop_all()
    build = REPO_ROOT / "build"
    build.mkdir(exist_ok=True)
    table = markdown(results)
    (build / "profile.json").write_text(json.dumps(results, indent=1) + "\n")
    (build / "profile.md").write_text(
        "GetArticles, signed in, 20 items: CPU per request and where its profiled time goes.\n\n"
        + table + "\n" + (__doc__ or "").split("\n\n", 1)[1].replace("\n", " ") + "\n")  # fmt: skip
    print("\n" + table + "\nwrote build/profile.md and build/profile.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
