"""A few behaviours pinned with the Flask test client (the contract suite covers the rest)."""

import re
import time
from pathlib import Path

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from flask_app import create_app
from flask_app.extensions import db
from flask_app.models import Comment, Favorite, article_tags
from flask_app.services import slugify
from flask_app.tests.helpers import auth, create_article, register

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def errors(response: TestResponse) -> dict[str, list[str]]:
    body: dict[str, dict[str, list[str]]] = response.get_json()
    return body["errors"]


def test_register_login_and_token_echo(client: FlaskClient) -> None:
    """Covers CreateUser, Login, GetCurrentUser, UpdateCurrentUser."""
    token = register(client, "alice")
    login = client.post(
        "/api/users/login",
        json={"user": {"email": " alice@example.com ", "password": "password123"}},
    )
    assert login.status_code == 200
    assert login.get_json()["user"]["username"] == "alice"

    me = client.get("/api/user", headers={"Authorization": f"bearer {token}"})
    assert me.get_json()["user"] == {
        "email": "alice@example.com",
        "token": token,
        "username": "alice",
        "bio": None,
        "image": None,
    }
    updated = client.put(
        "/api/user", json={"user": {"bio": "  ", "image": None}}, headers=auth(token)
    )
    assert updated.status_code == 200
    assert updated.get_json()["user"]["bio"] is None

    wrong = client.post(
        "/api/users/login", json={"user": {"email": "nobody@example.com", "password": "x"}}
    )
    assert (wrong.status_code, errors(wrong)) == (401, {"credentials": ["invalid"]})
    assert wrong.headers["WWW-Authenticate"] == "Token"


def test_validation_and_conflicts(client: FlaskClient) -> None:
    """Covers CreateUser, UpdateCurrentUser."""
    response = client.post(
        "/api/users",
        json={"user": {"username": "bad name", "email": 5, "password": "short"}},
    )
    assert response.status_code == 422
    assert errors(response) == {
        "username": ["is invalid"],
        "email": ["must be a string"],
        "password": ["is too short (minimum is 8 characters)"],
    }
    assert errors(client.post("/api/users", json={"user": "x"})) == {"user": ["must be an object"]}
    assert errors(client.post("/api/users", json=[])) == {"user": ["can't be blank"]}

    token = register(client, "bob")
    register(client, "carol")
    taken = client.post(
        "/api/users",
        json={"user": {"username": "bob", "email": "bob@example.com", "password": "password123"}},
    )
    assert (taken.status_code, errors(taken)) == (
        409,
        {"username": ["has already been taken"], "email": ["has already been taken"]},
    )
    same = client.put("/api/user", json={"user": {"username": "bob"}}, headers=auth(token))
    assert same.status_code == 200
    clash = client.put(
        "/api/user", json={"user": {"email": "carol@example.com"}}, headers=auth(token)
    )
    assert (clash.status_code, errors(clash)) == (409, {"email": ["has already been taken"]})


def test_token_failures_are_401_even_where_auth_is_optional(
    app: Flask, client: FlaskClient
) -> None:
    """Covers GetCurrentUser, GetArticles."""
    token = register(client, "dave")
    secret = app.config["SECRET_KEY"]
    now = int(time.time())
    expired = jwt.encode({"sub": "1", "iat": now - 20, "exp": now - 10}, secret, algorithm="HS256")
    no_sub = jwt.encode({"iat": now, "exp": now + 60}, secret, algorithm="HS256")
    huge_sub = jwt.encode({"sub": "9" * 5000, "iat": now, "exp": now + 60}, secret, "HS256")
    alg_none = jwt.encode({"sub": "1", "iat": now, "exp": now + 60}, None, algorithm="none")
    cases = {
        None: "is missing",
        f"Token {expired}": "is invalid",
        f"Token {no_sub}": "is invalid",
        f"Token {huge_sub}": "is invalid",
        f"Token {alg_none}": "is invalid",
        f"Basic {token}": "is invalid",
        "Token": "is invalid",
    }
    for header, reason in cases.items():
        response = client.get("/api/user", headers={"Authorization": header} if header else {})
        assert (response.status_code, errors(response)) == (401, {"token": [reason]}), header
        assert response.headers["WWW-Authenticate"] == "Token"
    assert client.get("/api/articles", headers={"Authorization": "Token x"}).status_code == 401
    assert client.get("/api/articles").status_code == 200


def test_request_level_errors(client: FlaskClient) -> None:
    """Errors raised before any handler runs: body, route, method."""
    cases = [
        (client.post("/api/users", data="{", content_type="application/json"), 400),
        (client.post("/api/users", data="", content_type="application/json"), 400),
        (client.post("/api/users", data="{}", content_type="text/plain"), 415),
        (
            client.post(
                "/api/users", data="x" * (1024 * 1024 + 1), content_type="application/json"
            ),
            413,
        ),
        (client.get("/api/users/"), 404),
        (client.get("/api/nowhere"), 404),
        (client.delete("/api/tags"), 405),
    ]
    expected = {
        400: {"request": ["is not valid JSON"]},
        413: {"request": ["is too large"]},
        415: {"request": ["must be application/json"]},
        404: {"route": ["not found"]},
        405: {"method": ["not allowed"]},
    }
    for response, status in cases:
        assert response.status_code == status
        assert response.content_type == "application/json"
        assert errors(response) == expected[status]


def test_cors_preflight_needs_no_auth(client: FlaskClient) -> None:
    """Preflight is answered without a token."""
    response = client.options(
        "/api/user",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Crème Brûlée!", "creme-brulee"),
        ("你好 世界", "你好-世界"),
        ("!!!", "article"),
        ("a_b", "a-b"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    """The slug rules shared by the three apps."""
    assert slugify(title) == slug


def test_articles_slugs_tags_and_counts(client: FlaskClient) -> None:
    """Covers CreateArticle, UpdateArticle, GetArticles, GetTags."""
    token = register(client, "erin")
    first = create_article(client, token, title="Hello, World", tagList=["b", " a", "b"])
    second = create_article(client, token, title="Hello World")
    assert (first["slug"], second["slug"]) == ("hello-world", "hello-world-2")
    assert first["tagList"] == ["a", "b"]
    assert TIMESTAMP.fullmatch(first["createdAt"])

    kept = client.put(
        f"/api/articles/{second['slug']}",
        json={"article": {"title": "hello world!"}},
        headers=auth(token),
    )
    assert kept.get_json()["article"]["slug"] == "hello-world-2"
    assert kept.get_json()["article"]["createdAt"] == second["createdAt"]

    page = client.get("/api/articles?author=erin&limit=1").get_json()
    assert page["articlesCount"] == 2
    assert [article["slug"] for article in page["articles"]] == ["hello-world-2"]
    assert "body" not in page["articles"][0]
    bad = client.get("/api/articles?limit=101&offset=x")
    assert errors(bad) == {
        "limit": ["must be an integer between 1 and 100"],
        "offset": ["must be an integer between 0 and 2147483647"],
    }
    assert client.get("/api/tags").get_json() == {"tags": ["a", "b"]}


def test_delete_article_cascades_and_author_only(app: Flask, client: FlaskClient) -> None:
    """Covers DeleteArticle, DeleteArticleComment."""
    author, other = register(client, "frank"), register(client, "gina")
    slug = create_article(client, author, tagList=["t"])["slug"]
    assert client.post(f"/api/articles/{slug}/favorite", headers=auth(other)).status_code == 200
    comment = client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "hi"}}, headers=auth(author)
    ).get_json()["comment"]

    forbidden = client.delete(f"/api/articles/{slug}/comments/{comment['id']}", headers=auth(other))
    assert (forbidden.status_code, errors(forbidden)) == (403, {"comment": ["forbidden"]})
    missing = client.delete(f"/api/articles/{slug}/comments/abc", headers=auth(author))
    assert (missing.status_code, errors(missing)) == (404, {"comment": ["not found"]})
    assert client.delete(f"/api/articles/{slug}", headers=auth(other)).status_code == 403

    assert client.delete(f"/api/articles/{slug}", headers=auth(author)).status_code == 204
    with app.app_context():
        for table in (Comment, Favorite, article_tags):
            assert db.session.scalar(select(func.count()).select_from(table)) == 0
    assert client.get("/api/tags").get_json() == {"tags": []}


def test_health(client: FlaskClient, tmp_path: Path) -> None:
    """Covers GetHealth."""
    assert client.get("/health").get_json() == {"status": "ok"}
    broken = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.sqlite3"})
    response = broken.test_client().get("/health")
    assert (response.status_code, errors(response)) == (503, {"database": ["is unavailable"]})


def test_seed_loads_once_through_the_services(app: Flask, tmp_path: Path) -> None:
    """`flask seed` with a small data file; a second run changes nothing."""
    data = tmp_path / "demo.json"
    data.write_text(
        """{
          "users": [
            {"username": "ada", "email": "ada@example.com", "password": "password-1",
             "bio": "Engines.", "image": null},
            {"username": "grace", "email": "grace@example.com", "password": "password-2",
             "bio": null, "image": ""}
          ],
          "follows": [["ada", "grace"]],
          "articles": [{"author": "grace", "title": "Compilers", "description": "d",
                        "body": "b", "tagList": ["cs"]}],
          "favorites": [["ada", "Compilers"]],
          "comments": [{"author": "ada", "article": "Compilers", "body": "Nice."}]
        }""",
        encoding="utf-8",
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--file", str(data)])
    assert result.exit_code == 0, result.output
    assert "seeding users 2/2" in result.output
    assert "seeding comments 1/1" in result.output

    client = app.test_client()
    login = client.post(
        "/api/users/login", json={"user": {"email": "ada@example.com", "password": "password-1"}}
    )
    token = login.get_json()["user"]["token"]
    feed = client.get("/api/articles/feed", headers=auth(token)).get_json()
    assert feed["articlesCount"] == 1
    assert feed["articles"][0]["favorited"] is True
    assert feed["articles"][0]["author"] == {
        "username": "grace",
        "bio": None,
        "image": None,  # "" in the file: a blank image is stored as None
        "following": True,
    }
    ada = client.get("/api/profiles/ada").get_json()["profile"]
    assert (ada["bio"], ada["image"]) == ("Engines.", None)

    again = runner.invoke(args=["seed", "--file", str(data)])
    assert "already has users" in again.output
    assert client.get("/api/articles").get_json()["articlesCount"] == 1


def test_unexpected_errors_are_a_500_without_details(app: Flask) -> None:
    """A bug gives the generic 500 body; the traceback goes to the log only."""

    def boom() -> ResponseReturnValue:
        raise RuntimeError("secret detail")

    app.add_url_rule("/api/boom", view_func=boom)
    response = app.test_client().get("/api/boom")
    assert (response.status_code, errors(response)) == (500, {"server": ["internal error"]})
    assert b"secret detail" not in response.data
