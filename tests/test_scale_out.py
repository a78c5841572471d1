"""Stateless scale-out: two processes of one app on one database behave as one service.

A request may land on either process, so nothing a client relies on may live in process
memory: tokens minted by one are honoured by the other, and every write is visible to both.
"""

from __future__ import annotations

import pytest

from tests.client import ApiClient

pytestmark = [pytest.mark.usefixtures("impl"), pytest.mark.managed_servers]


@pytest.mark.operation("CreateUser", "Login", "GetCurrentUser")
def test_register_on_one_process_and_log_in_on_the_other(
    api: ApiClient, twin_api: ApiClient
) -> None:
    user = api.register()
    login = twin_api.post(
        "/users/login", json_body={"user": {"email": user.email, "password": user.password}}
    )
    assert login.status_code == 200
    assert api.get("/user", token=login.json()["user"]["token"]).status_code == 200
    assert (
        twin_api.get("/user", token=user.token).json() == api.get("/user", token=user.token).json()
    )


@pytest.mark.operation("CreateArticle", "GetArticle", "CreateArticleFavorite", "GetArticlesFeed")
def test_writes_on_either_process_read_back_the_same_on_both(
    api: ApiClient, twin_api: ApiClient
) -> None:
    author, reader = api.register(), twin_api.register()
    slug = twin_api.create_article(author.token, tagList=["scale", "out"])["slug"]
    assert api.post(f"/articles/{slug}/favorite", token=reader.token).status_code == 200
    assert (
        twin_api.post(f"/profiles/{author.username}/follow", token=reader.token).status_code == 200
    )
    comment = api.post(
        f"/articles/{slug}/comments", token=reader.token, json_body={"comment": {"body": "hi"}}
    )
    assert comment.status_code == 201

    for path in (f"/articles/{slug}", f"/articles/{slug}/comments", "/articles/feed"):
        seen_here = api.get(path, token=reader.token)
        seen_there = twin_api.get(path, token=reader.token)
        assert seen_here.status_code == seen_there.status_code == 200
        assert seen_here.json() == seen_there.json(), path
    article = api.get(f"/articles/{slug}", token=reader.token).json()["article"]
    assert (article["favorited"], article["favoritesCount"]) == (True, 1)
    assert article["author"]["following"] is True


@pytest.mark.operation("UpdateCurrentUser", "DeleteArticle")
def test_updates_and_deletes_are_seen_by_the_other_process(
    api: ApiClient, twin_api: ApiClient
) -> None:
    user = api.register()
    slug = api.create_article(user.token)["slug"]
    assert (
        twin_api.put("/user", token=user.token, json_body={"user": {"bio": "moved"}}).status_code
        == 200
    )
    assert api.get("/user", token=user.token).json()["user"]["bio"] == "moved"
    assert twin_api.delete(f"/articles/{slug}", token=user.token).status_code == 204
    assert api.get(f"/articles/{slug}").status_code == 404
