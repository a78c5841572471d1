"""A few behaviours pinned at the app level (the contract suite in /tests covers the rest):
error shapes and their order, tokens, validation messages, slugs, lists and CORS."""

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from fastapi_app.config import Settings
from fastapi_app.dependencies import get_session
from fastapi_app.main import create_app
from fastapi_app.services import slugify
from fastapi_app.tests.conftest import TEST_SECRET_KEY, auth, create_article, register

pytestmark = pytest.mark.anyio

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def errors(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, dict[str, Any]] = response.json()
    return body["errors"]


async def test_register_login_and_token_claims(client: httpx.AsyncClient) -> None:
    token = await register(client, "alice")
    claims = jwt.decode(token, TEST_SECRET_KEY, algorithms=["HS256"])
    assert set(claims) == {"sub", "iat", "exp", "pwv"}
    assert claims["exp"] - claims["iat"] == 2_592_000

    me = await client.get("/api/user", headers={"Authorization": f"bearer {token}"})
    assert me.json() == {
        "user": {
            "email": "alice@example.com",
            "token": token,
            "username": "alice",
            "bio": None,
            "image": None,
        }
    }
    wrong = await client.post(
        "/api/users/login", json={"user": {"email": "alice@example.com", "password": "nope1234"}}
    )
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Token"
    assert errors(wrong) == {"credentials": ["invalid"]}


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"sub": "1", "iat": 0, "exp": 1}, "is invalid"),
        ({"sub": "1", "exp": 4_000_000_000}, "is invalid"),
        ({"sub": "999", "iat": 0, "exp": 4_000_000_000}, "is invalid"),
    ],
)
async def test_bad_tokens_are_401(
    client: httpx.AsyncClient, claims: dict[str, Any], message: str
) -> None:
    await register(client, "alice")
    token = jwt.encode(claims, TEST_SECRET_KEY, algorithm="HS256")
    response = await client.get("/api/articles", headers=auth(token))
    assert response.status_code == 401
    assert errors(response) == {"token": [message]}


async def test_unsigned_and_foreign_tokens_are_invalid(client: httpx.AsyncClient) -> None:
    now = int(time.time())
    claims = {"sub": "1", "iat": now, "exp": now + 60}
    for token in (
        jwt.encode(claims, None, algorithm="none"),
        jwt.encode(claims, "someone-else's-secret-key-0123456789abcdef", algorithm="HS256"),
        "garbage",
    ):
        response = await client.get("/api/user", headers=auth(token))
        assert (response.status_code, errors(response)) == (401, {"token": ["is invalid"]})
    missing = await client.get("/api/user")
    assert (missing.status_code, errors(missing)) == (401, {"token": ["is missing"]})


async def test_checks_run_in_the_documented_order(client: httpx.AsyncClient) -> None:
    """FastAPI parses a body before it authenticates (a broken one is a 400 even without a
    token, which the spec allows) and validates it after: 415 and 422 come after the 401.
    Then 404, then 403."""
    post = "/api/articles"
    json_type = {"Content-Type": "application/json"}
    not_json = await client.post(post, content=b"{not json", headers=json_type)
    assert (not_json.status_code, errors(not_json)) == (400, {"request": ["is not valid JSON"]})
    plain = await client.post(post, content=b"{}", headers={"Content-Type": "text/plain"})
    assert (plain.status_code, errors(plain)) == (401, {"token": ["is missing"]})
    no_token = await client.post(post, json={"article": {"title": 1}})
    assert (no_token.status_code, errors(no_token)) == (401, {"token": ["is missing"]})

    token = await register(client, "alice")
    plain = await client.post(
        post, content=b"{}", headers={**auth(token), "Content-Type": "text/plain"}
    )
    assert (plain.status_code, errors(plain)) == (415, {"request": ["must be application/json"]})
    huge = await client.post(
        post,
        content=b'{"article": "' + b"x" * (1024 * 1024) + b'"}',
        headers={**auth(token), "Content-Type": "application/json"},
    )
    assert (huge.status_code, errors(huge)) == (413, {"request": ["is too large"]})
    for body in (b"{not json", b""):
        bad = await client.post(
            post, content=body, headers={**auth(token), "Content-Type": "application/json"}
        )
        assert (bad.status_code, errors(bad)) == (400, {"request": ["is not valid JSON"]})

    other = await register(client, "bob")
    slug = (await create_article(client, other))["slug"]
    invalid = await client.put(
        f"/api/articles/{slug}", json={"article": {"title": 1}}, headers=auth(token)
    )
    assert (invalid.status_code, errors(invalid)) == (422, {"title": ["must be a string"]})
    missing = await client.put("/api/articles/nope", json={"article": {}}, headers=auth(token))
    assert (missing.status_code, errors(missing)) == (404, {"article": ["not found"]})
    forbidden = await client.put(f"/api/articles/{slug}", json={"article": {}}, headers=auth(token))
    assert (forbidden.status_code, errors(forbidden)) == (403, {"article": ["forbidden"]})


async def test_streamed_bodies_are_411_unread(client: httpx.AsyncClient) -> None:
    """A body without a Content-Length (chunked) is refused before a byte of it is read."""
    token = await register(client, "alice")

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"article": "'
        for _ in range(17):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(
        "/api/articles",
        content=chunks(),
        headers={**auth(token), "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert (response.status_code, errors(response)) == (
        411,
        {"request": ["needs a Content-Length"]},
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], {"user": ["can't be blank"]}),
        ({"user": None}, {"user": ["can't be blank"]}),
        ({"user": "alice"}, {"user": ["must be an object"]}),
        (
            {"user": {"username": 7, "email": " ", "password": "short"}},
            {
                "username": ["must be a string"],
                "email": ["can't be blank"],
                "password": ["is too short (minimum is 8 characters)"],
            },
        ),
        (
            {"user": {"username": "no spaces", "email": "a@b", "password": "p" * 129}},
            {
                "username": ["is invalid"],
                "email": ["is invalid"],
                "password": ["is too long (maximum is 128 characters)"],
            },
        ),
    ],
)
async def test_registration_validation_messages(
    client: httpx.AsyncClient, body: Any, expected: dict[str, list[str]]
) -> None:
    response = await client.post("/api/users", json=body)
    assert (response.status_code, errors(response)) == (422, expected)


NOT_JSON = {"request": ["is not valid JSON"]}


@pytest.mark.parametrize(
    ("password", "status", "expected"),
    [
        (rb'"x\ud800"', 422, {"password": ["is invalid"]}),
        (rb'"x\u0000"', 422, {"password": ["is invalid"]}),
        (b'"\xe9t\xe9"', 400, NOT_JSON),  # Latin-1, not UTF-8
        (b"NaN", 400, NOT_JSON),
        (b"1e999", 422, {"password": ["must be a string"]}),
    ],
)
async def test_login_rejects_unstorable_strings_and_what_json_does_not_allow(
    client: httpx.AsyncClient, password: bytes, status: int, expected: dict[str, list[str]]
) -> None:
    """Checked before any lookup or hashing: argon2 cannot even encode a lone surrogate."""
    raw = b'{"user": {"email": "a@b.co", "password": ' + password + b"}}"
    response = await client.post(
        "/api/users/login", content=raw, headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, errors(response)) == (status, expected)


async def test_bio_and_image_are_trimmed_and_blank_is_null(client: httpx.AsyncClient) -> None:
    token = await register(client, "alice")
    trimmed = await client.put(
        "/api/user", json={"user": {"bio": " hi\n", "image": "  "}}, headers=auth(token)
    )
    assert trimmed.json()["user"]["bio"] == "hi"
    assert trimmed.json()["user"]["image"] is None


@pytest.mark.parametrize(
    ("tag_list", "message"),
    [
        (None, "must be a list of strings"),
        (["ok", 3], "must be a list of strings"),
        (["ok", "  "], "can't contain blank tags"),
        ([f"t{n}" for n in range(21)], "is too long (maximum is 20 tags)"),
        (["x" * 65], "is too long (maximum is 64 characters)"),
    ],
)
async def test_tag_list_validation(client: httpx.AsyncClient, tag_list: Any, message: str) -> None:
    token = await register(client, "alice")
    article = {"title": "T", "description": "D", "body": "B", "tagList": tag_list}
    response = await client.post("/api/articles", json={"article": article}, headers=auth(token))
    assert (response.status_code, errors(response)) == (422, {"tagList": [message]})


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Crème Brûlée!", "creme-brulee"),
        ("Hello, World", "hello-world"),
        ("你好 世界", "你好-世界"),
        ("!!!", "article"),
        ("a" * 99 + " b", "a" * 99),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


async def test_articles_get_unique_slugs_sorted_tags_and_millisecond_timestamps(
    client: httpx.AsyncClient,
) -> None:
    token = await register(client, "alice")
    first = await create_article(client, token, title="Hello, World", tagList=[" b ", "a", "b"])
    second = await create_article(client, token, title="Hello World!")
    feed = await create_article(client, token, title="Feed")
    assert [first["slug"], second["slug"], feed["slug"]] == [
        "hello-world",
        "hello-world-2",
        "feed-2",
    ]
    assert first["tagList"] == ["a", "b"]
    assert TIMESTAMP.fullmatch(first["createdAt"])
    assert first["createdAt"] == first["updatedAt"]

    renamed = await client.put(
        "/api/articles/hello-world-2", json={"article": {"title": "Bye"}}, headers=auth(token)
    )
    assert renamed.json()["article"]["slug"] == "bye"
    listed = (await client.get("/api/articles?limit=1&offset=1")).json()
    assert listed["articlesCount"] == 3
    assert [article["slug"] for article in listed["articles"]] == ["bye"]
    assert "body" not in listed["articles"][0]


async def test_pagination_parameters_are_checked(client: httpx.AsyncClient) -> None:
    for query, key, message in [
        ("limit=0", "limit", "must be an integer between 1 and 100"),
        ("limit=1.5", "limit", "must be an integer between 1 and 100"),
        ("offset=-1", "offset", "must be an integer between 0 and 2147483647"),
    ]:
        response = await client.get(f"/api/articles?{query}&unknown=ignored")
        assert (response.status_code, errors(response)) == (422, {key: [message]})


async def test_comment_ids_that_do_not_belong_to_the_article_are_not_found(
    client: httpx.AsyncClient,
) -> None:
    token = await register(client, "alice")
    first, second = await create_article(client, token), await create_article(client, token)
    comment = await client.post(
        f"/api/articles/{first['slug']}/comments",
        json={"comment": {"body": "Nice"}},
        headers=auth(token),
    )
    comment_id = comment.json()["comment"]["id"]
    for path in (
        f"/api/articles/{second['slug']}/comments/{comment_id}",
        f"/api/articles/{first['slug']}/comments/abc",
        f"/api/articles/{first['slug']}/comments/99999999999",
    ):
        response = await client.delete(path, headers=auth(token))
        assert (response.status_code, errors(response)) == (404, {"comment": ["not found"]})
    missing_article = await client.delete("/api/articles/nope/comments/1", headers=auth(token))
    assert errors(missing_article) == {"article": ["not found"]}


async def test_unknown_routes_trailing_slashes_and_wrong_methods(client: httpx.AsyncClient) -> None:
    for path in ("/api/nothing", "/api/users/", "/api/articles/"):
        response = await client.get(path)
        assert (response.status_code, errors(response)) == (404, {"route": ["not found"]})
    wrong = await client.patch("/api/user")
    assert (wrong.status_code, errors(wrong)) == (405, {"method": ["not allowed"]})


async def test_cors_preflight_and_headers_on_errors(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "http://frontend.example"}
    preflight = await client.options(
        "/api/articles",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "PUT" in preflight.headers["access-control-allow-methods"]
    unauthorized = await client.get("/api/user", headers=origin)
    assert unauthorized.headers["access-control-allow-origin"] == "*"


async def test_cors_covers_only_the_api(client: httpx.AsyncClient) -> None:
    """As in the Flask and Django apps: the paths outside /api answer no other origin."""
    for path in ("/health", "/openapi.json", "/api"):
        response = await client.get(path, headers={"Origin": "http://frontend.example"})
        assert "access-control-allow-origin" not in response.headers, path


async def test_unexpected_errors_are_a_json_500_with_cors(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def broken_session() -> None:
        raise RuntimeError("boom")

    app.dependency_overrides[get_session] = broken_session
    response = await client.get("/api/tags", headers={"Origin": "http://frontend.example"})
    assert (response.status_code, errors(response)) == (500, {"server": ["internal error"]})
    assert response.headers["access-control-allow-origin"] == "*"


async def test_health(client: httpx.AsyncClient, tmp_path: Path) -> None:
    response = await client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})

    unreachable = create_app(Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"))
    transport = httpx.ASGITransport(app=unreachable)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        down = await other.get("/health")
    await unreachable.state.engine.dispose()
    assert (down.status_code, errors(down)) == (503, {"database": ["is unavailable"]})
