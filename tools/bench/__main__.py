"""`make bench`: the three apps and a raw-SQL reference under two servers, driven by wrk.

For each database, each app gets a fresh database loaded with the same data set through its own
API (tools.bench.dataset), kept as a snapshot. Then rounds over every app x server, in the order
A B C ... and back C B A: restore the snapshot, start the server cold (the time to the first 200
on /health is the cold start), and for each scenario a 1 s warm-up, then a wrk run. Around each
run the CPU ticks of the server's whole process tree (/proc/<pid>/stat) are read, and on
PostgreSQL those of the database's backends, so CPU per request holds on a busy machine where
req/s do not; wrk's own CPU (getrusage) shows it never was the bottleneck. RSS and PSS of the
tree (/proc/<pid>/smaps_rollup) are read after each run. A concurrency sweep drives two
scenarios at 1-256 connections on the first database. Each figure is the median of the rounds,
with their min-max. On PostgreSQL a last pass counts SQL statements per request: log_statement
is set to `all` for the run's database only, one server per app takes a wrk run from a single
connection, and the statements the database logged are divided by the requests completed.
Output: build/bench.json, build/bench-sweep.svg, and the tables on the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

from tools.bench import dataset, report, servers
from tools.bench.servers import APPS, REPO_ROOT, SERVERS, Databases, Server, cpu_seconds

READS = ("GetArticles (anonymous)", "GetArticles (signed in)", "GetArticles (by tag)",
         "GetArticle (signed in)", "GetArticlesFeed", "GetTags")  # fmt: skip
SCENARIOS = (*READS, "CreateArticle", "CreateArticleComment", "CreateArticleFavorite", "Login")
SWEEP = ("GetArticles (signed in)", "CreateArticleComment")
QUICK = ("GetArticles (signed in)", "GetArticle (signed in)", "GetTags", "CreateArticle",
         "CreateArticleComment")  # fmt: skip
DROPPED = [scenario for scenario in SCENARIOS if scenario not in QUICK]
SWEEP_CONNECTIONS = (1, 16, 64, 256)
CONNECTIONS = 16
SCRIPT = Path(__file__).with_name("scenarios.lua")
FIGURES = ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request", "db_cpu_ms_per_request",
           "client_cpu_ms_per_request", "client_cores", "rss_kb", "pss_kb",
           "cold_start_s")  # fmt: skip
PACKAGES = "flask django fastapi sqlalchemy marshmallow djangorestframework pydantic gunicorn \
uvicorn granian psycopg asyncpg aiosqlite pyjwt"
LOAD_SECONDS, START_SECONDS, RUN_OVERHEAD = 30, 3, 0.4  # for the time estimate


class Run(NamedTuple):
    scenario: str
    connections: int
    seconds: int


class Session(NamedTuple):
    """One server started cold on a restored database, and the runs it takes."""

    database: str
    round: int
    app: str
    server: str
    runs: list[Run]

    def seconds(self) -> float:
        warmups = len({run.scenario for run in self.runs})
        return START_SECONDS + warmups + sum(run.seconds + RUN_OVERHEAD for run in self.runs)


def plan(args: argparse.Namespace) -> list[Session]:
    """Every session in order: per database, rounds alternating A..Z and Z..A."""
    sessions = []
    combos = [(app, server) for app in args.apps for server in args.servers]
    for index, database in enumerate(args.databases):
        for number in range(args.rounds):
            for app, server in combos if number % 2 == 0 else combos[::-1]:
                chosen = [s for s in args.scenarios if app != "reference" or s in READS]
                runs = [Run(s, CONNECTIONS, args.login_seconds if s == "Login" else args.seconds)
                        for s in chosen]  # fmt: skip
                if index == 0:  # the sweep, on the first database
                    runs += [Run(s, c, args.seconds) for s in SWEEP if s in chosen
                             for c in args.sweep if c != CONNECTIONS]  # fmt: skip
                sessions.append(Session(database, number, app, server, runs))
    return sessions


class Clock:
    """What is left of the estimated run time, shown on the status line."""

    def __init__(self, total: float) -> None:
        self.left = total

    def show(self, line: str, spent: float = 0) -> None:
        self.left -= spent
        minutes, seconds = divmod(int(max(self.left, 0)), 60)
        dataset.show(f"{line}  [~{minutes}:{seconds:02d} left]")


def wrk(port: int, run: Run, fixture: Path) -> dict[str, Any]:
    """One wrk run; its summary (from the Lua done() hook) and its own CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    tag = f"{os.getpid()}-{time.monotonic_ns()}"  # makes this run's titles and bodies unique
    command = ["wrk", f"-t{min(2, run.connections)}", f"-c{run.connections}",
               f"-d{run.seconds}s", "--timeout", "10s", "-s", str(SCRIPT),
               f"http://127.0.0.1:{port}", "--", run.scenario, str(fixture), tag]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    summary["client_cpu_s"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return summary


def spent(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds since `before`; a process that appeared meanwhile counts from zero."""
    return sum(cpu_seconds([pid]) - before.get(pid, 0.0) for pid in pids)


def measure(server: Server, dbs: Databases, run: Run, fixture: Path) -> dict[str, Any]:
    own = {pid: cpu_seconds([pid]) for pid in server.pids()}
    backends = {pid: cpu_seconds([pid]) for pid in dbs.backend_pids()}
    result = wrk(server.port, run, fixture)
    seconds, requests = result["duration_us"] / 1e6, max(result["requests"], 1)
    db_cpu = spent(backends, dbs.backend_pids()) * 1000 / requests
    return {
        "rps": result["requests"] / seconds,
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "cpu_ms_per_request": spent(own, server.pids()) * 1000 / requests,
        "db_cpu_ms_per_request": db_cpu if dbs.kind == "postgres" else None,
        "client_cpu_ms_per_request": result["client_cpu_s"] * 1000 / requests,
        "client_cores": result["client_cpu_s"] / seconds,
        "requests": result["requests"],
        "errors": result["errors"],
        **server.memory_kb(),
    }


def postgres_log() -> Path | None:
    """The PostgreSQL server's log: POSTGRES_LOG, else Debian's default place."""
    configured = os.environ.get("POSTGRES_LOG")
    found = [Path(configured)] if configured else list(Path("/var/log/postgresql").glob("*.log"))
    readable = [path for path in found if os.access(path, os.R_OK)]
    return max(readable, key=lambda path: path.stat().st_mtime) if readable else None


def count_statements(
    dbs: Databases, app: str, scenarios: list[str], fixture: Path, clock: Clock
) -> dict[str, float]:
    """SQL statements per request, from PostgreSQL's log of this run's database only."""
    log = postgres_log()
    if log is None:
        print("\nno readable PostgreSQL log (set POSTGRES_LOG): statements not counted")
        return {}
    name = dbs.restore("flask" if app == "reference" else app).rsplit("/", 1)[-1]
    dbs.admin(f"ALTER DATABASE \"{name}\" SET log_statement = 'all'")
    server = Server(app, "production", dbs.url(name), dbs.workdir / f"{app}-statements.log")
    server.start()
    pattern = re.compile(rf"@{re.escape(name)} LOG:  (statement|execute [^:]*): ".encode())
    counts = {}
    try:
        for scenario in scenarios:
            clock.show(f"[postgres] counting SQL statements: {app}, {scenario}", 2)
            wrk(server.port, Run(scenario, 8, 1), fixture)  # every thread has its connection
            server.settle()
            offset = log.stat().st_size
            requests = wrk(server.port, Run(scenario, 1, 1), fixture)["requests"]
            server.settle()  # the request still in flight is logged too: at most 1 in `requests`
            with log.open("rb") as handle:
                handle.seek(offset)
                lines = sum(1 for line in handle if pattern.search(line))
            if lines:
                counts[scenario] = round(lines / requests, 1)
    finally:
        server.stop()
    return counts


def run_session(
    session: Session, dbs: Databases, fixture: Path, clock: Clock, rounds: int
) -> tuple[list[tuple[Run, dict[str, Any]]], dict[str, Any]]:
    """Start the server cold on a fresh copy of the data, take the session's runs, stop it."""
    app, number = session.app, f"{session.round + 1}/{rounds}"
    label = f"[{session.database}] round {number} {app}/{session.server}"
    clock.show(f"{label}: starting")
    url = dbs.restore("flask" if app == "reference" else app)
    server = Server(app, session.server, url, dbs.workdir / f"{app}.log")
    entry: dict[str, Any] = {"cold_start_s": server.start()}
    results: list[tuple[Run, dict[str, Any]]] = []
    try:
        for run in session.runs:
            clock.show(f"{label}: {run.scenario}, {run.connections} connections")
            if all(done.scenario != run.scenario for done, _ in results):
                wrk(server.port, Run(run.scenario, CONNECTIONS, 1), fixture)
                clock.left -= 1
            server.settle()  # requests still queued from the last run must not spill into this one
            results.append((run, measure(server, dbs, run, fixture)))
            if run.scenario in READS and run.connections == CONNECTIONS:  # after the reads' load
                entry.update(server.memory_kb())
            clock.left -= run.seconds + RUN_OVERHEAD
        if "rss_kb" not in entry:  # no read ran
            entry.update(server.memory_kb())
    finally:
        server.stop()
    clock.left -= START_SECONDS
    return results, entry


def bench_database(
    args: argparse.Namespace, database: str, sessions: list[Session], clock: Clock, work: Path
) -> dict[str, list[dict[str, Any]]]:
    """Load every app's database, run its sessions, count statements; the aggregated records."""
    dbs = Databases(database, work)
    samples: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    fixtures: dict[str, Path] = {}
    try:
        for app in [app for app in APPS if app in args.apps or app == "flask"]:
            log, label = work / f"{app}-load.log", f"[{database}] {app}"
            loaded = dataset.load_app(app, dbs.fresh(app), args.data, log, label)
            dbs.snapshot(app)
            fixtures[app] = work / f"fixture-{database}-{app}"
            dataset.write_fixture(fixtures[app], args.data, loaded)
            clock.left -= LOAD_SECONDS
        fixtures["reference"] = fixtures["flask"]
        for session in sessions:
            results, entry = run_session(session, dbs, fixtures[session.app], clock, args.rounds)
            for run, result in results:
                samples[(session.app, session.server, run.scenario, run.connections)].append(result)
            samples[(session.app, session.server)].append(entry)
        counted = {}
        if database == "postgres":
            for app in args.apps:
                counted[app] = count_statements(dbs, app, args.scenarios, fixtures[app], clock)
    finally:
        dbs.drop_all()
    found: dict[str, list[dict[str, Any]]] = {"records": [], "servers": []}
    for (app, server, *scenario), values in samples.items():
        record = {"app": app, "server": servers.server_name(app, server), "database": database}
        if scenario:
            name, connections = scenario
            statements = counted.get(app, {}).get(name) if connections == CONNECTIONS else None
            record.update(scenario=name, connections=connections, statements_per_request=statements)
        found["records" if scenario else "servers"].append(aggregate(values, record))
    return found


def aggregate(values: list[dict[str, Any]], record: dict[str, Any]) -> dict[str, Any]:
    """The median of each figure over the rounds, with its min-max spread; counts are summed."""
    record.update(rounds=len(values), spread={})
    for key in ("requests", "errors"):
        if key in values[0]:
            record[key] = sum(value[key] for value in values)
    for figure in (figure for figure in FIGURES if figure in values[0]):
        measured = [value[figure] for value in values if value[figure] is not None]
        record[figure] = statistics.median(measured) if measured else None
        if measured:
            record["spread"][figure] = [min(measured), max(measured)]
    return record


def meta(args: argparse.Namespace, started: float) -> dict[str, Any]:
    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() or done.stderr.strip()

    model = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    packages = PACKAGES.split()
    dirty = "-dirty" if run("git", "status", "--porcelain") else ""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "model": model[1] if model else platform.machine()},
        "commit": run("git", "rev-parse", "--short", "HEAD") + dirty,
        "duration_s": round(time.monotonic() - started),
        "versions": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                     "wrk": run("wrk", "-v").split(" [")[0], **{p: version(p) for p in packages}},
        "settings": {"workers": servers.WORKERS, "threads": servers.THREADS,
                     "connections": CONNECTIONS, "seconds": args.seconds, "rounds": args.rounds,
                     "databases": args.databases, "servers": args.servers, "quick": args.quick,
                     "sweep_connections": args.sweep},
    }  # fmt: skip


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser("python -m tools.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="under 4 minutes: SQLite and "
                        "production servers only, 1 round of 2 s runs, the sweep up to 64 "
                        f"connections, without {', '.join(DROPPED)}")  # fmt: skip
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"))
    parser.add_argument("--apps", default=",".join((*APPS, "reference")))
    parser.add_argument("--servers", default=None, help=f"from {','.join(SERVERS)} (default both)")
    parser.add_argument("--scenarios", help="comma-separated (default: all)")
    parser.add_argument("--seconds", type=int, help="per run (default 4; quick 2)")
    parser.add_argument("--rounds", type=int, help="default 2; quick 1")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "build" / "bench.json")
    args = parser.parse_args(argv)
    database = args.database or ("sqlite" if args.quick else "both")
    args.databases = ["postgres", "sqlite"] if database == "both" else [database]
    args.servers = args.servers or ("production" if args.quick else ",".join(SERVERS))
    args.scenarios = args.scenarios or ",".join(QUICK if args.quick else SCENARIOS)
    for name, allowed in (("apps", (*APPS, "reference")), ("servers", SERVERS),
                          ("scenarios", SCENARIOS)):  # fmt: skip
        setattr(args, name, [value.strip() for value in getattr(args, name).split(",") if value])
        if unknown := set(getattr(args, name)) - set(allowed):
            parser.error(f"unknown {sorted(unknown)}; choose from {', '.join(allowed)}")
    args.seconds = args.seconds or (2 if args.quick else 4)
    args.sweep = list(SWEEP_CONNECTIONS[:3] if args.quick else SWEEP_CONNECTIONS)
    args.login_seconds = min(args.seconds, 2)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.data = dataset.build()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not shutil.which("wrk"):
        print("make bench needs wrk: apt-get install wrk (Debian, Ubuntu) or brew install wrk")
        return 2
    started, sessions = time.monotonic(), plan(args)
    loads = len({*args.apps, "flask"} - {"reference"}) * len(args.databases)
    statements = len(args.apps) * (START_SECONDS + 2 * len(args.scenarios))
    statements *= "postgres" in args.databases
    clock = Clock(loads * LOAD_SECONDS + sum(s.seconds() for s in sessions) + statements)
    print(f"bench: {', '.join(args.databases)}; {', '.join(args.apps)} under "
          f"{', '.join(args.servers)}; {args.rounds} round(s) of {args.seconds} s runs of "
          f"{len(args.scenarios)} scenarios; expected ~{clock.left / 60:.0f} min")  # fmt: skip
    if args.quick:
        print("--quick leaves out PostgreSQL (and so SQL statement counts), the conventional "
              "servers, the second "
              f"round, the sweep's 256 connections and {', '.join(DROPPED)}")  # fmt: skip
    data: dict[str, Any] = {"meta": {}, "records": [], "servers": []}
    with tempfile.TemporaryDirectory(prefix="conduit-bench-") as work:
        for database in args.databases:
            mine = [session for session in sessions if session.database == database]
            for key, values in bench_database(args, database, mine, clock, Path(work)).items():
                data[key] += values
    dataset.show("")
    data["meta"] = meta(args, started)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    chart = args.output.with_name("bench-sweep.svg")
    chart.write_text(report.sweep_chart(data), encoding="utf-8")
    print(report.readme_block(data))
    print(f"wrote {args.output} and {chart} in {data['meta']['duration_s'] / 60:.1f} min")
    return 1 if any(record["errors"] for record in data["records"]) else 0


if __name__ == "__main__":
    sys.exit(main())
