"""Favorites: CreateArticleFavorite, DeleteArticleFavorite.

Favoriting is idempotent (one row per user and article), the answer is the whole article seen
by the caller, and the count is the number of distinct users who favorited it.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest

from tests.client import ApiClient, RegisteredUser, assert_error

pytestmark = pytest.mark.usefixtures("impl")

ARTICLE_KEYS = {
    "slug", "title", "description", "body", "tagList", "createdAt", "updatedAt",
    "favorited", "favoritesCount", "author",
}  # fmt: skip


def favorite_path(slug: str) -> str:
    return f"/articles/{quote(slug, safe='')}/favorite"


def favorite(api: ApiClient, user: RegisteredUser, slug: str) -> dict[str, Any]:
    response = api.post(favorite_path(slug), token=user.token)
    assert response.status_code == 200, response.text
    return response.json()["article"]


def unfavorite(api: ApiClient, user: RegisteredUser, slug: str) -> dict[str, Any]:
    response = api.delete(favorite_path(slug), token=user.token)
    assert response.status_code == 200, response.text
    return response.json()["article"]


def fetch(api: ApiClient, slug: str, token: str | None = None) -> dict[str, Any]:
    response = api.get(f"/articles/{quote(slug, safe='')}", token=token)
    assert response.status_code == 200, response.text
    return response.json()["article"]


def favorited_by(api: ApiClient, user: RegisteredUser) -> dict[str, Any]:
    response = api.get("/articles", params={"favorited": user.username})
    assert response.status_code == 200, response.text
    return response.json()


def flags(article: dict[str, Any]) -> tuple[bool, int]:
    return article["favorited"], article["favoritesCount"]


def unknown_slug() -> str:
    return f"no-such-article-{uuid.uuid4().hex[:12]}"


# CreateArticleFavorite


@pytest.mark.operation("CreateArticleFavorite")
def test_favorite_returns_the_whole_article_favorited(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    created = api.create_article(author.token, tagList=["fav"])
    article = favorite(api, fan, created["slug"])
    assert set(article) == ARTICLE_KEYS
    assert flags(article) == (True, 1)
    for key in ("slug", "title", "description", "body", "tagList", "createdAt"):
        assert article[key] == created[key], key
    assert article["author"] == {
        "username": author.username, "bio": None, "image": None, "following": False,
    }  # fmt: skip


@pytest.mark.operation("CreateArticleFavorite", "GetArticle")
def test_favorite_persists_for_the_fan_only(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    slug = api.create_article(author.token)["slug"]
    favorite(api, fan, slug)
    assert flags(fetch(api, slug, token=fan.token)) == (True, 1)
    assert flags(fetch(api, slug, token=author.token)) == (False, 1)
    assert flags(fetch(api, slug)) == (False, 1)


@pytest.mark.operation("CreateArticleFavorite")
def test_favorite_twice_counts_once(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    slug = api.create_article(author.token)["slug"]
    favorite(api, fan, slug)
    assert flags(favorite(api, fan, slug)) == (True, 1)
    assert flags(fetch(api, slug, token=fan.token)) == (True, 1)
    assert favorited_by(api, fan)["articlesCount"] == 1


@pytest.mark.operation("CreateArticleFavorite")
def test_authors_may_favorite_their_own_article(api: ApiClient) -> None:
    author = api.register()
    slug = api.create_article(author.token)["slug"]
    assert flags(favorite(api, author, slug)) == (True, 1)


@pytest.mark.operation("CreateArticleFavorite")
def test_favorites_count_aggregates_across_users(api: ApiClient) -> None:
    author = api.register()
    fans = [api.register() for _ in range(3)]
    slug = api.create_article(author.token)["slug"]
    counts = [favorite(api, fan, slug)["favoritesCount"] for fan in fans]
    assert counts == [1, 2, 3]
    for fan in fans:
        assert flags(fetch(api, slug, token=fan.token)) == (True, 3)
    assert flags(fetch(api, slug, token=api.register().token)) == (False, 3)


@pytest.mark.operation("CreateArticleFavorite")
def test_favorite_counts_only_that_article(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    liked = api.create_article(author.token)["slug"]
    other = api.create_article(author.token)["slug"]
    favorite(api, fan, liked)
    assert flags(fetch(api, other, token=fan.token)) == (False, 0)


@pytest.mark.operation("CreateArticleFavorite", "GetArticles")
def test_favorited_articles_are_listed_for_the_fan_newest_first(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    older = api.create_article(author.token)["slug"]
    newer = api.create_article(author.token)["slug"]
    api.create_article(author.token)
    favorite(api, fan, newer)
    favorite(api, fan, older)
    page = favorited_by(api, fan)
    assert [a["slug"] for a in page["articles"]] == [newer, older]
    assert page["articlesCount"] == 2


@pytest.mark.operation("CreateArticleFavorite")
@pytest.mark.parametrize(
    ("content", "content_type"),
    [("not json at all", "text/plain"), ('{"article": null}', "application/json"), ("{", None)],
    ids=["text", "json", "broken-json"],
)
def test_favorite_ignores_any_request_body(
    api: ApiClient, content: str, content_type: str | None
) -> None:
    author, fan = api.register(), api.register()
    slug = api.create_article(author.token)["slug"]
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.post(favorite_path(slug), token=fan.token, content=content, headers=headers)
    assert response.status_code == 200, response.text
    assert flags(response.json()["article"]) == (True, 1)


@pytest.mark.operation("CreateArticleFavorite")
def test_favorite_of_an_unknown_article_is_404(api: ApiClient) -> None:
    response = api.post(favorite_path(unknown_slug()), token=api.register().token)
    assert_error(response, 404, "article", "not found")


@pytest.mark.operation("CreateArticleFavorite")
def test_favorite_without_a_token_is_401(api: ApiClient) -> None:
    author = api.register()
    slug = api.create_article(author.token)["slug"]
    response = api.post(favorite_path(slug))
    assert_error(response, 401, "token", "is missing")
    assert response.headers["www-authenticate"].lower().startswith("token")
    assert flags(fetch(api, slug)) == (False, 0)


@pytest.mark.operation("CreateArticleFavorite")
def test_favorite_with_an_invalid_token_is_401(api: ApiClient) -> None:
    slug = api.create_article(api.register().token)["slug"]
    assert_error(api.post(favorite_path(slug), token="not.a.jwt"), 401, "token", "is invalid")


@pytest.mark.operation("CreateArticleFavorite")
def test_unauthenticated_favorite_of_an_unknown_article_is_401_first(api: ApiClient) -> None:
    assert_error(api.post(favorite_path(unknown_slug())), 401, "token", "is missing")


# DeleteArticleFavorite


@pytest.mark.operation("DeleteArticleFavorite")
def test_unfavorite_returns_the_whole_article_unfavorited(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    created = api.create_article(author.token)
    favorite(api, fan, created["slug"])
    article = unfavorite(api, fan, created["slug"])
    assert set(article) == ARTICLE_KEYS
    assert flags(article) == (False, 0)
    assert article["body"] == created["body"]
    assert flags(fetch(api, created["slug"], token=fan.token)) == (False, 0)


@pytest.mark.operation("DeleteArticleFavorite")
def test_unfavorite_twice_stays_at_zero(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    slug = api.create_article(author.token)["slug"]
    favorite(api, fan, slug)
    unfavorite(api, fan, slug)
    assert flags(unfavorite(api, fan, slug)) == (False, 0)
    assert flags(fetch(api, slug)) == (False, 0)


@pytest.mark.operation("DeleteArticleFavorite")
def test_unfavorite_without_a_favorite_is_a_no_op(api: ApiClient) -> None:
    author, fan, other_fan = api.register(), api.register(), api.register()
    slug = api.create_article(author.token)["slug"]
    favorite(api, other_fan, slug)
    assert flags(unfavorite(api, fan, slug)) == (False, 1)
    assert flags(fetch(api, slug, token=other_fan.token)) == (True, 1)


@pytest.mark.operation("DeleteArticleFavorite")
def test_unfavorite_removes_only_the_callers_favorite(api: ApiClient) -> None:
    author = api.register()
    fans = [api.register() for _ in range(3)]
    slug = api.create_article(author.token)["slug"]
    for fan in fans:
        favorite(api, fan, slug)
    assert flags(unfavorite(api, fans[1], slug)) == (False, 2)
    assert flags(fetch(api, slug, token=fans[0].token)) == (True, 2)
    assert flags(fetch(api, slug, token=fans[2].token)) == (True, 2)


@pytest.mark.operation("DeleteArticleFavorite", "GetArticles")
def test_unfavorited_article_leaves_the_favorited_list(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    kept = api.create_article(author.token)["slug"]
    dropped = api.create_article(author.token)["slug"]
    favorite(api, fan, kept)
    favorite(api, fan, dropped)
    unfavorite(api, fan, dropped)
    page = favorited_by(api, fan)
    assert [a["slug"] for a in page["articles"]] == [kept]
    assert page["articlesCount"] == 1


@pytest.mark.operation("CreateArticleFavorite", "DeleteArticleFavorite")
def test_favorite_again_after_unfavorite(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    slug = api.create_article(author.token)["slug"]
    favorite(api, fan, slug)
    unfavorite(api, fan, slug)
    assert flags(favorite(api, fan, slug)) == (True, 1)


@pytest.mark.operation("DeleteArticleFavorite")
def test_unfavorite_of_an_unknown_article_is_404(api: ApiClient) -> None:
    response = api.delete(favorite_path(unknown_slug()), token=api.register().token)
    assert_error(response, 404, "article", "not found")


@pytest.mark.operation("DeleteArticleFavorite")
def test_unfavorite_without_a_token_is_401(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    slug = api.create_article(author.token)["slug"]
    favorite(api, fan, slug)
    response = api.delete(favorite_path(slug))
    assert_error(response, 401, "token", "is missing")
    assert response.headers["www-authenticate"].lower().startswith("token")
    assert flags(fetch(api, slug)) == (False, 1)


@pytest.mark.operation("DeleteArticleFavorite")
def test_unfavorite_with_an_invalid_token_is_401(api: ApiClient) -> None:
    slug = api.create_article(api.register().token)["slug"]
    response = api.delete(favorite_path(slug), token="not.a.jwt")
    assert_error(response, 401, "token", "is invalid")


@pytest.mark.operation("DeleteArticleFavorite")
def test_unauthenticated_unfavorite_of_an_unknown_article_is_401_first(api: ApiClient) -> None:
    assert_error(api.delete(favorite_path(unknown_slug())), 401, "token", "is missing")
