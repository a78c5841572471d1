"""No N+1: list endpoints take the same number of SQL queries for 1 and for 20 articles.

Counted with SQLAlchemy's `before_cursor_execute` event around one request. The expected
numbers are asserted too, so a change shows up here (and `pytest -s` prints them):
authentication 1, COUNT 1, the page with author/flags/favoritesCount 1, tags 1.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from flask_app.extensions import db
from flask_app.tests.helpers import auth, create_article, register


@contextmanager
def count_queries(app: Flask) -> Iterator[Callable[[], int]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield lambda: len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def populated(client: FlaskClient) -> dict[str, str]:
    """Two authors with 1 and 20 tagged, favorited articles; a reader following each."""
    tokens = {name: register(client, name) for name in ("one", "twenty", "reader1", "reader20")}
    for author, count, reader in (("one", 1, "reader1"), ("twenty", 20, "reader20")):
        response = client.post(f"/api/profiles/{author}/follow", headers=auth(tokens[reader]))
        assert response.status_code == 200
        for number in range(count):
            article = create_article(
                client, tokens[author], title=f"{author} {number}", tagList=["x", f"t{number}"]
            )
            favorite = f"/api/articles/{article['slug']}/favorite"
            assert client.post(favorite, headers=auth(tokens[reader])).status_code == 200
    return tokens


def queries_for(app: Flask, client: FlaskClient, url: str, token: str | None) -> tuple[int, int]:
    """(queries, articles returned) for one GET."""
    with count_queries(app) as counted:
        response = client.get(url, headers=auth(token) if token else {})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert all(article["favorited"] for article in body["articles"]) == bool(token)
    return counted(), len(body["articles"])


def test_get_articles_query_count_is_constant(
    app: Flask, client: FlaskClient, populated: dict[str, str]
) -> None:
    one = queries_for(app, client, "/api/articles?author=one", populated["reader1"])
    twenty = queries_for(app, client, "/api/articles?author=twenty", populated["reader20"])
    anonymous = queries_for(app, client, "/api/articles?author=twenty", None)
    print(f"GetArticles queries: 1 article={one[0]}, 20 articles={twenty[0]}, anon={anonymous[0]}")
    assert (one[1], twenty[1]) == (1, 20)
    assert one[0] == twenty[0] == 4
    assert anonymous[0] == 3


def test_get_articles_feed_query_count_is_constant(
    app: Flask, client: FlaskClient, populated: dict[str, str]
) -> None:
    one = queries_for(app, client, "/api/articles/feed", populated["reader1"])
    twenty = queries_for(app, client, "/api/articles/feed", populated["reader20"])
    print(f"GetArticlesFeed queries: 1 article={one[0]}, 20 articles={twenty[0]}")
    assert (one[1], twenty[1]) == (1, 20)
    assert one[0] == twenty[0] == 4


def test_get_article_comments_query_count_is_constant(
    app: Flask, client: FlaskClient, populated: dict[str, str]
) -> None:
    slug = client.get("/api/articles?author=one").get_json()["articles"][0]["slug"]
    counts = []
    for total in (1, 20):
        while len(client.get(f"/api/articles/{slug}/comments").get_json()["comments"]) < total:
            response = client.post(
                f"/api/articles/{slug}/comments",
                json={"comment": {"body": "hello"}},
                headers=auth(populated["reader1"]),
            )
            assert response.status_code == 201
        with count_queries(app) as counted:
            response = client.get(f"/api/articles/{slug}/comments", headers=auth(populated["one"]))
        assert len(response.get_json()["comments"]) == total
        counts.append(counted())
    print(f"GetArticleComments queries: 1 comment={counts[0]}, 20 comments={counts[1]}")
    assert counts == [3, 3]


def test_create_article_comment_answers_with_the_row_it_wrote(
    app: Flask, client: FlaskClient
) -> None:
    """CreateArticleComment: the caller, the article's id, the INSERT; nothing is read back."""
    token = register(client, "commenter")
    slug = create_article(client, token)["slug"]
    with count_queries(app) as counted:
        response = client.post(
            f"/api/articles/{slug}/comments", json={"comment": {"body": "hi"}}, headers=auth(token)
        )
    assert response.status_code == 201, response.get_json()
    author = response.get_json()["comment"]["author"]
    assert (author["username"], author["following"]) == ("commenter", False)
    assert counted() == 3
