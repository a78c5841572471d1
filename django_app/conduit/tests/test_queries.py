"""The article lists cost a constant number of SQL queries, whatever the page size.

Each list item needs its author (with `following`), tags, `favorited` and `favoritesCount`; the
QuerySet joins the author and computes the flags and counts in the page query, and the page's tag
names come in one more query (models.attach_tag_names), so listing 20 articles takes as many
queries as listing one. The writes that find their object
with DRF's get_object read it once, without the annotations and prefetches of a read.
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
        # token user, page (with its authors), tags, COUNT
        self.assertEqual(twenty, 4)

    def test_get_articles(self) -> None:
        """GetArticles."""
        self.assert_constant("/api/articles")

    def test_get_articles_feed(self) -> None:
        """GetArticlesFeed."""
        self.assert_constant("/api/articles/feed")

    def test_get_articles_anonymous(self) -> None:
        """GetArticles without a token skips the user query."""
        make_article(self.other, "Solo")
        with self.assertNumQueries(3):
            self.assertEqual(client_for().get("/api/articles").status_code, 200)

    def test_get_article_comments(self) -> None:
        """GetArticleComments: article, comments with their authors, whatever their number."""
        article = make_article(self.other)
        for number in range(5):
            services.add_comment(author=self.reader, slug=article.slug, body=f"Comment {number}")
        with self.assertNumQueries(2):
            response = client_for().get(f"/api/articles/{article.slug}/comments")
        self.assertEqual(len(response.json()["comments"]), 5)


class DetailQueryCountTests(TestCase):
    """The operations on one article or comment; the counts are pinned so that they cannot grow."""

    def setUp(self) -> None:
        self.author = make_user("author")
        self.article = make_article(self.author, "Counted", tag_list=["one", "two"])
        self.path = f"/api/articles/{self.article.slug}"

    def test_get_article(self) -> None:
        """GetArticle: token user, article with its flags and author, tags."""
        with self.assertNumQueries(3):
            self.assertEqual(client_for(self.author).get(self.path).status_code, 200)

    def test_update_article(self) -> None:
        """UpdateArticle: token user, the lookup, then the save and the read of the answer."""
        client = client_for(self.author)
        # token user, lookup, savepoint, UPDATE, release, article with its flags and author, tags
        with self.assertNumQueries(7):
            response = client.put(self.path, {"article": {"body": "New"}}, format="json")
        self.assertEqual(response.status_code, 200)

    def test_update_article_by_another_user_stops_at_the_lookup(self) -> None:
        """UpdateArticle, 403: token user and the lookup, nothing else."""
        client = client_for(make_user("other"))
        with self.assertNumQueries(2):
            response = client.put(self.path, {"article": {"body": "New"}}, format="json")
        self.assertEqual(response.status_code, 403)

    def test_delete_article(self) -> None:
        """DeleteArticle: token user, the lookup, then Django's cascade."""
        with self.assertNumQueries(6):
            self.assertEqual(client_for(self.author).delete(self.path).status_code, 204)

    def test_create_article_comment(self) -> None:
        """CreateArticleComment: token user, the article, the INSERT; nothing is read back."""
        with self.assertNumQueries(3):
            response = client_for(self.author).post(
                f"{self.path}/comments", {"comment": {"body": "Hi"}}, format="json"
            )
        self.assertEqual(response.status_code, 201)
        author = response.json()["comment"]["author"]
        self.assertEqual((author["username"], author["following"]), ("author", False))

    def test_delete_article_comment(self) -> None:
        """DeleteArticleComment: token user, the article, the comment, the DELETE."""
        comment = services.add_comment(author=self.author, slug=self.article.slug, body="Hi")
        with self.assertNumQueries(4):
            response = client_for(self.author).delete(f"{self.path}/comments/{comment.pk}")
        self.assertEqual(response.status_code, 204)
