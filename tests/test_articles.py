"""Articles: GetArticles, GetArticlesFeed, CreateArticle, GetArticle, UpdateArticle, DeleteArticle.

All tests share one server and database per implementation, so every title, tag and username is
made unique with a uuid, and list assertions are scoped with filters (author, tag, favorited) or
compare only the test's own articles. Expected slugs are written out by hand from the brief's
`slugify` rules rather than recomputed, so a shared misunderstanding cannot hide.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import jwt
import pytest

from tests.client import ApiClient, RegisteredUser, assert_error, assert_one_error_of

pytestmark = pytest.mark.usefixtures("impl")

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ARTICLE_KEYS = {
    "slug", "title", "description", "body", "tagList", "createdAt", "updatedAt",
    "favorited", "favoritesCount", "author",
}  # fmt: skip
PREVIEW_KEYS = ARTICLE_KEYS - {"body"}
LIMIT_MESSAGE = "must be an integer between 1 and 100"
OFFSET_MESSAGE = "must be an integer between 0 and 2147483647"


def uid() -> str:
    """Twelve lowercase hex digits: slugify leaves them as they are."""
    return uuid.uuid4().hex[:12]


def article_path(slug: str) -> str:
    """The article's URL path, percent-encoded (slugs may hold non-ASCII letters)."""
    return f"/articles/{quote(slug, safe='')}"


def new_article(**overrides: Any) -> dict[str, Any]:
    article: dict[str, Any] = {
        "title": f"Title {uid()}",
        "description": "A description",
        "body": "A body",
    }
    article.update(overrides)
    return article


def create(api: ApiClient, user: RegisteredUser, **fields: Any) -> dict[str, Any]:
    return api.create_article(user.token, **fields)


def listing(api: ApiClient, token: str | None = None, **params: Any) -> dict[str, Any]:
    response = api.get("/articles", params=params, token=token)
    assert response.status_code == 200, response.text
    return response.json()


def feed(api: ApiClient, token: str, **params: Any) -> dict[str, Any]:
    response = api.get("/articles/feed", params=params, token=token)
    assert response.status_code == 200, response.text
    return response.json()


def slugs(page: dict[str, Any]) -> list[str]:
    return [article["slug"] for article in page["articles"]]


def follow(api: ApiClient, follower: RegisteredUser, followed: RegisteredUser) -> None:
    response = api.post(f"/profiles/{followed.username}/follow", token=follower.token)
    assert response.status_code == 200, response.text


def favorite(api: ApiClient, user: RegisteredUser, slug: str) -> None:
    response = api.post(f"{article_path(slug)}/favorite", token=user.token)
    assert response.status_code == 200, response.text


def fetch(api: ApiClient, slug: str, token: str | None = None) -> dict[str, Any]:
    response = api.get(article_path(slug), token=token)
    assert response.status_code == 200, response.text
    return response.json()["article"]


def update(api: ApiClient, user: RegisteredUser, slug: str, **fields: Any) -> Any:
    return api.put(article_path(slug), token=user.token, json_body={"article": fields})


def expired_token(secret_key: str, token: str) -> str:
    """A correctly signed token for the same user (every claim of `token`) that expired an hour
    ago."""
    claims = jwt.decode(token, options={"verify_signature": False})
    past = int(time.time()) - 7200
    claims.update(iat=past, exp=past + 3600)
    return jwt.encode(claims, secret_key, algorithm="HS256")


def parse_timestamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


# CreateArticle


@pytest.mark.operation("CreateArticle")
def test_create_returns_the_full_article(api: ApiClient) -> None:
    author = api.register()
    title = f"Fresh article {uid()}"
    response = api.post(
        "/articles",
        token=author.token,
        json_body={
            "article": {
                "title": title,
                "description": "What it is about",
                "body": "The whole text",
                "tagList": ["beta", "alpha"],
            }
        },
    )
    assert response.status_code == 201, response.text
    article = response.json()["article"]
    assert set(article) == ARTICLE_KEYS
    assert article["title"] == title
    assert article["slug"] == title.lower().replace(" ", "-")
    assert article["description"] == "What it is about"
    assert article["body"] == "The whole text"
    assert article["tagList"] == ["alpha", "beta"]
    assert article["favorited"] is False
    assert article["favoritesCount"] == 0
    assert article["author"] == {
        "username": author.username, "bio": None, "image": None, "following": False,
    }  # fmt: skip


@pytest.mark.operation("CreateArticle")
def test_create_timestamps_are_utc_with_milliseconds(api: ApiClient) -> None:
    before = datetime.now(UTC)
    article = create(api, api.register())
    after = datetime.now(UTC)
    for key in ("createdAt", "updatedAt"):
        assert TIMESTAMP.match(article[key]), article[key]
        moment = parse_timestamp(article[key])
        assert before - timedelta(seconds=60) <= moment <= after + timedelta(seconds=60), (
            f"{key} {article[key]} is not the current UTC time ({before.isoformat()})"
        )


@pytest.mark.operation("CreateArticle", "GetArticle")
def test_created_article_can_be_fetched_by_its_slug(api: ApiClient) -> None:
    author = api.register()
    created = create(api, author, tagList=["one"])
    assert fetch(api, created["slug"]) == created


@pytest.mark.operation("CreateArticle")
def test_create_without_tag_list_has_no_tags(api: ApiClient) -> None:
    article = create(api, api.register())
    assert article["tagList"] == []


@pytest.mark.operation("CreateArticle")
def test_create_sorts_trims_and_deduplicates_tags(api: ApiClient) -> None:
    tag = uid()
    article = create(
        api,
        api.register(),
        tagList=[f" zeta{tag} ", f"alpha{tag}", f"zeta{tag}", f"Beta{tag}", f"alpha{tag}  "],
    )
    # Code-point order: upper case sorts before lower case.
    expected = [f"Beta{tag}", f"alpha{tag}", f"zeta{tag}"]
    assert article["tagList"] == expected
    assert fetch(api, article["slug"])["tagList"] == expected


@pytest.mark.operation("CreateArticle")
def test_create_trims_title_and_description_but_not_body(api: ApiClient) -> None:
    title = f"Padded {uid()}"
    article = create(
        api,
        api.register(),
        title=f"  {title}\t ",
        description="  described  ",
        body="  indented body\n",
    )
    assert article["title"] == title
    assert article["slug"] == title.lower().replace(" ", "-")
    assert article["description"] == "described"
    assert article["body"] == "  indented body\n"


@pytest.mark.operation("CreateArticle")
def test_create_ignores_unknown_and_read_only_keys(api: ApiClient) -> None:
    title = f"Sneaky {uid()}"
    response = api.post(
        "/articles",
        token=api.register().token,
        json_body={
            "article": new_article(
                title=title,
                slug="chosen-by-the-client",
                favoritesCount=99,
                favorited=True,
                author={"username": "someone-else"},
                createdAt="2000-01-01T00:00:00.000Z",
            ),
            "extra": True,
        },
    )
    assert response.status_code == 201, response.text
    article = response.json()["article"]
    assert article["slug"] == title.lower().replace(" ", "-")
    assert article["favoritesCount"] == 0
    assert article["favorited"] is False
    assert article["author"]["username"] != "someone-else"
    assert not article["createdAt"].startswith("2000-")


@pytest.mark.operation("CreateArticle", "GetArticle")
@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Crème Brûlée! {u}", "creme-brulee-{u}"),
        ("Hello, World {u}", "hello-world-{u}"),
        ("你好 世界 {u}", "你好-世界-{u}"),
        ("MiXeD CaSe {u}", "mixed-case-{u}"),
        ("Ünïcödé Ñame {u}", "unicode-name-{u}"),
        ("snake_case__and---dashes {u}", "snake-case-and-dashes-{u}"),
        ("--Leading and trailing-- {u} !!!", "leading-and-trailing-{u}"),
        ("C++ & C# {u}", "c-c-{u}"),
        ("emoji \N{PARTY POPPER} party {u}", "emoji-party-{u}"),
        ("\uff26\uff55\uff4c\uff4c \uff57\uff49\uff44\uff54\uff48 {u}", "full-width-{u}"),
        ("Ελληνικά Κείμενα {u}", "ελληνικα-κειμενα-{u}"),
    ],
    ids=[
        "accents", "punctuation", "cjk", "case", "umlauts", "underscores", "edges", "symbols",
        "emoji", "nfkd-full-width", "greek",
    ],
)  # fmt: skip
def test_slug_is_derived_from_the_title(api: ApiClient, title: str, slug: str) -> None:
    u = uid()
    article = create(api, api.register(), title=title.format(u=u))
    assert article["slug"] == slug.format(u=u)
    assert fetch(api, article["slug"])["title"] == title.format(u=u)


@pytest.mark.operation("CreateArticle", "GetArticle")
def test_non_ascii_slug_is_reachable_through_a_percent_encoded_url(api: ApiClient) -> None:
    u = uid()
    article = create(api, api.register(), title=f"你好 世界 {u}")
    assert article["slug"] == f"你好-世界-{u}"
    encoded = f"/articles/%E4%BD%A0%E5%A5%BD-%E4%B8%96%E7%95%8C-{u}"
    response = api.get(encoded)
    assert response.status_code == 200, response.text
    assert response.json()["article"]["slug"] == f"你好-世界-{u}"


@pytest.mark.operation("CreateArticle", "GetArticle")
@pytest.mark.parametrize(
    "title",
    ["!!!", "¿¡?!", "___", "\N{PARTY POPPER} \N{PARTY POPPER}", "\u0301\u0308 -"],
    ids=["bangs", "inverted", "underscores", "emoji", "combining-marks"],
)
def test_title_without_letters_or_digits_gets_an_article_slug(api: ApiClient, title: str) -> None:
    article = create(api, api.register(), title=title)
    assert re.fullmatch(r"article(-[2-9]|-[1-9]\d+)?", article["slug"]), article
    assert fetch(api, article["slug"])["title"] == title.strip()


@pytest.mark.operation("CreateArticle", "GetArticle", "GetArticlesFeed")
def test_an_article_titled_feed_does_not_hide_behind_the_feed_route(api: ApiClient) -> None:
    author = api.register()
    article = create(api, author, title="Feed")
    assert re.fullmatch(r"feed-[1-9]\d*", article["slug"]), article["slug"]
    assert fetch(api, article["slug"])["title"] == "Feed"
    assert api.get("/articles/feed", token=author.token).json()["articlesCount"] == 0
    renamed = update(api, author, article["slug"], title="feed")
    assert renamed.status_code == 200
    assert renamed.json()["article"]["slug"] != "feed"


@pytest.mark.operation("CreateArticle")
def test_duplicate_titles_get_numbered_slugs(api: ApiClient) -> None:
    author = api.register()
    u = uid()
    first = create(api, author, title=f"Hello, World {u}")
    second = create(api, author, title=f"Hello, World {u}")
    third = create(api, api.register(), title=f"hello world {u}!")
    assert [first["slug"], second["slug"], third["slug"]] == [
        f"hello-world-{u}",
        f"hello-world-{u}-2",
        f"hello-world-{u}-3",
    ]
    assert fetch(api, second["slug"])["description"] == second["description"]


@pytest.mark.operation("CreateArticle")
def test_slug_is_cut_to_100_characters_without_a_trailing_dash(api: ApiClient) -> None:
    u = uid()
    # 12 + 87 = 99 characters, then a space that becomes the 100th character of the slug.
    title = u + "a" * 87 + " tail of the title"
    article = create(api, api.register(), title=title)
    assert article["slug"] == u + "a" * 87
    assert article["title"] == title


@pytest.mark.operation("CreateArticle")
def test_numbered_suffix_goes_after_the_cut_slug(api: ApiClient) -> None:
    author = api.register()
    title = uid() + "x" * 150
    first = create(api, author, title=title)
    second = create(api, author, title=title)
    assert first["slug"] == title[:100]
    assert second["slug"] == title[:100] + "-2"


@pytest.mark.operation("CreateArticle", "DeleteArticle")
def test_slug_of_a_deleted_article_is_free_again(api: ApiClient) -> None:
    author = api.register()
    u = uid()
    first = create(api, author, title=f"Reused {u}")
    assert api.delete(article_path(first["slug"]), token=author.token).status_code == 204
    again = create(api, author, title=f"Reused {u}")
    assert again["slug"] == f"reused-{u}"


@pytest.mark.operation("CreateArticle")
@pytest.mark.parametrize("field", ["title", "description", "body"])
@pytest.mark.parametrize("value", ["", "   ", "\n\t", None, "missing"])
def test_create_requires_title_description_and_body(
    api: ApiClient, field: str, value: str | None
) -> None:
    article = new_article()
    if value == "missing":
        del article[field]
    else:
        article[field] = value
    response = api.post("/articles", token=api.register().token, json_body={"article": article})
    assert_error(response, 422, field, "can't be blank")


@pytest.mark.operation("CreateArticle")
def test_create_reports_every_blank_field_at_once(api: ApiClient) -> None:
    response = api.post("/articles", token=api.register().token, json_body={"article": {}})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "title": ["can't be blank"],
            "description": ["can't be blank"],
            "body": ["can't be blank"],
        }
    }


@pytest.mark.operation("CreateArticle")
def test_create_reports_different_failures_together(api: ApiClient) -> None:
    response = api.post(
        "/articles",
        token=api.register().token,
        json_body={"article": {"title": 7, "description": "d" * 1001, "tagList": None}},
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "title": ["must be a string"],
            "description": ["is too long (maximum is 1000 characters)"],
            "body": ["can't be blank"],
            "tagList": ["must be a list of strings"],
        }
    }


@pytest.mark.operation("CreateArticle")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 42),
        ("title", {"text": "x"}),
        ("description", True),
        ("description", 1.5),
        ("body", ["a body"]),
        ("body", 0),
    ],
)
def test_create_rejects_non_string_fields(api: ApiClient, field: str, value: Any) -> None:
    response = api.post(
        "/articles",
        token=api.register().token,
        json_body={"article": new_article(**{field: value})},
    )
    assert_error(response, 422, field, "must be a string")


@pytest.mark.operation("CreateArticle")
@pytest.mark.parametrize(
    ("field", "length", "maximum"),
    [("title", 256, 255), ("description", 1001, 1000), ("body", 65536, 65535)],
)
def test_create_rejects_over_long_fields(
    api: ApiClient, field: str, length: int, maximum: int
) -> None:
    value = (uid() + "x" * length)[:length]
    response = api.post(
        "/articles",
        token=api.register().token,
        json_body={"article": new_article(**{field: value})},
    )
    assert_error(response, 422, field, f"is too long (maximum is {maximum} characters)")


@pytest.mark.operation("CreateArticle")
def test_create_accepts_fields_at_their_maximum_length(api: ApiClient) -> None:
    title = (uid() + "t" * 255)[:255]
    article = create(api, api.register(), title=title, description="d" * 1000, body="b" * 65535)
    assert article["title"] == title
    assert len(article["description"]) == 1000
    assert len(article["body"]) == 65535


@pytest.mark.operation("CreateArticle")
def test_create_counts_characters_not_bytes(api: ApiClient) -> None:
    title = uid() + "é" * 243
    article = create(api, api.register(), title=title, description="ü" * 1000)
    assert article["title"] == title
    assert article["description"] == "ü" * 1000


@pytest.mark.operation("CreateArticle")
def test_create_checks_title_length_after_trimming(api: ApiClient) -> None:
    title = (uid() + "t" * 255)[:255]
    article = create(api, api.register(), title=f"   {title}   ")
    assert article["title"] == title


@pytest.mark.operation("CreateArticle")
@pytest.mark.parametrize(
    "tag_list",
    [None, "one,two", {"tag": "x"}, 5, [1], ["ok", None], ["ok", ["nested"]], [True]],
    ids=["null", "string", "object", "number", "int-item", "null-item", "list-item", "bool-item"],
)
def test_create_rejects_a_tag_list_that_is_not_a_list_of_strings(
    api: ApiClient, tag_list: Any
) -> None:
    response = api.post(
        "/articles",
        token=api.register().token,
        json_body={"article": new_article(tagList=tag_list)},
    )
    assert_error(response, 422, "tagList", "must be a list of strings")


@pytest.mark.operation("CreateArticle")
@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_create_rejects_blank_tags(api: ApiClient, blank: str) -> None:
    response = api.post(
        "/articles",
        token=api.register().token,
        json_body={"article": new_article(tagList=["fine", blank])},
    )
    assert_error(response, 422, "tagList", "can't contain blank tags")


@pytest.mark.operation("CreateArticle")
def test_create_rejects_more_than_20_tags(api: ApiClient) -> None:
    u = uid()
    response = api.post(
        "/articles",
        token=api.register().token,
        json_body={"article": new_article(tagList=[f"t{n}-{u}" for n in range(21)])},
    )
    assert_error(response, 422, "tagList", "is too long (maximum is 20 tags)")


@pytest.mark.operation("CreateArticle")
def test_create_accepts_exactly_20_tags(api: ApiClient) -> None:
    u = uid()
    tags = [f"t{n:02}-{u}" for n in range(20)]
    article = create(api, api.register(), tagList=tags)
    assert article["tagList"] == tags


@pytest.mark.operation("CreateArticle")
def test_create_rejects_a_tag_over_64_characters(api: ApiClient) -> None:
    response = api.post(
        "/articles",
        token=api.register().token,
        json_body={"article": new_article(tagList=["short", (uid() + "g" * 64)[:65]])},
    )
    assert_error(response, 422, "tagList", "is too long (maximum is 64 characters)")


@pytest.mark.operation("CreateArticle")
def test_create_accepts_a_64_character_tag(api: ApiClient) -> None:
    tag = (uid() + "g" * 64)[:64]
    article = create(api, api.register(), tagList=[tag])
    assert article["tagList"] == [tag]


@pytest.mark.operation("CreateArticle")
@pytest.mark.parametrize(
    "payload",
    [{}, {"articles": new_article()}, {"article": None}, [], "article", None],
    ids=["empty", "wrong-key", "null-envelope", "list", "string", "null"],
)
def test_create_needs_the_article_envelope(api: ApiClient, payload: Any) -> None:
    response = api.post(
        "/articles",
        token=api.register().token,
        content=json.dumps(payload),
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 422, "article", "can't be blank")


@pytest.mark.operation("CreateArticle")
@pytest.mark.parametrize("envelope", ["text", 3, ["title"], True])
def test_create_envelope_must_be_an_object(api: ApiClient, envelope: Any) -> None:
    response = api.post("/articles", token=api.register().token, json_body={"article": envelope})
    assert_error(response, 422, "article", "must be an object")


@pytest.mark.operation("CreateArticle")
def test_create_without_a_token_is_401(api: ApiClient) -> None:
    response = api.post("/articles", json_body={"article": new_article()})
    assert_error(response, 401, "token", "is missing")
    assert response.headers["www-authenticate"].lower().startswith("token")


@pytest.mark.operation("CreateArticle")
def test_create_with_an_invalid_token_is_401(api: ApiClient) -> None:
    response = api.post("/articles", token="not.a.jwt", json_body={"article": new_article()})
    assert_error(response, 401, "token", "is invalid")


@pytest.mark.operation("CreateArticle")
def test_create_without_a_token_and_with_broken_json_is_401_or_400(api: ApiClient) -> None:
    """Either failure may be reported first (the spec's one freedom in the check order)."""
    response = api.post(
        "/articles", content="{not json", headers={"Content-Type": "application/json"}
    )
    assert_one_error_of(
        response, (401, "token", "is missing"), (400, "request", "is not valid JSON")
    )


@pytest.mark.operation("CreateArticle")
def test_create_checks_the_token_before_validating_the_body(api: ApiClient) -> None:
    response = api.post("/articles", json_body={"article": {"title": 1}})
    assert_error(response, 401, "token", "is missing")


@pytest.mark.operation("CreateArticle")
def test_create_with_malformed_json_is_400(api: ApiClient) -> None:
    response = api.post(
        "/articles",
        token=api.register().token,
        content='{"article": {"title": ',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "request", "is not valid JSON")


@pytest.mark.operation("CreateArticle")
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_create_without_json_content_type_is_415(api: ApiClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = '{"article": {"title": "t", "description": "d", "body": "b"}}'
    response = api.post("/articles", token=api.register().token, content=body, headers=headers)
    assert_error(response, 415, "request", "must be application/json")


@pytest.mark.operation("CreateArticle")
def test_create_with_a_body_over_one_mebibyte_is_413(api: ApiClient) -> None:
    response = api.post(
        "/articles",
        token=api.register().token,
        json_body={"article": new_article(body="x" * (1024 * 1024 + 1))},
    )
    assert_error(response, 413, "request", "is too large")


@pytest.mark.operation("CreateArticle", "GetArticles")
def test_a_rejected_create_stores_nothing(api: ApiClient) -> None:
    author = api.register()
    response = api.post(
        "/articles",
        token=author.token,
        json_body={"article": new_article(tagList=["x" * 65])},
    )
    assert response.status_code == 422
    page = listing(api, author=author.username)
    assert page == {"articles": [], "articlesCount": 0}


# GetArticle


@pytest.mark.operation("GetArticle")
def test_get_article_anonymously_has_no_viewer_flags(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    slug = create(api, author)["slug"]
    follow(api, fan, author)
    favorite(api, fan, slug)
    article = fetch(api, slug)
    assert set(article) == ARTICLE_KEYS
    assert article["body"] == "Some body text"
    assert article["favorited"] is False
    assert article["favoritesCount"] == 1
    assert article["author"]["following"] is False


@pytest.mark.operation("GetArticle")
def test_get_article_flags_are_relative_to_the_caller(api: ApiClient) -> None:
    author, fan, stranger = api.register(), api.register(), api.register()
    slug = create(api, author)["slug"]
    follow(api, fan, author)
    favorite(api, fan, slug)
    seen_by_fan = fetch(api, slug, token=fan.token)
    seen_by_stranger = fetch(api, slug, token=stranger.token)
    seen_by_author = fetch(api, slug, token=author.token)
    assert (seen_by_fan["favorited"], seen_by_fan["author"]["following"]) == (True, True)
    assert (seen_by_stranger["favorited"], seen_by_stranger["author"]["following"]) == (
        False,
        False,
    )
    assert (seen_by_author["favorited"], seen_by_author["author"]["following"]) == (False, False)
    assert {a["favoritesCount"] for a in (seen_by_fan, seen_by_stranger, seen_by_author)} == {1}


@pytest.mark.operation("GetArticle")
def test_get_unknown_article_is_404(api: ApiClient) -> None:
    response = api.get(f"/articles/no-such-article-{uid()}")
    assert_error(response, 404, "article", "not found")


@pytest.mark.operation("GetArticle")
def test_get_article_slug_is_case_sensitive(api: ApiClient) -> None:
    slug = create(api, api.register(), title=f"Cased {uid()}")["slug"]
    response = api.get(article_path(slug.upper()))
    assert_error(response, 404, "article", "not found")


@pytest.mark.operation("GetArticle")
@pytest.mark.parametrize("header", ["Token not.a.jwt", "Token", "Basic abc"])
def test_get_article_with_an_invalid_token_is_401_not_anonymous(
    api: ApiClient, header: str
) -> None:
    slug = create(api, api.register())["slug"]
    response = api.get(article_path(slug), headers={"Authorization": header})
    assert_error(response, 401, "token", "is invalid")
    assert response.headers["www-authenticate"].lower().startswith("token")


@pytest.mark.operation("GetArticle")
def test_get_article_with_an_expired_token_is_401(api: ApiClient, secret_key: str) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    response = api.get(article_path(slug), token=expired_token(secret_key, author.token))
    assert_error(response, 401, "token", "is invalid")


@pytest.mark.operation("GetArticle")
def test_get_unknown_article_with_an_invalid_token_is_401_first(api: ApiClient) -> None:
    response = api.get(f"/articles/no-such-article-{uid()}", token="garbage")
    assert_error(response, 401, "token", "is invalid")


# UpdateArticle


@pytest.mark.operation("UpdateArticle")
def test_update_body_keeps_everything_else(api: ApiClient) -> None:
    author = api.register()
    created = create(api, author, tagList=["b", "a"])
    response = update(api, author, created["slug"], body="Updated body content")
    assert response.status_code == 200, response.text
    updated = response.json()["article"]
    assert updated["body"] == "Updated body content"
    for key in ("slug", "title", "description", "tagList", "createdAt", "author"):
        assert updated[key] == created[key], key
    assert fetch(api, created["slug"])["body"] == "Updated body content"


@pytest.mark.operation("UpdateArticle")
def test_update_keeps_created_at_and_moves_updated_at(api: ApiClient) -> None:
    author = api.register()
    created = create(api, author)
    time.sleep(0.01)
    updated = update(api, author, created["slug"], description="changed").json()["article"]
    assert TIMESTAMP.match(updated["updatedAt"])
    assert updated["createdAt"] == created["createdAt"]
    assert updated["updatedAt"] != created["updatedAt"]
    assert parse_timestamp(updated["updatedAt"]) > parse_timestamp(created["updatedAt"])
    stored = fetch(api, created["slug"])
    assert (stored["createdAt"], stored["updatedAt"]) == (
        created["createdAt"],
        updated["updatedAt"],
    )


@pytest.mark.operation("UpdateArticle")
def test_an_empty_update_changes_nothing_but_updated_at(api: ApiClient) -> None:
    author = api.register()
    created = create(api, author, tagList=["kept"])
    time.sleep(0.01)
    response = update(api, author, created["slug"])
    assert response.status_code == 200, response.text
    updated = response.json()["article"]
    assert {k: v for k, v in updated.items() if k != "updatedAt"} == {
        k: v for k, v in created.items() if k != "updatedAt"
    }
    assert updated["updatedAt"] > created["updatedAt"]


@pytest.mark.operation("UpdateArticle")
def test_update_trims_title_and_description(api: ApiClient) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    title = f"Trimmed {uid()}"
    updated = update(api, author, slug, title=f"  {title} ", description=" new ").json()["article"]
    assert (updated["title"], updated["description"]) == (title, "new")


@pytest.mark.operation("UpdateArticle", "GetArticle")
def test_new_title_gives_a_new_slug_and_the_old_one_is_gone(api: ApiClient) -> None:
    author = api.register()
    u = uid()
    old = create(api, author, title=f"Before {u}")["slug"]
    response = update(api, author, old, title=f"After {u}")
    assert response.status_code == 200, response.text
    assert response.json()["article"]["slug"] == f"after-{u}"
    assert fetch(api, f"after-{u}")["title"] == f"After {u}"
    assert_error(api.get(article_path(old)), 404, "article", "not found")


@pytest.mark.operation("UpdateArticle")
def test_new_title_with_the_same_slug_keeps_the_slug(api: ApiClient) -> None:
    author = api.register()
    u = uid()
    slug = create(api, author, title=f"Same Base {u}")["slug"]
    updated = update(api, author, slug, title=f"same   base {u}!").json()["article"]
    assert updated["slug"] == f"same-base-{u}"
    assert updated["title"] == f"same   base {u}!"


@pytest.mark.operation("UpdateArticle")
def test_an_article_does_not_collide_with_its_own_slug(api: ApiClient) -> None:
    author = api.register()
    u = uid()
    create(api, author, title=f"Twin {u}")
    second = create(api, author, title=f"Twin {u}")
    assert second["slug"] == f"twin-{u}-2"
    updated = update(api, author, second["slug"], title=f"TWIN {u}").json()["article"]
    assert updated["slug"] == f"twin-{u}-2"


@pytest.mark.operation("UpdateArticle")
def test_new_title_that_collides_gets_a_numbered_slug(api: ApiClient) -> None:
    author = api.register()
    u = uid()
    create(api, author, title=f"Taken {u}")
    other = create(api, author, title=f"Other {u}")
    updated = update(api, author, other["slug"], title=f"Taken {u}").json()["article"]
    assert updated["slug"] == f"taken-{u}-2"
    assert fetch(api, f"taken-{u}")["description"] == "A description"


@pytest.mark.operation("UpdateArticle")
def test_update_without_tag_list_keeps_the_tags(api: ApiClient) -> None:
    author = api.register()
    slug = create(api, author, tagList=["keep-a", "keep-b"])["slug"]
    updated = update(api, author, slug, body="Body without touching tags").json()["article"]
    assert updated["tagList"] == ["keep-a", "keep-b"]
    assert fetch(api, slug)["tagList"] == ["keep-a", "keep-b"]


@pytest.mark.operation("UpdateArticle")
def test_update_with_an_empty_tag_list_removes_the_tags(api: ApiClient) -> None:
    author = api.register()
    slug = create(api, author, tagList=["gone-a", "gone-b"])["slug"]
    updated = update(api, author, slug, tagList=[]).json()["article"]
    assert updated["tagList"] == []
    assert fetch(api, slug)["tagList"] == []


@pytest.mark.operation("UpdateArticle")
def test_update_replaces_the_tags_sorted_and_deduplicated(api: ApiClient) -> None:
    author = api.register()
    slug = create(api, author, tagList=["old"])["slug"]
    updated = update(api, author, slug, tagList=["zz", " mm ", "zz", "aa"]).json()["article"]
    assert updated["tagList"] == ["aa", "mm", "zz"]
    assert fetch(api, slug)["tagList"] == ["aa", "mm", "zz"]


@pytest.mark.operation("UpdateArticle")
@pytest.mark.parametrize(
    "tag_list", [None, "tag", [3], ["ok", None]], ids=["null", "string", "int-item", "null-item"]
)
def test_update_rejects_a_tag_list_that_is_not_a_list_of_strings(
    api: ApiClient, tag_list: Any
) -> None:
    author = api.register()
    slug = create(api, author, tagList=["stays"])["slug"]
    response = update(api, author, slug, tagList=tag_list)
    assert_error(response, 422, "tagList", "must be a list of strings")
    assert fetch(api, slug)["tagList"] == ["stays"]


@pytest.mark.operation("UpdateArticle")
@pytest.mark.parametrize(
    ("tag_list", "message"),
    [
        (["ok", " "], "can't contain blank tags"),
        ([f"t{n}" for n in range(21)], "is too long (maximum is 20 tags)"),
        (["t" * 65], "is too long (maximum is 64 characters)"),
    ],
    ids=["blank", "21-tags", "65-chars"],
)
def test_update_applies_the_tag_rules(api: ApiClient, tag_list: list[str], message: str) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    assert_error(update(api, author, slug, tagList=tag_list), 422, "tagList", message)


@pytest.mark.operation("UpdateArticle")
@pytest.mark.parametrize("field", ["title", "description", "body"])
@pytest.mark.parametrize("value", [None, "", "  "])
def test_update_cannot_blank_a_field(api: ApiClient, field: str, value: str | None) -> None:
    author = api.register()
    created = create(api, author)
    response = update(api, author, created["slug"], **{field: value})
    assert_error(response, 422, field, "can't be blank")
    assert fetch(api, created["slug"])[field] == created[field]


@pytest.mark.operation("UpdateArticle")
@pytest.mark.parametrize(
    ("field", "value"), [("title", 1), ("description", ["d"]), ("body", {"b": 1}), ("body", False)]
)
def test_update_rejects_non_string_fields(api: ApiClient, field: str, value: Any) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    assert_error(update(api, author, slug, **{field: value}), 422, field, "must be a string")


@pytest.mark.operation("UpdateArticle")
@pytest.mark.parametrize(
    ("field", "length", "maximum"),
    [("title", 256, 255), ("description", 1001, 1000), ("body", 65536, 65535)],
)
def test_update_rejects_over_long_fields(
    api: ApiClient, field: str, length: int, maximum: int
) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    response = update(api, author, slug, **{field: "y" * length})
    assert_error(response, 422, field, f"is too long (maximum is {maximum} characters)")


@pytest.mark.operation("UpdateArticle")
def test_update_reports_every_failing_field(api: ApiClient) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    response = update(api, author, slug, title=None, description=5, body="", tagList=None)
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "title": ["can't be blank"],
            "description": ["must be a string"],
            "body": ["can't be blank"],
            "tagList": ["must be a list of strings"],
        }
    }


@pytest.mark.operation("UpdateArticle")
def test_a_failed_update_changes_nothing(api: ApiClient) -> None:
    author = api.register()
    created = create(api, author, tagList=["same"])
    response = update(api, author, created["slug"], title=f"New {uid()}", body="new", tagList=[""])
    assert_error(response, 422, "tagList", "can't contain blank tags")
    assert fetch(api, created["slug"]) == created


@pytest.mark.operation("UpdateArticle")
@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "can't be blank"),
        ({"article": None}, "can't be blank"),
        ({"article": "x"}, "must be an object"),
    ],
    ids=["missing", "null", "string"],
)
def test_update_needs_the_article_envelope(api: ApiClient, payload: Any, message: str) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    response = api.put(article_path(slug), token=author.token, json_body=payload)
    assert_error(response, 422, "article", message)


@pytest.mark.operation("UpdateArticle")
def test_only_the_author_may_update_and_the_article_stays_unchanged(api: ApiClient) -> None:
    author, other = api.register(), api.register()
    created = create(api, author, tagList=["mine"])
    response = update(api, other, created["slug"], body="hijacked", title="Hijacked", tagList=[])
    assert_error(response, 403, "article", "forbidden")
    assert fetch(api, created["slug"]) == created


@pytest.mark.operation("UpdateArticle")
def test_update_of_an_unknown_article_is_404(api: ApiClient) -> None:
    response = update(api, api.register(), f"no-such-article-{uid()}", body="test")
    assert_error(response, 404, "article", "not found")


@pytest.mark.operation("UpdateArticle")
def test_update_validates_before_looking_up_the_article(api: ApiClient) -> None:
    response = update(api, api.register(), f"no-such-article-{uid()}", title="")
    assert_error(response, 422, "title", "can't be blank")


@pytest.mark.operation("UpdateArticle")
def test_update_by_a_non_author_validates_before_refusing(api: ApiClient) -> None:
    author, other = api.register(), api.register()
    slug = create(api, author)["slug"]
    response = update(api, other, slug, body="")
    assert_error(response, 422, "body", "can't be blank")


@pytest.mark.operation("UpdateArticle")
def test_update_without_a_token_is_401(api: ApiClient) -> None:
    slug = create(api, api.register())["slug"]
    response = api.put(article_path(slug), json_body={"article": {"body": "test"}})
    assert_error(response, 401, "token", "is missing")
    assert response.headers["www-authenticate"].lower().startswith("token")


@pytest.mark.operation("UpdateArticle")
def test_update_with_an_invalid_token_is_401(api: ApiClient) -> None:
    slug = create(api, api.register())["slug"]
    response = api.put(article_path(slug), token="x.y.z", json_body={"article": {"body": "t"}})
    assert_error(response, 401, "token", "is invalid")


@pytest.mark.operation("UpdateArticle")
def test_update_with_malformed_json_is_400(api: ApiClient) -> None:
    author = api.register()
    created = create(api, author)
    response = api.put(
        article_path(created["slug"]),
        token=author.token,
        content='{"article": ',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "request", "is not valid JSON")
    assert fetch(api, created["slug"]) == created


@pytest.mark.operation("UpdateArticle")
def test_update_without_json_content_type_is_415(api: ApiClient) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    response = api.put(
        article_path(slug),
        token=author.token,
        content='{"article": {"body": "x"}}',
        headers={"Content-Type": "text/plain"},
    )
    assert_error(response, 415, "request", "must be application/json")


@pytest.mark.operation("UpdateArticle")
def test_update_answers_with_the_authors_view_of_favorites(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    slug = create(api, author)["slug"]
    favorite(api, fan, slug)
    updated = update(api, author, slug, body="new").json()["article"]
    assert (updated["favorited"], updated["favoritesCount"]) == (False, 1)
    favorite(api, author, slug)
    updated = update(api, author, slug, body="newer").json()["article"]
    assert (updated["favorited"], updated["favoritesCount"]) == (True, 2)


# DeleteArticle


@pytest.mark.operation("DeleteArticle", "GetArticle")
def test_delete_answers_204_with_no_body_and_the_article_is_gone(api: ApiClient) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    response = api.delete(article_path(slug), token=author.token)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(api.get(article_path(slug)), 404, "article", "not found")
    assert listing(api, author=author.username) == {"articles": [], "articlesCount": 0}


@pytest.mark.operation("DeleteArticle")
def test_delete_removes_only_that_article(api: ApiClient) -> None:
    author = api.register()
    doomed = create(api, author)["slug"]
    kept = create(api, author)["slug"]
    assert api.delete(article_path(doomed), token=author.token).status_code == 204
    assert slugs(listing(api, author=author.username)) == [kept]


@pytest.mark.operation("DeleteArticle")
def test_delete_takes_the_articles_comments(api: ApiClient) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    response = api.post(
        f"{article_path(slug)}/comments", token=author.token, json_body={"comment": {"body": "hi"}}
    )
    assert response.status_code == 201, response.text
    assert api.delete(article_path(slug), token=author.token).status_code == 204
    assert_error(api.get(f"{article_path(slug)}/comments"), 404, "article", "not found")


@pytest.mark.operation("DeleteArticle", "GetArticles")
def test_delete_takes_the_articles_favorites(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    doomed = create(api, author)["slug"]
    kept = create(api, author)["slug"]
    favorite(api, fan, doomed)
    favorite(api, fan, kept)
    assert listing(api, favorited=fan.username)["articlesCount"] == 2
    assert api.delete(article_path(doomed), token=author.token).status_code == 204
    page = listing(api, favorited=fan.username)
    assert slugs(page) == [kept]
    assert page["articlesCount"] == 1


@pytest.mark.operation("DeleteArticle")
def test_only_the_author_may_delete(api: ApiClient) -> None:
    author, other = api.register(), api.register()
    created = create(api, author)
    response = api.delete(article_path(created["slug"]), token=other.token)
    assert_error(response, 403, "article", "forbidden")
    assert fetch(api, created["slug"]) == created


@pytest.mark.operation("DeleteArticle")
def test_delete_of_an_unknown_article_is_404(api: ApiClient) -> None:
    response = api.delete(f"/articles/no-such-article-{uid()}", token=api.register().token)
    assert_error(response, 404, "article", "not found")


@pytest.mark.operation("DeleteArticle")
def test_deleting_twice_is_404_the_second_time(api: ApiClient) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    assert api.delete(article_path(slug), token=author.token).status_code == 204
    assert_error(api.delete(article_path(slug), token=author.token), 404, "article", "not found")


@pytest.mark.operation("DeleteArticle")
def test_delete_without_a_token_is_401(api: ApiClient) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    response = api.delete(article_path(slug))
    assert_error(response, 401, "token", "is missing")
    assert response.headers["www-authenticate"].lower().startswith("token")
    assert fetch(api, slug)["slug"] == slug


@pytest.mark.operation("DeleteArticle")
def test_delete_with_an_invalid_token_is_401(api: ApiClient) -> None:
    slug = create(api, api.register())["slug"]
    assert_error(api.delete(article_path(slug), token="nope"), 401, "token", "is invalid")


# GetArticles


@pytest.mark.operation("GetArticles")
def test_list_items_are_previews_without_a_body(api: ApiClient) -> None:
    author = api.register()
    create(api, author, tagList=["b", "a"])
    page = listing(api, author=author.username)
    assert page["articlesCount"] == 1
    (item,) = page["articles"]
    assert set(item) == PREVIEW_KEYS
    assert "body" not in item
    assert item["tagList"] == ["a", "b"]
    assert item["author"]["username"] == author.username


@pytest.mark.operation("GetArticles")
def test_list_item_matches_the_single_article_except_for_the_body(api: ApiClient) -> None:
    author, reader = api.register(), api.register()
    slug = create(api, author, tagList=["x"])["slug"]
    favorite(api, reader, slug)
    (item,) = listing(api, reader.token, author=author.username)["articles"]
    single = fetch(api, slug, token=reader.token)
    del single["body"]
    assert item == single


@pytest.mark.operation("GetArticles")
def test_author_and_favorited_filters_match_any_spelling_of_the_name(api: ApiClient) -> None:
    """The filters find users as /profiles/{username} does (by the name's NFKC case fold)."""
    author = api.register(username=f"Writer_{uid()}")
    fan = api.register(username=f"Reader_{uid()}")
    slug = create(api, author)["slug"]
    favorite(api, fan, slug)
    wide = "".join(
        chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in author.username
    )
    for spelling in (author.username.lower(), author.username.upper(), wide):
        assert slugs(listing(api, author=spelling)) == [slug], spelling
    assert slugs(listing(api, favorited=fan.username.swapcase())) == [slug]
    assert listing(api, author=author.username + "\u200b")["articlesCount"] == 0


@pytest.mark.operation("GetArticles")
def test_list_is_newest_first(api: ApiClient) -> None:
    author = api.register()
    created = [create(api, author)["slug"] for _ in range(4)]
    assert slugs(listing(api, author=author.username)) == created[::-1]


@pytest.mark.operation("GetArticles")
def test_unfiltered_list_is_ordered_by_creation_time(api: ApiClient) -> None:
    create(api, api.register())
    page = listing(api, limit=100)
    assert page["articlesCount"] >= len(page["articles"]) >= 1
    times = [article["createdAt"] for article in page["articles"]]
    assert times == sorted(times, reverse=True)


@pytest.mark.operation("GetArticles")
def test_list_shows_a_new_article_straight_away(api: ApiClient) -> None:
    before = listing(api)["articlesCount"]
    slug = create(api, api.register())["slug"]
    after = listing(api, limit=100)
    assert slug in slugs(after)
    assert after["articlesCount"] >= before + 1


@pytest.mark.operation("GetArticles")
def test_list_timestamps_have_milliseconds(api: ApiClient) -> None:
    author = api.register()
    create(api, author)
    (item,) = listing(api, author=author.username)["articles"]
    for key in ("createdAt", "updatedAt"):
        assert TIMESTAMP.match(item[key]), item[key]


@pytest.mark.operation("GetArticles")
def test_filter_by_tag(api: ApiClient) -> None:
    author = api.register()
    tag = f"tag-{uid()}"
    tagged = create(api, author, tagList=[tag, "other"])["slug"]
    create(api, author, tagList=["other"])
    create(api, author)
    page = listing(api, tag=tag)
    assert slugs(page) == [tagged]
    assert page["articlesCount"] == 1
    assert tag in page["articles"][0]["tagList"]


@pytest.mark.operation("GetArticles")
def test_filter_by_a_trimmed_tag(api: ApiClient) -> None:
    tag = f"spaced-{uid()}"
    slug = create(api, api.register(), tagList=[f"  {tag}  "])["slug"]
    assert slugs(listing(api, tag=tag)) == [slug]


@pytest.mark.operation("GetArticles")
def test_filter_by_author(api: ApiClient) -> None:
    author, other = api.register(), api.register()
    mine = [create(api, author)["slug"] for _ in range(2)]
    create(api, other)
    page = listing(api, author=author.username)
    assert slugs(page) == mine[::-1]
    assert page["articlesCount"] == 2
    assert {a["author"]["username"] for a in page["articles"]} == {author.username}


@pytest.mark.operation("GetArticles")
def test_filter_by_favorited(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    liked = create(api, author)["slug"]
    create(api, author)
    favorite(api, fan, liked)
    page = listing(api, favorited=fan.username)
    assert slugs(page) == [liked]
    assert page["articlesCount"] == 1
    assert page["articles"][0]["favoritesCount"] == 1


@pytest.mark.operation("GetArticles")
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"tag": True, "author": True}, ["x2", "x1"]),
        ({"tag": True, "favorited": True}, ["y1", "x1"]),
        ({"author": True, "favorited": True}, ["x3", "x1"]),
        ({"tag": True, "author": True, "favorited": True}, ["x1"]),
    ],
    ids=["tag+author", "tag+favorited", "author+favorited", "all-three"],
)
def test_filters_combine_with_and(
    api: ApiClient, filters: dict[str, bool], expected: list[str]
) -> None:
    x, y, fan = api.register(), api.register(), api.register()
    tag = f"and-{uid()}"
    made = {
        "x1": create(api, x, tagList=[tag])["slug"],
        "x2": create(api, x, tagList=[tag])["slug"],
        "x3": create(api, x)["slug"],
        "y1": create(api, y, tagList=[tag])["slug"],
    }
    for name in ("x1", "x3", "y1"):
        favorite(api, fan, made[name])
    values = {"tag": tag, "author": x.username, "favorited": fan.username}
    page = listing(api, **{key: values[key] for key in filters})
    assert slugs(page) == [made[name] for name in expected]
    assert page["articlesCount"] == len(expected)


@pytest.mark.operation("GetArticles")
@pytest.mark.parametrize("key", ["tag", "author", "favorited"])
def test_unknown_filter_value_gives_an_empty_list(api: ApiClient, key: str) -> None:
    assert listing(api, **{key: f"nobody-{uid()}"}) == {"articles": [], "articlesCount": 0}


@pytest.mark.operation("GetArticles")
def test_filters_match_exactly(api: ApiClient) -> None:
    """Tags exactly; usernames by their key (another case finds them, see the spelling test)."""
    author = api.register()
    tag = f"exact-{uid()}"
    create(api, author, tagList=[tag])
    for params in (
        {"tag": tag[:-1]},
        {"tag": tag.upper()},
        {"author": author.username[:-1]},
        {"favorited": author.username},
    ):
        assert listing(api, **params)["articlesCount"] == 0, params


@pytest.mark.operation("GetArticles")
def test_user_without_favorites_gives_an_empty_favorited_list(api: ApiClient) -> None:
    author = api.register()
    create(api, author)
    assert listing(api, favorited=author.username) == {"articles": [], "articlesCount": 0}


@pytest.mark.operation("GetArticles")
def test_limit_defaults_to_20(api: ApiClient) -> None:
    author = api.register()
    created = [create(api, author)["slug"] for _ in range(21)]
    page = listing(api, author=author.username)
    assert slugs(page) == created[::-1][:20]
    assert page["articlesCount"] == 21


@pytest.mark.operation("GetArticles")
def test_articles_count_is_the_total_not_the_page_length(api: ApiClient) -> None:
    author = api.register()
    created = [create(api, author)["slug"] for _ in range(3)]
    page = listing(api, author=author.username, limit=1)
    assert slugs(page) == [created[-1]]
    assert page["articlesCount"] == 3


@pytest.mark.operation("GetArticles")
def test_offset_pages_are_disjoint_and_newest_first(api: ApiClient) -> None:
    author = api.register()
    created = [create(api, author)["slug"] for _ in range(5)]
    pages = [listing(api, author=author.username, limit=2, offset=o) for o in (0, 2, 4)]
    assert [slugs(page) for page in pages] == [
        created[4:2:-1],
        created[2:0:-1],
        created[0:1],
    ]
    assert {page["articlesCount"] for page in pages} == {5}


@pytest.mark.operation("GetArticles")
def test_offset_past_the_end_gives_an_empty_page_with_the_total(api: ApiClient) -> None:
    author = api.register()
    for _ in range(2):
        create(api, author)
    for offset in (2, 50, 2147483647):
        page = listing(api, author=author.username, offset=offset)
        assert page == {"articles": [], "articlesCount": 2}, offset


@pytest.mark.operation("GetArticles")
@pytest.mark.parametrize("limit", [1, 2, 100])
def test_limit_accepts_1_to_100(api: ApiClient, limit: int) -> None:
    author = api.register()
    for _ in range(2):
        create(api, author)
    page = listing(api, author=author.username, limit=limit)
    assert len(page["articles"]) == min(limit, 2)
    assert page["articlesCount"] == 2


@pytest.mark.operation("GetArticles")
@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "1.0", "1e1", "0x10", "999999"])
def test_invalid_limit_is_422(api: ApiClient, limit: str) -> None:
    response = api.get("/articles", params={"limit": limit})
    assert_error(response, 422, "limit", LIMIT_MESSAGE)


@pytest.mark.operation("GetArticles")
@pytest.mark.parametrize("offset", ["-1", "x", "2147483648", "1.5", "99999999999999999999"])
def test_invalid_offset_is_422(api: ApiClient, offset: str) -> None:
    response = api.get("/articles", params={"offset": offset})
    assert_error(response, 422, "offset", OFFSET_MESSAGE)


@pytest.mark.operation("GetArticles")
def test_invalid_limit_and_offset_are_reported_together(api: ApiClient) -> None:
    response = api.get("/articles", params={"limit": "0", "offset": "-1"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"limit": [LIMIT_MESSAGE], "offset": [OFFSET_MESSAGE]}}


@pytest.mark.operation("GetArticles")
def test_list_ignores_unknown_query_parameters(api: ApiClient) -> None:
    author = api.register()
    slug = create(api, author)["slug"]
    page = listing(api, author=author.username, sort="oldest", page="7")
    assert slugs(page) == [slug]


@pytest.mark.operation("GetArticles")
def test_list_flags_are_relative_to_the_caller(api: ApiClient) -> None:
    author, fan, stranger = api.register(), api.register(), api.register()
    slug = create(api, author)["slug"]
    follow(api, fan, author)
    favorite(api, fan, slug)
    views = {
        "fan": listing(api, fan.token, author=author.username)["articles"][0],
        "stranger": listing(api, stranger.token, author=author.username)["articles"][0],
        "author": listing(api, author.token, author=author.username)["articles"][0],
        "anonymous": listing(api, author=author.username)["articles"][0],
    }
    flags = {
        who: (item["favorited"], item["favoritesCount"], item["author"]["following"])
        for who, item in views.items()
    }
    assert flags == {
        "fan": (True, 1, True),
        "stranger": (False, 1, False),
        "author": (False, 1, False),
        "anonymous": (False, 1, False),
    }


@pytest.mark.operation("GetArticles")
def test_list_favorites_count_aggregates_per_article(api: ApiClient) -> None:
    author = api.register()
    fans = [api.register() for _ in range(3)]
    popular = create(api, author)["slug"]
    quiet = create(api, author)["slug"]
    for fan in fans:
        favorite(api, fan, popular)
    favorite(api, fans[0], quiet)
    counts = {
        a["slug"]: a["favoritesCount"] for a in listing(api, author=author.username)["articles"]
    }
    assert counts == {popular: 3, quiet: 1}


@pytest.mark.operation("GetArticles")
@pytest.mark.parametrize("header", ["Token not.a.jwt", "Token", "Bearer", "Basic abc"])
def test_list_with_an_invalid_token_is_401_not_anonymous(api: ApiClient, header: str) -> None:
    response = api.get("/articles", headers={"Authorization": header})
    assert_error(response, 401, "token", "is invalid")
    assert response.headers["www-authenticate"].lower().startswith("token")


@pytest.mark.operation("GetArticles")
def test_list_with_an_expired_token_is_401(api: ApiClient, secret_key: str) -> None:
    user = api.register()
    response = api.get("/articles", token=expired_token(secret_key, user.token))
    assert_error(response, 401, "token", "is invalid")


@pytest.mark.operation("GetArticles")
def test_list_checks_the_token_before_the_query(api: ApiClient) -> None:
    response = api.get("/articles", params={"limit": "0"}, token="garbage")
    assert_error(response, 401, "token", "is invalid")


# GetArticlesFeed


@pytest.mark.operation("GetArticlesFeed")
def test_feed_without_a_token_is_401(api: ApiClient) -> None:
    response = api.get("/articles/feed")
    assert_error(response, 401, "token", "is missing")
    assert response.headers["www-authenticate"].lower().startswith("token")


@pytest.mark.operation("GetArticlesFeed")
def test_feed_with_an_invalid_token_is_401(api: ApiClient) -> None:
    assert_error(api.get("/articles/feed", token="garbage"), 401, "token", "is invalid")


@pytest.mark.operation("GetArticlesFeed")
def test_feed_of_a_new_user_is_empty(api: ApiClient) -> None:
    user = api.register()
    create(api, api.register())
    assert feed(api, user.token) == {"articles": [], "articlesCount": 0}


@pytest.mark.operation("GetArticlesFeed")
def test_feed_shows_only_followed_authors_newest_first(api: ApiClient) -> None:
    reader, celeb, other_celeb, stranger = (api.register() for _ in range(4))
    follow(api, reader, celeb)
    follow(api, reader, other_celeb)
    first = create(api, celeb)["slug"]
    second = create(api, other_celeb)["slug"]
    create(api, stranger)
    create(api, reader)
    third = create(api, celeb)["slug"]
    page = feed(api, reader.token)
    assert slugs(page) == [third, second, first]
    assert page["articlesCount"] == 3
    assert all(item["author"]["following"] is True for item in page["articles"])
    assert all(set(item) == PREVIEW_KEYS for item in page["articles"])


@pytest.mark.operation("GetArticlesFeed")
def test_feed_includes_articles_written_before_the_follow(api: ApiClient) -> None:
    reader, celeb = api.register(), api.register()
    slug = create(api, celeb)["slug"]
    follow(api, reader, celeb)
    assert slugs(feed(api, reader.token)) == [slug]


@pytest.mark.operation("GetArticlesFeed")
def test_feed_drops_an_unfollowed_author(api: ApiClient) -> None:
    reader, kept, dropped = api.register(), api.register(), api.register()
    follow(api, reader, kept)
    follow(api, reader, dropped)
    kept_slug = create(api, kept)["slug"]
    create(api, dropped)
    response = api.delete(f"/profiles/{dropped.username}/follow", token=reader.token)
    assert response.status_code == 200, response.text
    page = feed(api, reader.token)
    assert slugs(page) == [kept_slug]
    assert page["articlesCount"] == 1


@pytest.mark.operation("GetArticlesFeed")
def test_feed_is_per_user(api: ApiClient) -> None:
    reader, bystander, celeb = api.register(), api.register(), api.register()
    follow(api, reader, celeb)
    create(api, celeb)
    assert feed(api, bystander.token)["articlesCount"] == 0
    assert feed(api, reader.token)["articlesCount"] == 1


@pytest.mark.operation("GetArticlesFeed")
def test_feed_paginates_with_the_total_count(api: ApiClient) -> None:
    reader, celeb = api.register(), api.register()
    follow(api, reader, celeb)
    created = [create(api, celeb)["slug"] for _ in range(3)]
    pages = [feed(api, reader.token, limit=1, offset=o) for o in (0, 1, 2, 3)]
    assert [slugs(page) for page in pages] == [[created[2]], [created[1]], [created[0]], []]
    assert {page["articlesCount"] for page in pages} == {3}


@pytest.mark.operation("GetArticlesFeed")
def test_feed_limit_defaults_to_20(api: ApiClient) -> None:
    reader, celeb = api.register(), api.register()
    follow(api, reader, celeb)
    created = [create(api, celeb)["slug"] for _ in range(21)]
    page = feed(api, reader.token)
    assert slugs(page) == created[::-1][:20]
    assert page["articlesCount"] == 21


@pytest.mark.operation("GetArticlesFeed")
def test_feed_items_carry_the_callers_favorites(api: ApiClient) -> None:
    reader, celeb, fan = api.register(), api.register(), api.register()
    follow(api, reader, celeb)
    liked = create(api, celeb)["slug"]
    other = create(api, celeb)["slug"]
    favorite(api, reader, liked)
    favorite(api, fan, liked)
    favorite(api, fan, other)
    items = {a["slug"]: a for a in feed(api, reader.token)["articles"]}
    assert (items[liked]["favorited"], items[liked]["favoritesCount"]) == (True, 2)
    assert (items[other]["favorited"], items[other]["favoritesCount"]) == (False, 1)


@pytest.mark.operation("GetArticlesFeed")
def test_feed_drops_a_deleted_article(api: ApiClient) -> None:
    reader, celeb = api.register(), api.register()
    follow(api, reader, celeb)
    slug = create(api, celeb)["slug"]
    assert api.delete(article_path(slug), token=celeb.token).status_code == 204
    assert feed(api, reader.token) == {"articles": [], "articlesCount": 0}


@pytest.mark.operation("GetArticlesFeed")
@pytest.mark.parametrize(
    ("params", "key", "message"),
    [
        ({"limit": "0"}, "limit", LIMIT_MESSAGE),
        ({"limit": "101"}, "limit", LIMIT_MESSAGE),
        ({"limit": "abc"}, "limit", LIMIT_MESSAGE),
        ({"limit": "1.5"}, "limit", LIMIT_MESSAGE),
        ({"offset": "-1"}, "offset", OFFSET_MESSAGE),
        ({"offset": "x"}, "offset", OFFSET_MESSAGE),
        ({"offset": "2147483648"}, "offset", OFFSET_MESSAGE),
    ],
)
def test_feed_rejects_invalid_paging(
    api: ApiClient, params: dict[str, str], key: str, message: str
) -> None:
    response = api.get("/articles/feed", params=params, token=api.register().token)
    assert_error(response, 422, key, message)


@pytest.mark.operation("GetArticlesFeed")
def test_feed_checks_the_token_before_the_query(api: ApiClient) -> None:
    response = api.get("/articles/feed", params={"limit": "0"})
    assert_error(response, 401, "token", "is missing")
