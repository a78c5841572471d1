"""Comments: GetArticleComments, CreateArticleComment, DeleteArticleComment."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.client import ApiClient, RegisteredUser, assert_error

pytestmark = pytest.mark.usefixtures("impl")

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def comment_on(api: ApiClient, user: RegisteredUser, slug: str, body: str) -> dict[str, Any]:
    response = api.post(
        f"/articles/{slug}/comments", token=user.token, json_body={"comment": {"body": body}}
    )
    assert response.status_code == 201, response.text
    return response.json()["comment"]


@pytest.mark.operation("CreateArticleComment")
def test_create_comment_returns_it_with_its_author(api: ApiClient) -> None:
    author = api.register()
    slug = api.create_article(author.token)["slug"]
    comment = comment_on(api, author, slug, "First!")
    assert isinstance(comment["id"], int)
    assert comment["body"] == "First!"
    assert TIMESTAMP.match(comment["createdAt"])
    assert TIMESTAMP.match(comment["updatedAt"])
    assert comment["author"] == {
        "username": author.username, "bio": None, "image": None, "following": False,
    }  # fmt: skip


@pytest.mark.operation("GetArticleComments")
def test_comments_are_listed_oldest_first_for_anyone(api: ApiClient) -> None:
    author, reader = api.register(), api.register()
    slug = api.create_article(author.token)["slug"]
    bodies = [f"comment {n}" for n in range(3)]
    for index, body in enumerate(bodies):
        comment_on(api, author if index % 2 == 0 else reader, slug, body)
    for token in (None, author.token, reader.token):
        response = api.get(f"/articles/{slug}/comments", token=token)
        assert response.status_code == 200
        assert [c["body"] for c in response.json()["comments"]] == bodies


@pytest.mark.operation("GetArticleComments")
def test_comment_authors_carry_following_for_the_caller(api: ApiClient) -> None:
    author, fan = api.register(), api.register()
    slug = api.create_article(author.token)["slug"]
    comment_on(api, author, slug, "by the author")
    api.post(f"/profiles/{author.username}/follow", token=fan.token)
    seen_by_fan = api.get(f"/articles/{slug}/comments", token=fan.token).json()["comments"]
    seen_by_anyone = api.get(f"/articles/{slug}/comments").json()["comments"]
    assert seen_by_fan[0]["author"]["following"] is True
    assert seen_by_anyone[0]["author"]["following"] is False


@pytest.mark.operation("GetArticleComments")
def test_an_article_without_comments_has_an_empty_list(api: ApiClient) -> None:
    author = api.register()
    slug = api.create_article(author.token)["slug"]
    assert api.get(f"/articles/{slug}/comments").json() == {"comments": []}


@pytest.mark.operation("GetArticleComments", "CreateArticleComment")
def test_comments_of_an_unknown_article_are_404(api: ApiClient) -> None:
    user = api.register()
    slug = f"no-such-article-{uuid.uuid4().hex[:8]}"
    assert_error(api.get(f"/articles/{slug}/comments"), 404, "article", "not found")
    response = api.post(
        f"/articles/{slug}/comments", token=user.token, json_body={"comment": {"body": "x"}}
    )
    assert_error(response, 404, "article", "not found")


@pytest.mark.operation("CreateArticleComment")
@pytest.mark.parametrize(
    ("payload", "key", "message"),
    [
        ({"comment": {"body": ""}}, "body", "can't be blank"),
        ({"comment": {"body": "  \n "}}, "body", "can't be blank"),
        ({"comment": {"body": None}}, "body", "can't be blank"),
        ({"comment": {}}, "body", "can't be blank"),
        ({"comment": {"body": 7}}, "body", "must be a string"),
        ({"comment": {"body": "c" * 10001}}, "body", "is too long (maximum is 10000 characters)"),
        ({"body": "no envelope"}, "comment", "can't be blank"),
        ({"comment": "flat"}, "comment", "must be an object"),
    ],
)
def test_create_comment_validation(api: ApiClient, payload: Any, key: str, message: str) -> None:
    user = api.register()
    slug = api.create_article(user.token)["slug"]
    response = api.post(f"/articles/{slug}/comments", token=user.token, json_body=payload)
    assert_error(response, 422, key, message)
    assert api.get(f"/articles/{slug}/comments").json()["comments"] == []


@pytest.mark.operation("CreateArticleComment")
def test_comment_body_is_stored_as_sent(api: ApiClient) -> None:
    user = api.register()
    slug = api.create_article(user.token)["slug"]
    body = "  <script>alert('x')</script>\n**markdown** é 🎉  "
    comment = comment_on(api, user, slug, body)
    assert comment["body"] == body
    assert api.get(f"/articles/{slug}/comments").json()["comments"][0]["body"] == body


@pytest.mark.operation("CreateArticleComment", "DeleteArticleComment")
def test_comment_writes_need_auth(api: ApiClient) -> None:
    user = api.register()
    slug = api.create_article(user.token)["slug"]
    response = api.post(f"/articles/{slug}/comments", json_body={"comment": {"body": "x"}})
    assert_error(response, 401, "token", "is missing")
    assert_error(api.delete(f"/articles/{slug}/comments/1"), 401, "token", "is missing")


@pytest.mark.operation("DeleteArticleComment")
def test_delete_comment_removes_only_that_comment(api: ApiClient) -> None:
    user = api.register()
    slug = api.create_article(user.token)["slug"]
    first = comment_on(api, user, slug, "first")
    comment_on(api, user, slug, "second")
    response = api.delete(f"/articles/{slug}/comments/{first['id']}", token=user.token)
    assert response.status_code == 204
    assert response.content == b""
    remaining = api.get(f"/articles/{slug}/comments").json()["comments"]
    assert [c["body"] for c in remaining] == ["second"]
    again = api.delete(f"/articles/{slug}/comments/{first['id']}", token=user.token)
    assert_error(again, 404, "comment", "not found")


@pytest.mark.operation("DeleteArticleComment")
def test_only_the_comment_author_may_delete_it(api: ApiClient) -> None:
    article_author, commenter = api.register(), api.register()
    slug = api.create_article(article_author.token)["slug"]
    comment = comment_on(api, commenter, slug, "mine")
    response = api.delete(f"/articles/{slug}/comments/{comment['id']}", token=article_author.token)
    assert_error(response, 403, "comment", "forbidden")
    assert len(api.get(f"/articles/{slug}/comments").json()["comments"]) == 1


@pytest.mark.operation("DeleteArticleComment")
def test_a_comment_is_only_reachable_through_its_own_article(api: ApiClient) -> None:
    user = api.register()
    slug_a = api.create_article(user.token)["slug"]
    slug_b = api.create_article(user.token)["slug"]
    comment = comment_on(api, user, slug_a, "on A")
    response = api.delete(f"/articles/{slug_b}/comments/{comment['id']}", token=user.token)
    assert_error(response, 404, "comment", "not found")
    assert len(api.get(f"/articles/{slug_a}/comments").json()["comments"]) == 1


@pytest.mark.operation("DeleteArticleComment")
@pytest.mark.parametrize("comment_id", ["99999999", "abc", "1.5", "-1", "99999999999999999999999"])
def test_delete_of_an_unknown_comment_id_is_404(api: ApiClient, comment_id: str) -> None:
    user = api.register()
    slug = api.create_article(user.token)["slug"]
    response = api.delete(f"/articles/{slug}/comments/{comment_id}", token=user.token)
    assert_error(response, 404, "comment", "not found")


# U+FF10..U+FF19, which int() reads as 0..9.
FULL_WIDTH_DIGITS = {ord("0") + digit: 0xFF10 + digit for digit in range(10)}


@pytest.mark.operation("DeleteArticleComment", "GetArticleComments")
@pytest.mark.parametrize(
    "spelling",
    ["+{id}", "%20{id}", "{id}%20", "{id}.0", "{id}_", "0x{id}", "full-width"],
)
def test_only_plain_digits_name_a_comment(api: ApiClient, spelling: str) -> None:
    """int() reads " 7", "+7" and full-width digits as 7; the API does not, so none of these
    spellings of an existing comment's id deletes it."""
    user = api.register()
    slug = api.create_article(user.token)["slug"]
    comment_id = str(comment_on(api, user, slug, "still here")["id"])
    if spelling == "full-width":
        path_id = comment_id.translate(FULL_WIDTH_DIGITS)
    else:
        path_id = spelling.format(id=comment_id)
    response = api.delete(f"/articles/{slug}/comments/{path_id}", token=user.token)
    assert_error(response, 404, "comment", "not found")
    comments = api.get(f"/articles/{slug}/comments").json()["comments"]
    assert [str(comment["id"]) for comment in comments] == [comment_id]


@pytest.mark.operation("DeleteArticleComment")
def test_delete_comment_on_an_unknown_article_is_article_404(api: ApiClient) -> None:
    user = api.register()
    response = api.delete(f"/articles/missing-{uuid.uuid4().hex[:8]}/comments/1", token=user.token)
    assert_error(response, 404, "article", "not found")


@pytest.mark.operation("DeleteArticle", "GetArticleComments")
def test_deleting_the_article_takes_its_comments(api: ApiClient) -> None:
    user = api.register()
    slug = api.create_article(user.token)["slug"]
    comment_on(api, user, slug, "soon gone")
    assert api.delete(f"/articles/{slug}", token=user.token).status_code == 204
    assert_error(api.get(f"/articles/{slug}/comments"), 404, "article", "not found")
