"""The reference row: the read scenarios answered by hand-written SQL, no framework, no ORM.

A plain WSGI callable over the Flask app's schema (stdlib sqlite3 or psycopg 3, PyJWT, stdlib
json) that sends the queries a GetArticles / GetArticle / GetArticlesFeed / GetTags response
needs (the token's user, the COUNT, one page query with the author, flags and favorites count,
one query for the page's tags) and writes the same JSON as the Flask app, byte for byte
(tests/test_bench_reference.py holds it to that). It is the practical ceiling of the workload:
what is left when the frameworks cost nothing. Serve it with
`gunicorn 'tools.bench.reference:create_app()'` (DATABASE_URL and SECRET_KEY as for the apps).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import jwt
import psycopg

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
Row = Sequence[Any]


class HTTPError(Exception):
    def __init__(self, status: str, key: str, message: str) -> None:
        super().__init__(status)
        self.status, self.body = status, {"errors": {key: [message]}}


def stamp(value: str | datetime) -> str:
    """The API's timestamp: SQLite holds UTC text, PostgreSQL an aware datetime."""
    if isinstance(value, str):
        return f"{value[:10]}T{value[11:23]}Z"
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


ARTICLE_COLUMNS = """a.id, a.slug, a.title, a.description, {body} a.created_at, a.updated_at,
  {favorited}, (SELECT count(*) FROM favorites f WHERE f.article_id = a.id),
  u.username, u.bio, u.image, {following}
FROM articles a JOIN users u ON u.id = a.author_id"""
FAVORITED = "EXISTS (SELECT 1 FROM favorites f WHERE f.article_id = a.id AND f.user_id = ?)"
FOLLOWING = "EXISTS (SELECT 1 FROM follows WHERE follower_id = ? AND followed_id = u.id)"
BY_TAG = (
    "a.id IN (SELECT article_id FROM article_tags JOIN tags t ON t.id = tag_id WHERE t.name = ?)"
)
BY_FOLLOWED = "a.author_id IN (SELECT followed_id FROM follows WHERE follower_id = ?)"
TAGS = "SELECT at.article_id, t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id"
TAG_USES = """SELECT t.name, count(*) FROM tags t JOIN article_tags at ON at.tag_id = t.id
GROUP BY t.id, t.name"""


class Reference:
    """One WSGI app; a database connection per server thread."""

    def __init__(self, database_url: str, secret_key: str) -> None:
        self.database_url, self.secret_key = database_url, secret_key
        self.local = threading.local()

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            if self.database_url.startswith("sqlite:///"):
                connection = sqlite3.connect(self.database_url.removeprefix("sqlite:///"))
            else:
                connection = psycopg.connect(self.database_url, autocommit=True)
            self.local.connection = connection
        if isinstance(connection, psycopg.Connection):
            sql = sql.replace("?", "%s")
        return list(connection.execute(sql, tuple(params)).fetchall())

    def viewer(self, environ: dict[str, Any]) -> int | None:
        """The signed-in user's id (None when anonymous); a bad token is a 401."""
        header = environ.get("HTTP_AUTHORIZATION", "").split()
        if not header:
            return None
        try:
            if len(header) != 2 or header[0].lower() not in ("token", "bearer"):
                raise jwt.InvalidTokenError()
            claims = jwt.decode(header[1], self.secret_key, ["HS256"],
                                options={"require": ["sub", "iat", "exp"]})  # fmt: skip
            rows = self.query("SELECT id FROM users WHERE id = ?", [int(claims["sub"])])
        except (jwt.InvalidTokenError, ValueError):
            rows = []
        if not rows:
            raise HTTPError("401 Unauthorized", "token", "is invalid")
        return int(rows[0][0])

    def articles(self, viewer: int | None, where: str, params: list[Any], *, body: bool = False,
                 page: tuple[int, int] | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """Articles as the API shows them: one query for the rows, one for their tags."""
        columns = ARTICLE_COLUMNS.format(body="a.body," if body else "",
                                         favorited=FAVORITED if viewer else "1 = 0",
                                         following=FOLLOWING if viewer else "1 = 0")  # fmt: skip
        sql = f"SELECT {columns} WHERE {where}"
        bound = [viewer, viewer, *params] if viewer else list(params)
        if page:
            sql += " ORDER BY a.created_at DESC, a.id DESC LIMIT ? OFFSET ?"
            bound += page
        rows = self.query(sql, bound)
        tags: dict[int, list[str]] = {row[0]: [] for row in rows}
        if rows:
            sql = f"{TAGS} WHERE at.article_id IN ({','.join('?' * len(rows))})"
            for article_id, name in self.query(sql, list(tags)):
                tags[article_id].append(name)
        items = []
        for row in rows:
            *fields, created, updated, favorited, count, username, bio, image, following = row
            item = dict(zip(("slug", "title", "description", "body"), fields[1:], strict=False))
            item.update(tagList=sorted(tags[row[0]]), createdAt=stamp(created),
                        updatedAt=stamp(updated), favorited=bool(favorited), favoritesCount=count,
                        author={"username": username, "bio": bio, "image": image,
                                "following": bool(following)})  # fmt: skip
            items.append(item)
        return items

    def article_list(self, viewer: int | None, where: str, params: list[Any],
                     query: dict[str, list[str]]) -> dict[str, Any]:  # fmt: skip
        limit = int(query.get("limit", ["20"])[-1])
        offset = int(query.get("offset", ["0"])[-1])
        count = self.query(f"SELECT count(*) FROM articles a WHERE {where}", params)[0][0]
        items = self.articles(viewer, where, params, page=(limit, offset))
        return {"articles": items, "articlesCount": count}

    def respond(self, environ: dict[str, Any]) -> dict[str, Any]:
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        viewer = self.viewer(environ)
        if path == "/health":
            return {"status": "ok"}
        if path == "/api/tags":
            rows = self.query(TAG_USES)
            return {"tags": [name for name, _ in sorted(rows, key=lambda r: (-r[1], r[0]))]}
        if path == "/api/articles":
            tag = query.get("tag", [""])[-1]
            where, params = (BY_TAG, [tag]) if tag else ("1 = 1", [])
            return self.article_list(viewer, where, params, query)
        if path == "/api/articles/feed":
            if viewer is None:
                raise HTTPError("401 Unauthorized", "token", "is missing")
            return self.article_list(viewer, BY_FOLLOWED, [viewer], query)
        slug = path.removeprefix("/api/articles/")
        if slug != path and "/" not in slug:
            found = self.articles(viewer, "a.slug = ?", [slug], body=True)
            if found:
                return {"article": found[0]}
            raise HTTPError("404 Not Found", "article", "not found")
        raise HTTPError("404 Not Found", "path", "not found")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        status = "200 OK"
        try:
            if environ["REQUEST_METHOD"] != "GET":
                raise HTTPError("405 Method Not Allowed", "method", "not allowed")
            payload = self.respond(environ)
        except HTTPError as error:
            status, payload = error.status, error.body
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]


def create_app() -> Reference:
    """The app for the server's environment (the same DATABASE_URL and SECRET_KEY as the apps)."""
    return Reference(os.environ["DATABASE_URL"], os.environ["SECRET_KEY"])
