"""The benchmark's data set: built from a fixed seed, loaded into each app through its API.

100 users (each follows 3-12 others and writes 20 articles, so every feed has articles), 2,000
articles with 1-4 tags from a vocabulary of 50, 0-2 favorites per article and 500 comments.
The API is the one loader every app has in common, and it leaves each app's tables exactly as
real traffic would. Requests go out from a few threads: the articles' creation order (and so
their timestamps) may differ by a few places between apps, nothing else does.
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tools.bench.servers import Server, migrate

T = TypeVar("T")
SEED = 10
PASSWORD = "benchmark-password"
VOCABULARY = (
    "python django flask fastapi sqlalchemy postgres sqlite http rest json jwt async testing "
    "caching security performance design api web orm migrations docker linux deployment "
    "monitoring logging queues search pagination authentication graphql websockets typing "
    "packaging profiling concurrency databases indexing frontend css javascript rust go "
    "observability scaling architecture refactoring tooling opensource career"
)
TAGS = tuple(VOCABULARY.split())


@dataclass
class DataSet:
    """What to create, by index: user i is `user{i:03d}`, article j is written by user j % users."""

    usernames: list[str]
    follows: list[tuple[int, int]]
    articles: list[dict[str, Any]]
    favorites: list[tuple[int, int]]
    comments: list[tuple[int, int, str]]


@dataclass
class Loaded:
    """What the load returned: a token per user, a slug per article (the wrk scripts read them)."""

    tokens: list[str]
    slugs: list[str]


def build(users: int = 100, articles: int = 2000, comments: int = 500) -> DataSet:
    rng = random.Random(SEED)

    def words(low: int, high: int) -> str:
        return " ".join(rng.choices(TAGS, k=rng.randint(low, high)))

    def article(number: int) -> dict[str, Any]:
        paragraphs = (f"{words(40, 120)}." for _ in range(rng.randint(1, 5)))
        return {
            "title": f"{words(3, 7).capitalize()} {number}",
            "description": f"{words(8, 16)}.",
            "body": "\n\n".join(paragraphs),
            "tagList": rng.sample(TAGS, rng.randint(1, 4)),
        }

    follows = []
    for follower in range(users):
        others = [other for other in range(users) if other != follower]
        picked = rng.sample(others, min(len(others), rng.randint(3, 12)))
        follows += [(follower, followed) for followed in picked]
    items = [article(number) for number in range(articles)]
    favorites = [
        (u, a) for a in range(articles) for u in rng.sample(range(users), rng.randint(0, 2))
    ]
    notes = [
        (rng.randrange(users), rng.randrange(articles), f"{words(5, 40)}.") for _ in range(comments)
    ]
    return DataSet([f"user{i:03d}" for i in range(users)], follows, items, favorites, notes)


def show(line: str, *, done: bool = False) -> None:
    """Rewrite the terminal's status line."""
    sys.stdout.write(f"\r\033[K{line}" + ("\n" if done else ""))
    sys.stdout.flush()


class Client:
    """A keep-alive JSON client per thread (stdlib only, light on a machine shared with servers)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        if not hasattr(self.local, "connection"):
            self.local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        payload = None if body is None else json.dumps(body)
        self.local.connection.request(method, f"/api{path}", payload, headers)
        response = self.local.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data) if data else None


def load(port: int, data: DataSet, label: str, threads: int = 4) -> Loaded:
    """Create the data set through the API of the server on `port`, showing progress."""
    client = Client(port)

    def each(kind: str, items: Sequence[T], send: Callable[[T], Any]) -> list[Any]:
        results = []
        with ThreadPoolExecutor(threads) as pool:
            for done, result in enumerate(pool.map(send, items), 1):
                results.append(result)
                if done % 50 == 0 or done == len(items):
                    show(f"  loading {label}: {kind} {done}/{len(items)}")
        return results

    def user(name: str) -> str:
        body = {"user": {"username": name, "email": f"{name}@bench.example", "password": PASSWORD}}
        return str(client.call("POST", "/users", body)["user"]["token"])

    def follow(pair: tuple[int, int]) -> None:
        follower, followed = pair
        client.call("POST", f"/profiles/{data.usernames[followed]}/follow", None, tokens[follower])

    def article(item: tuple[int, dict[str, Any]]) -> str:
        token = tokens[item[0] % len(tokens)]
        return str(client.call("POST", "/articles", {"article": item[1]}, token)["article"]["slug"])

    def favorite(pair: tuple[int, int]) -> None:
        client.call("POST", f"/articles/{slugs[pair[1]]}/favorite", None, tokens[pair[0]])

    def comment(note: tuple[int, int, str]) -> None:
        body = {"comment": {"body": note[2]}}
        client.call("POST", f"/articles/{slugs[note[1]]}/comments", body, tokens[note[0]])

    tokens = each("users", data.usernames, user)
    each("follows", data.follows, follow)
    slugs = each("articles", list(enumerate(data.articles)), article)
    each("favorites", data.favorites, favorite)
    each("comments", data.comments, comment)
    show(f"  loaded {label}", done=True)
    return Loaded(tokens, slugs)


def load_app(app: str, database_url: str, data: DataSet, log: Path, label: str) -> Loaded:
    """Migrate an empty database and load `data` through `app` under its production server."""
    migrate(app, database_url, log)
    server = Server(app, "production", database_url, log)
    server.start()
    try:
        return load(server.port, data, label)
    finally:
        server.stop()


def write_fixture(directory: Path, data: DataSet, loaded: Loaded) -> None:
    """The files the wrk scripts rotate over (one value a line)."""
    directory.mkdir(parents=True, exist_ok=True)
    emails = (f"{name}@bench.example" for name in data.usernames)
    for name, values in (
        ("tokens", loaded.tokens),
        ("slugs", loaded.slugs),
        ("tags", TAGS),
        ("emails", emails),
    ):
        (directory / f"{name}.txt").write_text("".join(f"{v}\n" for v in values))
