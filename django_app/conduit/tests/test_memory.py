"""A list answer is freed when its request ends, not at the garbage collector's next full pass.

Memory that only the cyclic collector frees stays allocated for many requests after its own:
DRF leaves a view and its response in a reference cycle, and many=True a ListSerializer and its
child, each holding the rows or their representation (views/base.py and the note above the
output serializers say how the app avoids both). Like a query count, the cyclic garbage one
request leaves is deterministic, so these tests count it with the collector paused and check it
does not grow with the length of the list. Before the fix, one read of a thread of 60 comments
left 506 such objects and a thread of 1 left 93; now both leave the same 61.
"""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from django.http import HttpResponse
from django.test import RequestFactory, TestCase
from django.test.client import ClientHandler

from django_app.conduit import services
from django_app.conduit.authentication import issue_token
from django_app.conduit.tests.helpers import make_article, make_user


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, from an empty start."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class CyclicGarbageTests(TestCase):
    """GetArticleComments and GetArticles, signed in, over a short and a long list."""

    def setUp(self) -> None:
        self.reader = make_user("reader")
        self.writer = make_user("writer")
        self.article = make_article(self.writer, "The thread")
        self.handler = ClientHandler()

    def garbage_left_by(self, path: str, expected_items: int, key: str) -> int:
        """Objects that only the cyclic collector could free after one GET of `path`.

        The test client's own handler serves it, which (unlike a WSGI server) leaves the test's
        database connection open inside its transaction; the Client itself would keep the
        response in a cycle of its own (`response.json` is a partial of the response).
        """
        token = issue_token(self.reader)
        environ = RequestFactory().get(path, HTTP_AUTHORIZATION=f"Token {token}").environ
        self.handler(environ)
        with collector_paused():
            # A DRF Response is an HttpResponse, the type that has `content`.
            response = cast(HttpResponse, self.handler(environ))
            status, body = response.status_code, response.content
            del response
            left = gc.collect()
        self.assertEqual(status, 200)
        self.assertEqual(body.count(b'"author"'), expected_items, key)
        return left

    def add_comments(self, count: int) -> None:
        for number in range(count):
            services.add_comment(author=self.writer, slug=self.article.slug, body=f"Note {number}")

    def test_comments(self) -> None:
        """GetArticleComments: 60 comments leave no more than 1."""
        path = f"/api/articles/{self.article.slug}/comments"
        self.add_comments(1)
        short = self.garbage_left_by(path, 1, "comments")
        self.add_comments(59)
        long = self.garbage_left_by(path, 60, "comments")
        print(f"\n{path}: {short} cyclic objects left for 1 comment, {long} for 60")
        self.assertLessEqual(long, short)

    def test_articles(self) -> None:
        """GetArticles: a page of 20 leaves no more than a page of 1."""
        short = self.garbage_left_by("/api/articles", 1, "articles")
        for number in range(19):
            make_article(self.writer, f"Article {number}")
        long = self.garbage_left_by("/api/articles", 20, "articles")
        print(f"\n/api/articles: {short} cyclic objects left for 1 article, {long} for 20")
        self.assertLessEqual(long, short)
