"""Tags: GetTags.

Every test works with its own uuid-named tags and checks only those, since the other tests of the
session add tags to the same database: presence, uniqueness and relative order of our own tags.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from tests.client import ApiClient

pytestmark = pytest.mark.usefixtures("impl")


def uid() -> str:
    return uuid.uuid4().hex[:12]


def tags(api: ApiClient, token: str | None = None) -> list[str]:
    response = api.get("/tags", token=token)
    assert response.status_code == 200, response.text
    return response.json()["tags"]


def only(listed: list[str], ours: set[str]) -> list[str]:
    """Our tags in the order the server listed them."""
    return [tag for tag in listed if tag in ours]


@pytest.mark.operation("GetTags")
def test_tags_answer_a_list_of_strings(api: ApiClient) -> None:
    response = api.get("/tags")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"tags"}
    assert isinstance(body["tags"], list)
    assert all(isinstance(tag, str) for tag in body["tags"])


@pytest.mark.operation("GetTags", "CreateArticle")
def test_new_tags_are_listed_right_after_creation(api: ApiClient) -> None:
    u = uid()
    ours = {f"h-{u}", f"t-{u}"}
    assert only(tags(api), ours) == []
    api.create_article(api.register().token, tagList=sorted(ours))
    assert set(only(tags(api), ours)) == ours


@pytest.mark.operation("GetTags")
def test_each_tag_is_listed_once(api: ApiClient) -> None:
    tag = f"shared-{uid()}"
    author = api.register()
    for _ in range(3):
        api.create_article(author.token, tagList=[tag])
    api.create_article(api.register().token, tagList=[tag])
    listed = tags(api)
    assert listed.count(tag) == 1
    assert len(listed) == len(set(listed))


@pytest.mark.operation("GetTags")
def test_tags_are_listed_trimmed(api: ApiClient) -> None:
    tag = f"spaced-{uid()}"
    api.create_article(api.register().token, tagList=[f"  {tag}  "])
    listed = tags(api)
    assert tag in listed
    assert f"  {tag}  " not in listed


@pytest.mark.operation("GetTags")
def test_tags_keep_unicode_and_case(api: ApiClient) -> None:
    u = uid()
    ours = {f"café-{u}", f"Go-{u}", f"go-{u}", f"标签-{u}"}
    article = api.create_article(api.register().token, tagList=sorted(ours))
    assert article["tagList"] == sorted(ours)
    assert set(only(tags(api), ours)) == ours


@pytest.mark.operation("GetTags")
def test_tags_are_ordered_by_use_count_then_name(api: ApiClient) -> None:
    u = uid()
    most, more, tie_a, tie_c = f"{u}-d", f"{u}-b", f"{u}-a", f"{u}-c"
    author = api.register()
    api.create_article(author.token, tagList=[tie_c, most])
    api.create_article(author.token, tagList=[more, most])
    api.create_article(author.token, tagList=[most, more, tie_a])
    # most: 3 articles, more: 2, tie_a and tie_c: 1 each (then by name).
    assert only(tags(api), {most, more, tie_a, tie_c}) == [most, more, tie_a, tie_c]


@pytest.mark.operation("GetTags")
def test_tag_ties_are_ordered_by_code_point_not_by_collation(api: ApiClient) -> None:
    """Uppercase before lowercase, accents last, whatever the database's collation says."""
    u = uid()
    names = [f"b{u}", f"B{u}", f"Z{u}", f"a{u}", f"\u00e9{u}"]
    author = api.register()
    api.create_article(author.token, tagList=names)
    assert only(tags(api), set(names)) == [f"B{u}", f"Z{u}", f"a{u}", f"b{u}", f"\u00e9{u}"]


@pytest.mark.operation("GetTags", "UpdateArticle")
def test_tag_order_follows_changes_in_use(api: ApiClient) -> None:
    u = uid()
    first, second = f"{u}-a", f"{u}-b"
    author = api.register()
    api.create_article(author.token, tagList=[first, second])
    slug = api.create_article(author.token, tagList=[first])["slug"]
    assert only(tags(api), {first, second}) == [first, second]
    response = api.put(
        f"/articles/{quote(slug)}",
        token=author.token,
        json_body={"article": {"tagList": [second]}},
    )
    assert response.status_code == 200, response.text
    api.create_article(author.token, tagList=[second])
    assert only(tags(api), {first, second}) == [second, first]


@pytest.mark.operation("GetTags", "DeleteArticle")
def test_tag_of_a_deleted_article_disappears(api: ApiClient) -> None:
    u = uid()
    lonely, shared = f"lonely-{u}", f"shared-{u}"
    author = api.register()
    slug = api.create_article(author.token, tagList=[lonely, shared])["slug"]
    api.create_article(author.token, tagList=[shared])
    assert set(only(tags(api), {lonely, shared})) == {lonely, shared}
    assert api.delete(f"/articles/{quote(slug)}", token=author.token).status_code == 204
    assert only(tags(api), {lonely, shared}) == [shared]


@pytest.mark.operation("GetTags", "UpdateArticle")
def test_tag_removed_by_an_update_disappears(api: ApiClient) -> None:
    u = uid()
    old, new = f"old-{u}", f"new-{u}"
    author = api.register()
    slug = api.create_article(author.token, tagList=[old])["slug"]
    response = api.put(
        f"/articles/{quote(slug)}", token=author.token, json_body={"article": {"tagList": [new]}}
    )
    assert response.status_code == 200, response.text
    assert only(tags(api), {old, new}) == [new]
    response = api.put(
        f"/articles/{quote(slug)}", token=author.token, json_body={"article": {"tagList": []}}
    )
    assert response.status_code == 200, response.text
    assert only(tags(api), {old, new}) == []


@pytest.mark.operation("GetTags")
def test_tags_of_a_rejected_article_are_not_listed(api: ApiClient) -> None:
    tag = f"rejected-{uid()}"
    response = api.post(
        "/articles",
        token=api.register().token,
        json_body={"article": {"title": "", "description": "d", "body": "b", "tagList": [tag]}},
    )
    assert response.status_code == 422
    assert tag not in tags(api)


@pytest.mark.operation("GetTags")
@pytest.mark.parametrize("header", ["valid", "Token not.a.jwt"])
def test_tags_ignore_the_authorization_header(api: ApiClient, header: str) -> None:
    """GetTags takes no credentials, so whatever header comes along changes nothing."""
    tag = f"open-{uid()}"
    user = api.register()
    api.create_article(user.token, tagList=[tag])
    value = f"Token {user.token}" if header == "valid" else header
    response = api.get("/tags", headers={"Authorization": value})
    assert response.status_code == 200, response.text
    assert tag in response.json()["tags"]
