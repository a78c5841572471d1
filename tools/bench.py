"""Benchmark the three apps on the same data and workload: `make bench`.

Each app runs the way `make serve-*` runs it (gunicorn for Flask and Django, uvicorn workers for
FastAPI, production settings) on a fresh SQLite database, or PostgreSQL with `--database
postgres`. The same data set is loaded through the API, then each scenario is driven by a fixed
number of concurrent clients for a fixed time. Figures are requests per second and latency
percentiles; they compare the apps on one machine and say nothing absolute. Results go to the
terminal and to build/bench.json.

Bounded by design: every scenario stops after --seconds, and traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from tests.servers import (
    DEFAULT_POSTGRES_ADMIN_URL,
    IMPLEMENTATIONS,
    PRODUCTION_COMMANDS,
    REPO_ROOT,
    LiveServer,
    PostgresDatabases,
)

USERS = 10
ARTICLES_PER_USER = 10
TAGS = ("python", "web", "databases", "testing", "async", "design")


@dataclass
class Fixture:
    """What the data set holds, for building requests."""

    tokens: list[str]
    usernames: list[str]
    slugs: list[str]


@dataclass
class Result:
    app: str
    scenario: str
    requests: int
    errors: int
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // total
    sys.stdout.write(f"\r  {label:<28} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stdout.write("\n")
    sys.stdout.flush()


def load_data(api: str) -> Fixture:
    """Users who follow each other, articles with tags, favorites: the same set for every app."""
    run = uuid.uuid4().hex[:6]
    tokens, usernames, slugs = [], [], []
    with httpx.Client(base_url=api, timeout=60) as http:
        for index in range(USERS):
            name = f"bench{index}_{run}"
            response = http.post(
                "/users",
                json={"user": {"username": name, "email": f"{name}@example.com",
                               "password": "benchmark-password"}},
            )  # fmt: skip
            response.raise_for_status()
            tokens.append(response.json()["user"]["token"])
            usernames.append(name)
            progress("users", index + 1, USERS)
        for index, token in enumerate(tokens):
            for other in usernames[index + 1 : index + 4]:
                http.post(f"/profiles/{other}/follow", headers=auth(token)).raise_for_status()
            progress("follows", index + 1, USERS)
        total = USERS * ARTICLES_PER_USER
        for number in range(total):
            token = tokens[number % USERS]
            article = {
                "title": f"Benchmark article {number} {run}",
                "description": "A realistic description of a realistic article.",
                "body": "Lorem ipsum dolor sit amet. " * 40,
                "tagList": [TAGS[number % len(TAGS)], TAGS[(number * 7) % len(TAGS)]],
            }
            response = http.post("/articles", json={"article": article}, headers=auth(token))
            response.raise_for_status()
            slugs.append(response.json()["article"]["slug"])
            progress("articles", number + 1, total)
        for number, slug in enumerate(slugs):
            for token in tokens[: number % 4]:
                http.post(f"/articles/{slug}/favorite", headers=auth(token)).raise_for_status()
            progress("favorites", number + 1, total)
    return Fixture(tokens, usernames, slugs)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


Scenario = Callable[[httpx.Client, Fixture, int], httpx.Response]

SCENARIOS: dict[str, Scenario] = {
    "GetArticles (anonymous, 20)": lambda http, data, i: http.get("/articles"),
    "GetArticles (signed in, 20)": lambda http, data, i: http.get(
        "/articles", headers=auth(data.tokens[i % USERS])
    ),
    "GetArticles by tag": lambda http, data, i: http.get(
        "/articles", params={"tag": TAGS[i % len(TAGS)], "limit": 10}
    ),
    "GetArticlesFeed": lambda http, data, i: http.get(
        "/articles/feed", headers=auth(data.tokens[i % USERS])
    ),
    "GetArticle": lambda http, data, i: http.get(
        f"/articles/{data.slugs[i % len(data.slugs)]}", headers=auth(data.tokens[i % USERS])
    ),
    "GetTags": lambda http, data, i: http.get("/tags"),
    "CreateArticleComment": lambda http, data, i: http.post(
        f"/articles/{data.slugs[i % len(data.slugs)]}/comments",
        json={"comment": {"body": f"benchmark comment {i}"}},
        headers=auth(data.tokens[i % USERS]),
    ),
}


def drive(
    api: str, data: Fixture, scenario: Scenario, *, clients: int, seconds: float
) -> tuple[list[float], int]:
    """Run `scenario` from `clients` threads for `seconds`; latencies (s) and error count."""
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def client(worker: int) -> None:
        nonlocal errors
        local: list[float] = []
        failures = 0
        with httpx.Client(base_url=api, timeout=30) as http:
            count = worker
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = scenario(http, data, count)
                local.append(time.perf_counter() - started)
                failures += response.status_code >= 400
                count += clients
        with lock:
            latencies.extend(local)
            errors += failures

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    return latencies, errors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default=",".join(IMPLEMENTATIONS))
    parser.add_argument("--seconds", type=float, default=5.0, help="per scenario (default 5)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--output", help="default: build/bench.json (build/bench-postgres.json)")
    args = parser.parse_args()

    postgres = (
        PostgresDatabases(os.environ.get("POSTGRES_ADMIN_URL", DEFAULT_POSTGRES_ADMIN_URL))
        if args.database == "postgres"
        else None
    )
    results: list[Result] = []
    for name in args.impl.split(","):
        server = LiveServer(
            name,
            database_url=postgres.create(f"bench_{name}") if postgres else None,
            commands=PRODUCTION_COMMANDS[name],
            workers=args.workers,
            extra_env={"APP_ENV": "production"},
        )
        print(f"[{name}] starting ({args.workers} workers) on port {server.port}", flush=True)
        server.start()
        try:
            api = f"{server.root_url}/api"
            data = load_data(api)
            for label, scenario in SCENARIOS.items():
                latencies, errors = drive(
                    api, data, scenario, clients=args.clients, seconds=args.seconds
                )
                result = Result(
                    app=name,
                    scenario=label,
                    requests=len(latencies),
                    errors=errors,
                    per_second=len(latencies) / args.seconds,
                    p50_ms=statistics.median(latencies) * 1000,
                    p95_ms=percentile(latencies, 0.95),
                    p99_ms=percentile(latencies, 0.99),
                )
                results.append(result)
                print(
                    f"  {label:<30} {result.per_second:8.1f} req/s  p50 {result.p50_ms:6.1f} ms"
                    f"  p95 {result.p95_ms:6.1f} ms  errors {errors}",
                    flush=True,
                )
        finally:
            server.stop()
    if postgres:
        postgres.drop_all()

    suffix = "" if args.database == "sqlite" else f"-{args.database}"
    output = Path(args.output or REPO_ROOT / "build" / f"bench{suffix}.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {"clients": args.clients, "seconds": args.seconds, "workers": args.workers,
             "database": args.database, "results": [asdict(r) for r in results]},
            indent=2,
        ) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    print_table(results)
    return 0 if all(r.errors == 0 for r in results) else 1


def print_table(results: list[Result]) -> None:
    apps = list(dict.fromkeys(r.app for r in results))
    print("\nrequests per second (p95 latency):")
    print(f"  {'scenario':<30}" + "".join(f"{app:>20}" for app in apps))
    for scenario in dict.fromkeys(r.scenario for r in results):
        cells = []
        for app in apps:
            match = next((r for r in results if r.app == app and r.scenario == scenario), None)
            cells.append(f"{match.per_second:8.1f} ({match.p95_ms:5.0f} ms)" if match else "-")
        print(f"  {scenario:<30}" + "".join(f"{cell:>20}" for cell in cells))


if __name__ == "__main__":
    sys.exit(main())
