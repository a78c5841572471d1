"""Races: many clients writing at once must leave exact counts, one winner, and no 500s.

Requests go out together from a thread pool; each worker has its own connection so the server
really sees them concurrently. Then the state is read back and must be exact.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.client import ApiClient, RegisteredUser

pytestmark = pytest.mark.usefixtures("impl")

WORKERS = 20


def at_once(
    count: int, send: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """Run `send` `count` times in parallel, released together by a barrier."""
    barrier = threading.Barrier(count)

    def worker(index: int) -> httpx.Response:
        with httpx.Client(timeout=60) as http:
            barrier.wait()
            return send(http, index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def register_many(api: ApiClient, count: int) -> list[RegisteredUser]:
    return [api.register() for _ in range(count)]


def auth(user: RegisteredUser) -> dict[str, str]:
    return {"Authorization": f"Token {user.token}"}


@pytest.mark.operation("CreateArticleFavorite")
def test_parallel_favorites_from_different_users_are_all_counted(api: ApiClient) -> None:
    author = api.register()
    slug = api.create_article(author.token)["slug"]
    fans = register_many(api, WORKERS)
    url = f"{api.root_url}/api/articles/{slug}/favorite"
    responses = at_once(WORKERS, lambda http, i: http.post(url, headers=auth(fans[i])))
    assert Counter(r.status_code for r in responses) == {200: WORKERS}
    article = api.get(f"/articles/{slug}").json()["article"]
    assert article["favoritesCount"] == WORKERS


@pytest.mark.operation("CreateArticleFavorite", "DeleteArticleFavorite")
def test_one_user_favoriting_in_parallel_counts_once(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    slug = api.create_article(author.token)["slug"]
    url = f"{api.root_url}/api/articles/{slug}/favorite"
    responses = at_once(10, lambda http, i: http.post(url, headers=auth(fan)))
    assert Counter(r.status_code for r in responses) == {200: 10}
    assert api.get(f"/articles/{slug}").json()["article"]["favoritesCount"] == 1
    responses = at_once(10, lambda http, i: http.delete(url, headers=auth(fan)))
    assert Counter(r.status_code for r in responses) == {200: 10}
    assert api.get(f"/articles/{slug}").json()["article"]["favoritesCount"] == 0


@pytest.mark.operation("FollowUserByUsername")
def test_parallel_follows_are_all_recorded_once(api: ApiClient) -> None:
    celeb = api.register()
    fans = register_many(api, WORKERS)
    url = f"{api.root_url}/api/profiles/{celeb.username}/follow"
    responses = at_once(WORKERS, lambda http, i: http.post(url, headers=auth(fans[i % 10])))
    assert Counter(r.status_code for r in responses) == {200: WORKERS}
    api.create_article(celeb.token)
    for fan in fans[:10]:
        feed = api.get("/articles/feed", token=fan.token).json()
        assert feed["articlesCount"] == 1
    for fan in fans[10:]:
        assert api.get("/articles/feed", token=fan.token).json()["articlesCount"] == 0


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize("contenders", [2, 6])
def test_simultaneous_registrations_of_one_username_have_one_winner(
    api: ApiClient, contenders: int
) -> None:
    name = f"race_{uuid.uuid4().hex[:10]}"
    url = f"{api.root_url}/api/users"

    def register(http: httpx.Client, index: int) -> httpx.Response:
        user = {"username": name, "email": f"{name}_{index}@example.com", "password": "password123"}
        return http.post(url, json={"user": user})

    responses = at_once(contenders, register)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: contenders - 1}
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.json() == {"errors": {"username": ["has already been taken"]}}
    assert api.get(f"/profiles/{name}").status_code == 200


def full_width(name: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in name)


@pytest.mark.operation("CreateUser", "GetProfileByUsername")
def test_simultaneous_registrations_of_spellings_of_one_username_have_one_winner(
    api: ApiClient,
) -> None:
    """Case and NFKC variants race past the application's check; the database key decides."""
    name = f"race_{uuid.uuid4().hex[:10]}"
    spellings = [name, name.upper(), name.capitalize(), full_width(name), full_width(name.upper())]
    spellings += [name.replace("a", "\uff41"), name.capitalize().replace("a", "\uff41")]
    url = f"{api.root_url}/api/users"

    def register(http: httpx.Client, index: int) -> httpx.Response:
        email = f"{name}_{index}@example.com"
        user = {"username": spellings[index], "email": email, "password": "password123"}
        return http.post(url, json={"user": user})

    responses = at_once(len(spellings), register)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: len(spellings) - 1}
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.json() == {"errors": {"username": ["has already been taken"]}}
    (winner,) = (r.json()["user"]["username"] for r in responses if r.status_code == 201)
    for spelling in spellings:
        assert api.get(f"/profiles/{spelling}").json()["profile"]["username"] == winner


@pytest.mark.operation("CreateUser", "Login")
def test_simultaneous_registrations_of_one_email_in_several_cases_have_one_winner(
    api: ApiClient,
) -> None:
    local = f"race_{uuid.uuid4().hex[:10]}"
    emails = [f"{local}@example.com", f"{local.upper()}@EXAMPLE.COM", f"{local}@Example.Com"]
    emails += [f"{local.capitalize()}@example.COM", f"{local.swapcase()}@exAMPle.com"]
    url = f"{api.root_url}/api/users"

    def register(http: httpx.Client, index: int) -> httpx.Response:
        user = {"username": f"{local}_{index}", "email": emails[index], "password": "password123"}
        return http.post(url, json={"user": user})

    responses = at_once(len(emails), register)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: len(emails) - 1}
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.json() == {"errors": {"email": ["has already been taken"]}}
    (winner,) = (r.json()["user"] for r in responses if r.status_code == 201)
    for email in emails:
        login = api.post(
            "/users/login", json_body={"user": {"email": email, "password": "password123"}}
        )
        assert login.json()["user"]["username"] == winner["username"]


@pytest.mark.operation("UpdateCurrentUser")
def test_simultaneous_renames_to_spellings_of_one_name_have_one_winner(api: ApiClient) -> None:
    name = f"race_{uuid.uuid4().hex[:10]}"
    spellings = [name, name.upper(), full_width(name), name.capitalize(), full_width(name.upper())]
    users = register_many(api, len(spellings))
    url = f"{api.root_url}/api/user"

    def rename(http: httpx.Client, index: int) -> httpx.Response:
        body = {"user": {"username": spellings[index]}}
        return http.put(url, json=body, headers=auth(users[index]))

    responses = at_once(len(spellings), rename)
    assert Counter(r.status_code for r in responses) == {200: 1, 409: len(spellings) - 1}
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.json() == {"errors": {"username": ["has already been taken"]}}


@pytest.mark.operation("CreateArticle")
def test_parallel_articles_with_one_title_get_distinct_slugs(api: ApiClient) -> None:
    author = api.register()
    title = f"Same title {uuid.uuid4().hex[:8]}"
    url = f"{api.root_url}/api/articles"
    body = {"article": {"title": title, "description": "d", "body": "b"}}
    responses = at_once(8, lambda http, i: http.post(url, json=body, headers=auth(author)))
    assert Counter(r.status_code for r in responses) == {201: 8}
    slugs = {r.json()["article"]["slug"] for r in responses}
    assert len(slugs) == 8
    listed = api.get("/articles", params={"author": author.username}).json()
    assert listed["articlesCount"] == 8


@pytest.mark.operation("CreateArticleComment", "GetArticleComments")
def test_parallel_comments_are_all_kept(api: ApiClient) -> None:
    author = api.register()
    slug = api.create_article(author.token)["slug"]
    url = f"{api.root_url}/api/articles/{slug}/comments"
    responses = at_once(
        WORKERS,
        lambda http, i: http.post(url, json={"comment": {"body": f"c{i}"}}, headers=auth(author)),
    )
    assert Counter(r.status_code for r in responses) == {201: WORKERS}
    comments = api.get(f"/articles/{slug}/comments").json()["comments"]
    assert sorted(c["body"] for c in comments) == sorted(f"c{i}" for i in range(WORKERS))
    assert len({c["id"] for c in comments}) == WORKERS
