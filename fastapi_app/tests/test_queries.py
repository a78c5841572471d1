"""No N+1: listing 20 articles takes as many SQL statements as listing 1 (GetArticles,
GetArticlesFeed), because authors, tags and the viewer's flags are loaded in the same queries."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from fastapi_app.tests.conftest import auth, create_article, register

pytestmark = pytest.mark.anyio


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[str]]:
    """SQL statements sent to the database (transaction control such as BEGIN left out)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


async def count_queries(
    client: httpx.AsyncClient, statements: list[str], path: str, token: str, articles: int
) -> int:
    statements.clear()
    response = await client.get(path, headers=auth(token))
    assert response.status_code == 200, response.text
    assert len(response.json()["articles"]) == articles
    return len(statements)


async def test_list_queries_are_the_same_for_1_and_20_articles(
    client: httpx.AsyncClient, statements: list[str]
) -> None:
    solo, prolific = await register(client, "solo"), await register(client, "prolific")
    reader_of_solo = await register(client, "reader_of_solo")
    reader_of_prolific = await register(client, "reader_of_prolific")
    await create_article(client, solo, title="Only one", tagList=["x", "y"])
    for number in range(20):
        article = await create_article(client, prolific, title=f"Number {number}", tagList=["x"])
        if number % 2:
            favorite = f"/api/articles/{article['slug']}/favorite"
            await client.post(favorite, headers=auth(reader_of_prolific))
    await client.post("/api/profiles/solo/follow", headers=auth(reader_of_solo))
    await client.post("/api/profiles/prolific/follow", headers=auth(reader_of_prolific))

    list_one = await count_queries(
        client, statements, "/api/articles?author=solo", reader_of_prolific, 1
    )
    list_twenty = await count_queries(
        client, statements, "/api/articles?author=prolific", reader_of_prolific, 20
    )
    feed_one = await count_queries(client, statements, "/api/articles/feed", reader_of_solo, 1)
    feed_twenty = await count_queries(
        client, statements, "/api/articles/feed", reader_of_prolific, 20
    )

    print(
        f"\nqueries per request: GetArticles {list_one} (1 article) / {list_twenty} (20), "
        f"GetArticlesFeed {feed_one} (1) / {feed_twenty} (20)"
    )
    assert list_one == list_twenty
    assert feed_one == feed_twenty
    # user lookup for the token, COUNT(*), the page with its flags, the page's tags
    assert list_twenty == feed_twenty == 4


async def test_create_article_comment_answers_with_the_row_it_wrote(
    client: httpx.AsyncClient, statements: list[str]
) -> None:
    """CreateArticleComment: the caller, the article's id, the INSERT; nothing is read back."""
    token = await register(client, "commenter")
    slug = (await create_article(client, token))["slug"]
    statements.clear()
    response = await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "hi"}}, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    author = response.json()["comment"]["author"]
    assert (author["username"], author["following"]) == ("commenter", False)
    assert len(statements) == 3
