"""`make soak`: minutes of mixed reads and writes at 64 connections on PostgreSQL, per app.

Each app runs under its production server (`make serve-<app>`, two workers) on a fresh
PostgreSQL database. 64 concurrent clients (asyncio, one connection each, kept alive) sign in
and mix reads (the signed-in article list, an article, its comments, the feed, the tags) with
writes (comments, favorites, articles). The run passes when it ends with 0 errors (any transport
failure or status other than the one expected), every acknowledged write is present, and the
server's resident memory grew by less than 10% between the end of a warm-up and the end.

    python -m tests.faults.soak [--apps flask,django,fastapi] [--seconds 300] [--connections 64]

Prints progress every 10 s and writes build/soak.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from tests.client import ApiClient
from tests.faults.production import children, master_pid, production_server
from tests.servers import DEFAULT_POSTGRES_ADMIN_URL, IMPLEMENTATIONS, PostgresDatabases

REPO_ROOT = Path(__file__).resolve().parents[2]
WARM_UP_SECONDS = 20
MAX_RSS_GROWTH = 0.10


@dataclass
class SoakResult:
    app: str
    seconds: float
    connections: int
    requests: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    acknowledged_comments: int = 0
    acknowledged_articles: int = 0
    missing_writes: int = 0
    rss_after_warm_up_mb: float = 0.0
    rss_at_end_mb: float = 0.0

    @property
    def rss_growth(self) -> float:
        return (
            self.rss_at_end_mb / self.rss_after_warm_up_mb - 1 if self.rss_after_warm_up_mb else 0
        )

    @property
    def passed(self) -> bool:
        return not self.errors and not self.missing_writes and self.rss_growth < MAX_RSS_GROWTH


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and its descendants, from /proc/<pid>/status (VmRSS)."""
    total_kb, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except FileNotFoundError:
            continue
        pending += children(pid)
    return total_kb / 1024


class Client:
    """One of the 64: a user with a kept-alive connection, doing a random mix of operations."""

    def __init__(self, http: httpx.AsyncClient, token: str, slugs: list[str], usernames: list[str]):
        self.http, self.slugs, self.usernames = http, slugs, usernames
        self.headers = {"Authorization": f"Token {token}"}
        self.comments: list[tuple[str, str]] = []  # (slug, body) acknowledged with 201
        self.articles: list[str] = []  # slugs acknowledged with 201
        self.requests = 0
        self.errors: Counter[str] = Counter()
        self.sequence = 0

    async def call(
        self, method: str, path: str, expected: int, **kwargs: object
    ) -> httpx.Response | None:
        self.requests += 1
        try:
            response = await self.http.request(method, path, headers=self.headers, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as error:
            self.errors[f"{method} {path.split('/')[2]}: {type(error).__name__}"] += 1
            return None
        if response.status_code != expected:
            self.errors[f"{method} {path.split('/')[2]}: {response.status_code}"] += 1
            return None
        return response

    async def step(self, name: str) -> None:
        slug = random.choice(self.slugs)
        roll = random.random()
        if roll < 0.25:
            await self.call("GET", "/api/articles?limit=20", 200)
        elif roll < 0.40:
            await self.call("GET", f"/api/articles/{slug}", 200)
        elif roll < 0.52:
            await self.call("GET", f"/api/articles/{slug}/comments", 200)
        elif roll < 0.62:
            await self.call("GET", "/api/articles/feed?limit=20", 200)
        elif roll < 0.70:
            await self.call("GET", "/api/tags", 200)
        elif roll < 0.85:
            self.sequence += 1
            body = f"soak {name}-{self.sequence}"
            created = await self.call(
                "POST", f"/api/articles/{slug}/comments", 201, json={"comment": {"body": body}}
            )
            if created is not None:
                self.comments.append((slug, body))
        elif roll < 0.95:
            favorite = random.random() < 0.5
            await self.call("POST" if favorite else "DELETE", f"/api/articles/{slug}/favorite", 200)
        else:
            self.sequence += 1
            article = {"title": f"Soak {name} {self.sequence}", "description": "d", "body": "b",
                       "tagList": [random.choice(("soak", "load", "steady"))]}  # fmt: skip
            created = await self.call("POST", "/api/articles", 201, json={"article": article})
            if created is not None:
                self.articles.append(created.json()["article"]["slug"])


async def drive(root_url: str, tokens: list[str], slugs: list[str], seconds: float,
                on_warm: asyncio.Event) -> list[Client]:  # fmt: skip
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    https = [httpx.AsyncClient(base_url=root_url, limits=limits, timeout=30) for _ in tokens]
    clients = [Client(http, token, slugs, []) for http, token in zip(https, tokens, strict=True)]
    started = time.monotonic()
    deadline = started + WARM_UP_SECONDS + seconds

    async def run(number: int, client: Client) -> None:
        while time.monotonic() < deadline:
            await client.step(str(number))

    async def report() -> None:
        last = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(10)
            elapsed = time.monotonic() - started
            if elapsed >= WARM_UP_SECONDS and not on_warm.is_set():
                on_warm.set()
            total = sum(client.requests for client in clients)
            errors = sum(sum(client.errors.values()) for client in clients)
            print(f"  {elapsed:5.0f} s  {total:7d} requests ({(total - last) / 10:6.1f}/s)"
                  f"  {errors} errors", flush=True)  # fmt: skip
            last = total

    await asyncio.gather(report(), *(run(number, client) for number, client in enumerate(clients)))
    for http in https:
        await http.aclose()
    return clients


def soak(app: str, seconds: float, connections: int, databases: PostgresDatabases) -> SoakResult:
    result = SoakResult(app, seconds, connections)
    server = production_server(app, database_url=databases.create(f"soak_{app}"))
    server.start()
    try:
        api = ApiClient(server.root_url, app)
        users = [api.register() for _ in range(connections)]
        slugs = [api.create_article(user.token)["slug"] for user in users[:20]]
        for follower in users[::2]:
            api.post(f"/profiles/{users[1].username}/follow", token=follower.token)
        master = master_pid(server)
        print(f"{app}: {connections} connections, {WARM_UP_SECONDS} s warm-up + {seconds:.0f} s",
              flush=True)  # fmt: skip

        async def main() -> list[Client]:
            warm = asyncio.Event()
            task = asyncio.create_task(drive(server.root_url, [u.token for u in users], slugs,
                                             seconds, warm))  # fmt: skip
            await warm.wait()
            result.rss_after_warm_up_mb = tree_rss_mb(master)
            return await task

        clients = asyncio.run(main())
        result.rss_at_end_mb = tree_rss_mb(master)
        for client in clients:
            result.requests += client.requests
            result.errors.update(client.errors)
        comments = [written for client in clients for written in client.comments]
        articles = [slug for client in clients for slug in client.articles]
        result.acknowledged_comments, result.acknowledged_articles = len(comments), len(articles)
        stored: dict[str, set[str]] = {}
        for slug in {slug for slug, _ in comments}:
            listing = api.get(f"/articles/{slug}/comments").json()["comments"]
            stored[slug] = {comment["body"] for comment in listing}
        missing = sum(1 for slug, body in comments if body not in stored[slug])
        missing += sum(1 for slug in articles if api.get(f"/articles/{slug}").status_code != 200)
        result.missing_writes = missing
    finally:
        server.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", default=",".join(IMPLEMENTATIONS))
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "build" / "soak.json")
    args = parser.parse_args(argv)
    databases = PostgresDatabases(os.environ.get("POSTGRES_ADMIN_URL", DEFAULT_POSTGRES_ADMIN_URL))
    results: list[SoakResult] = []
    try:
        for app in args.apps.split(","):
            results.append(soak(app, args.seconds, args.connections, databases))
            print(summary(results[-1]), flush=True)
    finally:
        databases.drop_all()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    records = [{**asdict(result), "errors": dict(result.errors), "rss_growth": result.rss_growth,
                "passed": result.passed} for result in results]  # fmt: skip
    args.output.write_text(json.dumps({"results": records}, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0 if all(result.passed for result in results) else 1


def summary(result: SoakResult) -> str:
    verdict = "PASS" if result.passed else "FAIL"
    return (f"{verdict} {result.app}: {result.requests} requests in {result.seconds:.0f} s "
            f"({result.requests / (result.seconds + WARM_UP_SECONDS):.0f}/s), "
            f"{sum(result.errors.values())} errors {dict(result.errors) or ''}, "
            f"{result.acknowledged_comments} comments + {result.acknowledged_articles} articles "
            f"acknowledged, {result.missing_writes} missing, RSS {result.rss_after_warm_up_mb:.0f}"
            f" -> {result.rss_at_end_mb:.0f} MB ({result.rss_growth:+.1%})")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
