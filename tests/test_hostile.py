"""Hostile and odd inputs: each gets a clear 4xx (or is harmlessly ignored), never a 500.

Databases differ in what they refuse (PostgreSQL rejects NUL characters in text, integers past
64 bits), so these run on every database the suite supports.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.client import ApiClient, assert_error

pytestmark = pytest.mark.usefixtures("impl")

NUL = "\u0000"


@pytest.mark.operation("CreateArticle")
@pytest.mark.parametrize("field", ["title", "description", "body"])
@pytest.mark.parametrize(
    "raw_value", ['"a\\u0000b"', '"\\ud800"', '"x\\udfff"'], ids=["nul", "lone-high", "lone-low"]
)
def test_unstorable_characters_in_a_string_field_are_invalid(
    api: ApiClient, field: str, raw_value: str
) -> None:
    user = api.register()
    fields = {"title": '"T"', "description": '"D"', "body": '"B"', field: raw_value}
    raw = '{"article": {' + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}}"
    response = api.post(
        "/articles", token=user.token, content=raw, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 422, field, "is invalid")


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_nul_in_registration_fields_is_invalid(api: ApiClient, field: str) -> None:
    name = f"n_{uuid.uuid4().hex[:8]}"
    user = {"username": name, "email": f"{name}@example.com", "password": "password123"}
    user[field] = user[field][:3] + NUL + user[field][3:]
    response = api.post("/users", json_body={"user": user})
    assert_error(response, 422, field, "is invalid")


@pytest.mark.operation("UpdateCurrentUser", "CreateArticleComment")
def test_nul_in_bio_and_comment_is_invalid(api: ApiClient) -> None:
    user = api.register()
    assert_error(
        api.put("/user", token=user.token, json_body={"user": {"bio": f"a{NUL}"}}),
        422, "bio", "is invalid",
    )  # fmt: skip
    slug = api.create_article(user.token)["slug"]
    assert_error(
        api.post(
            f"/articles/{slug}/comments", token=user.token, json_body={"comment": {"body": NUL}}
        ),
        422, "body", "is invalid",
    )  # fmt: skip


@pytest.mark.operation("CreateArticle")
def test_nul_in_a_tag_is_invalid(api: ApiClient) -> None:
    user = api.register()
    response = api.post(
        "/articles",
        token=user.token,
        json_body={
            "article": {"title": "t", "description": "d", "body": "b", "tagList": [f"a{NUL}"]}
        },
    )
    assert_error(response, 422, "tagList", "is invalid")


@pytest.mark.operation("GetProfileByUsername", "GetArticle", "GetArticleComments")
@pytest.mark.parametrize("segment", ["%00", "a%00b", "%ED%A0%80", "%FF"])
def test_odd_path_segments_are_not_found(api: ApiClient, segment: str) -> None:
    assert_error(api.get(f"/profiles/{segment}"), 404, "profile", "not found")
    assert_error(api.get(f"/articles/{segment}"), 404, "article", "not found")
    assert_error(api.get(f"/articles/{segment}/comments"), 404, "article", "not found")


@pytest.mark.operation("FollowUserByUsername", "CreateArticleFavorite", "DeleteArticleComment")
@pytest.mark.parametrize("segment", ["%00", "x%00y"])
def test_odd_path_segments_on_writes_are_not_found(api: ApiClient, segment: str) -> None:
    user = api.register()
    slug = api.create_article(user.token)["slug"]
    assert_error(
        api.post(f"/profiles/{segment}/follow", token=user.token), 404, "profile", "not found"
    )
    assert_error(
        api.post(f"/articles/{segment}/favorite", token=user.token), 404, "article", "not found"
    )
    assert_error(
        api.delete(f"/articles/{slug}/comments/{segment}", token=user.token),
        404, "comment", "not found",
    )  # fmt: skip


@pytest.mark.operation("GetArticles")
@pytest.mark.parametrize("name", ["tag", "author", "favorited"])
@pytest.mark.parametrize("value", ["\u0000", "a\u0000", "\ud800".encode("utf-8", "surrogatepass")])
def test_odd_filter_values_match_nothing(api: ApiClient, name: str, value: Any) -> None:
    query = f"{name}=" + ("%ED%A0%80" if isinstance(value, bytes) else value.replace(NUL, "%00"))
    response = api.get(f"/articles?{query}")
    assert response.status_code == 200, response.text
    assert response.json() == {"articles": [], "articlesCount": 0}


@pytest.mark.operation("GetArticles")
@pytest.mark.parametrize("name", ["tag", "author", "favorited"])
def test_an_empty_filter_value_means_no_filter(api: ApiClient, name: str) -> None:
    user = api.register()
    api.create_article(user.token)
    unfiltered = api.get("/articles", params={"limit": 1}).json()
    response = api.get("/articles", params={name: "", "limit": 1})
    assert response.status_code == 200
    assert response.json()["articlesCount"] == unfiltered["articlesCount"] >= 1


@pytest.mark.operation("GetArticles")
def test_a_repeated_query_parameter_counts_by_its_last_value(api: ApiClient) -> None:
    response = api.get("/articles?limit=5&limit=abc")
    assert_error(response, 422, "limit", "must be an integer between 1 and 100")
    good = api.get("/articles?limit=abc&limit=1")
    assert good.status_code == 200
    assert len(good.json()["articles"]) <= 1


@pytest.mark.operation("UpdateCurrentUser")
def test_bio_and_image_are_trimmed(api: ApiClient) -> None:
    user = api.register()
    response = api.put(
        "/user",
        token=user.token,
        json_body={"user": {"bio": "  hi there \n", "image": " https://x.io/a.png "}},
    )
    assert response.status_code == 200
    assert response.json()["user"]["bio"] == "hi there"
    assert response.json()["user"]["image"] == "https://x.io/a.png"


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"user": ' * 5000 + "{}" + "}" * 5000,
        '{"user": {"username": "a"}}' + "x",
        "\xff\xfe",
    ],
    ids=["deep-array", "deep-object", "trailing-garbage", "bad-utf8"],
)
def test_pathological_json_is_a_400(api: ApiClient, raw: str) -> None:
    response = api.post(
        "/users",
        content=raw.encode("latin-1") if raw == "\xff\xfe" else raw,
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "request", "is not valid JSON")


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize(
    "literal",
    ["9" * 5000, "NaN", "Infinity", "-Infinity"],
    ids=["5000-digits", "nan", "inf", "-inf"],
)
def test_numbers_json_cannot_carry_are_not_valid_json(api: ApiClient, literal: str) -> None:
    """NaN and Infinity are not JSON; a 5000-digit integer is past what Python will parse."""
    raw = '{"user": {"username": ' + literal + ', "email": "a@b.co", "password": "password123"}}'
    response = api.post("/users", content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "request", "is not valid JSON")


@pytest.mark.operation("CreateUser")
def test_a_huge_float_where_a_string_belongs_is_a_type_error(api: ApiClient) -> None:
    raw = '{"user": {"username": 1e999, "email": "a@b.co", "password": "password123"}}'
    response = api.post("/users", content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 422, "username", "must be a string")


@pytest.mark.operation("GetArticles")
@pytest.mark.parametrize(
    ("query", "key", "message"),
    [
        ("limit=99999999999999999999999", "limit", "must be an integer between 1 and 100"),
        ("offset=99999999999999999999", "offset", "must be an integer between 0 and 2147483647"),
        ("limit=1e3", "limit", "must be an integer between 1 and 100"),
    ],
)
def test_huge_numbers_in_the_query_are_422(
    api: ApiClient, query: str, key: str, message: str
) -> None:
    response = api.get(f"/articles?{query}")
    assert_error(response, 422, key, message)
    assert list(response.json()["errors"]) == [key]
