"""The article lists cost a constant number of SQL queries, whatever the page size.

Each list item needs its author (with `following`), tags, `favorited` and `favoritesCount`; the
QuerySet computes the flags and counts in the page query and prefetches authors and tags, so
listing 20 articles takes as many queries as listing one.
"""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from django_app.conduit import services
from django_app.conduit.tests.helpers import client_for, make_article, make_user


class ListQueryCountTests(TestCase):
    """GetArticles and GetArticlesFeed at 1 and at 20 matching articles."""

    def setUp(self) -> None:
        self.reader = make_user("reader")
        self.other = make_user("other")
        services.follow_user(user=self.reader, username="other")

    def publish(self, count: int) -> None:
        """`count` followed articles, each with tags and a favorite."""
        for number in range(count):
            article = make_article(
                self.other, f"Article {number}", tag_list=["one", f"tag-{number}"]
            )
            services.favorite_article(user=self.reader, slug=article.slug)

    def count_queries(self, path: str, expected_articles: int) -> int:
        """Queries used by one signed-in GET of `path`."""
        client = client_for(self.reader)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.json()["articles"]), expected_articles)
        return len(queries)

    def assert_constant(self, path: str) -> None:
        self.publish(1)
        one = self.count_queries(path, 1)
        self.publish(19)
        twenty = self.count_queries(path, 20)
        print(f"\n{path}: {one} queries for 1 article, {twenty} for 20")
        self.assertEqual(one, twenty)
        # token user, page, authors, tags, COUNT
        self.assertEqual(twenty, 5)

    def test_get_articles(self) -> None:
        """GetArticles."""
        self.assert_constant("/api/articles")

    def test_get_articles_feed(self) -> None:
        """GetArticlesFeed."""
        self.assert_constant("/api/articles/feed")

    def test_get_articles_anonymous(self) -> None:
        """GetArticles without a token skips the user query."""
        make_article(self.other, "Solo")
        with self.assertNumQueries(4):
            self.assertEqual(client_for().get("/api/articles").status_code, 200)

    def test_get_article_comments(self) -> None:
        """GetArticleComments: article, comments, authors, whatever the number of comments."""
        article = make_article(self.other)
        for number in range(5):
            services.add_comment(author=self.reader, slug=article.slug, body=f"Comment {number}")
        with self.assertNumQueries(3):
            response = client_for().get(f"/api/articles/{article.slug}/comments")
        self.assertEqual(len(response.json()["comments"]), 5)
