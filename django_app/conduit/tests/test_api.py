"""Behaviour the contract suite cannot see from outside, or that is Django-specific."""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

import json
from datetime import timedelta
from typing import Any
from unittest import mock

import jwt
from django.conf import settings
from django.db import OperationalError
from django.test import TestCase
from rest_framework import serializers

from django_app.conduit import services
from django_app.conduit.authentication import password_stamp
from django_app.conduit.models import Comment, Favorite, Tag, utc_now
from django_app.conduit.serializers import (
    ArticlePreviewSerializer,
    ArticleSerializer,
    AuthorSerializer,
    CommentSerializer,
)
from django_app.conduit.tests.helpers import client_for, make_article, make_user


class RequestBodyTests(TestCase):
    """How bodies are read: 415, 413, 400 and 422 for the envelope, in that order."""

    def post_raw(self, body: str, content_type: str | None) -> dict[str, Any]:
        response = client_for().generic("POST", "/api/users", body, content_type=content_type or "")
        return {"status": response.status_code, "body": response.json()}

    def test_empty_body_without_content_type_is_415(self) -> None:
        result = self.post_raw("", None)
        self.assertEqual(result["status"], 415)
        self.assertEqual(result["body"], {"errors": {"request": ["must be application/json"]}})

    def test_empty_json_body_is_400(self) -> None:
        result = self.post_raw("", "application/json")
        self.assertEqual(
            result, {"status": 400, "body": {"errors": {"request": ["is not valid JSON"]}}}
        )

    def test_body_over_one_mebibyte_is_413(self) -> None:
        body = json.dumps({"user": {"username": "x" * (1024 * 1024)}})
        result = self.post_raw(body, "application/json")
        self.assertEqual(result, {"status": 413, "body": {"errors": {"request": ["is too large"]}}})

    def test_json_null_and_lists_are_a_blank_envelope(self) -> None:
        for body in ("null", "[]", '{"user": null}', "{}"):
            with self.subTest(body):
                result = self.post_raw(body, "application/json; charset=utf-8")
                self.assertEqual(result["status"], 422)
                self.assertEqual(result["body"], {"errors": {"user": ["can't be blank"]}})

    def test_envelope_not_an_object(self) -> None:
        result = self.post_raw('{"user": [1]}', "application/json")
        self.assertEqual(result["status"], 422)
        self.assertEqual(result["body"], {"errors": {"user": ["must be an object"]}})

    def test_one_message_per_field_in_rule_order(self) -> None:
        user = {"username": "!" * 70, "email": 5, "password": "   "}
        result = self.post_raw(json.dumps({"user": user}), "application/json")
        self.assertEqual(
            result["body"]["errors"],
            {
                "username": ["is too long (maximum is 64 characters)"],
                "email": ["must be a string"],
                "password": ["can't be blank"],
            },
        )


class RoutingTests(TestCase):
    """Django-level routing answers in the API's error shape."""

    def test_trailing_slash_is_a_json_404_not_a_redirect(self) -> None:
        response = client_for().get("/api/tags/")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"errors": {"route": ["not found"]}})

    def test_wrong_method_is_405_before_authentication(self) -> None:
        response = client_for().patch("/api/user")
        self.assertEqual(response.status_code, 405)
        self.assertEqual(response.json(), {"errors": {"method": ["not allowed"]}})

    def test_unexpected_errors_are_a_json_500_without_internals(self) -> None:
        client = client_for()
        client.raise_request_exception = False
        failure = RuntimeError("secret internals")
        with (
            mock.patch.object(services, "list_tags", side_effect=failure),
            self.assertLogs("django.request", "ERROR") as logs,
        ):
            response = client.get("/api/tags")
        self.assertEqual(response.status_code, 500)
        self.assertEqual(response.json(), {"errors": {"server": ["internal error"]}})
        self.assertIn("secret internals", "\n".join(logs.output))

    def test_bare_options_lists_the_methods_and_preflight_is_answered(self) -> None:
        client = client_for()
        response = client.options("/api/user")  # no token needed to learn the methods
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"")
        self.assertEqual(response.headers["Allow"], "GET, PUT, HEAD, OPTIONS")
        preflight = client.options(
            "/api/articles",
            HTTP_ORIGIN="http://localhost:4100",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        )
        self.assertEqual(preflight.status_code, 200)
        self.assertEqual(preflight.headers["Access-Control-Allow-Origin"], "*")

    def test_health(self) -> None:
        self.assertEqual(client_for().get("/health").json(), {"status": "ok"})

    def test_health_is_503_when_the_database_does_not_answer(self) -> None:
        with mock.patch.object(services, "connection") as connection:
            connection.cursor.side_effect = OperationalError("unable to open database file")
            response = client_for().get("/health")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json(), {"errors": {"database": ["is unavailable"]}})


class TokenTests(TestCase):
    """401 bodies and the WWW-Authenticate challenge."""

    def setUp(self) -> None:
        self.user = make_user("reader")

    def get_user(self, header: str | None) -> tuple[int, dict[str, Any], str | None]:
        client = client_for()
        if header is not None:
            client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get("/api/user")
        return response.status_code, response.json(), response.headers.get("WWW-Authenticate")

    def token(self, **claims: object) -> str:
        now = utc_now()
        payload = {
            "sub": str(self.user.pk),
            "iat": now,
            "exp": now + timedelta(hours=1),
            "pwv": password_stamp(self.user),
        }
        payload.update(claims)
        return jwt.encode(payload, settings.SECRET_KEY, algorithm="HS256")

    def test_missing_invalid_and_expired(self) -> None:
        past = utc_now() - timedelta(hours=1)
        cases = {
            None: "is missing",
            "Token not.a.jwt": "is invalid",
            f"Basic {self.token()}": "is invalid",
            f"Token {jwt.encode({'sub': str(self.user.pk)}, None, algorithm='none')}": "is invalid",
            f"Token {self.token(exp=past)}": "is invalid",
            f"Token {self.token(sub='999999')}": "is invalid",
        }
        for header, message in cases.items():
            with self.subTest(header):
                self.assertEqual(
                    self.get_user(header), (401, {"errors": {"token": [message]}}, "Token")
                )

    def test_bearer_is_accepted_and_the_presented_token_is_returned(self) -> None:
        token = self.token()
        status, body, _ = self.get_user(f"bearer {token}")
        self.assertEqual((status, body["user"]["token"]), (200, token))

    def test_optional_auth_endpoint_rejects_a_bad_header(self) -> None:
        client = client_for()
        client.credentials(HTTP_AUTHORIZATION="Token garbage")
        self.assertEqual(client.get("/api/articles").status_code, 401)

    def test_login_failure_is_the_same_for_unknown_email_and_wrong_password(self) -> None:
        client = client_for()
        bodies = []
        for email, password in [("reader@example.com", "wrong-pass"), ("x@example.com", "pw")]:
            response = client.post(
                "/api/users/login", {"user": {"email": email, "password": password}}, format="json"
            )
            self.assertEqual(response.status_code, 401)
            self.assertEqual(response.headers["WWW-Authenticate"], "Token")
            bodies.append(response.json())
        self.assertEqual(bodies, [{"errors": {"credentials": ["invalid"]}}] * 2)


class ArticleTests(TestCase):
    """Slugs, tags, timestamps, the author rule and cascades."""

    def setUp(self) -> None:
        self.author = make_user("author")
        self.reader = make_user("reader")

    def test_slugify_examples(self) -> None:
        examples = {
            "Crème Brûlée!": "creme-brulee",
            "Hello, World": "hello-world",
            "你好 世界": "你好-世界",
            "!!!": "article",
            "a" * 99 + " b": "a" * 99,
        }
        for title, slug in examples.items():
            with self.subTest(title):
                self.assertEqual(services.slugify(title), slug)

    def test_duplicate_titles_get_numbered_slugs_and_updates_keep_theirs(self) -> None:
        first = make_article(self.author, "Hello, World")
        second = make_article(self.author, "Hello World!")
        self.assertEqual((first.slug, second.slug), ("hello-world", "hello-world-2"))
        response = client_for(self.author).put(
            "/api/articles/hello-world-2", {"article": {"title": "hello world"}}, format="json"
        )
        self.assertEqual(response.json()["article"]["slug"], "hello-world-2")

    def test_tags_are_trimmed_deduplicated_and_sorted(self) -> None:
        response = client_for(self.author).post(
            "/api/articles",
            {
                "article": {
                    "title": "T",
                    "description": "d",
                    "body": "b",
                    "tagList": [" b", "a", "b"],
                }
            },
            format="json",
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json()["article"]["tagList"], ["a", "b"])

    def test_timestamps_are_utc_milliseconds(self) -> None:
        article = make_article(self.author)
        body = client_for().get(f"/api/articles/{article.slug}").json()["article"]
        self.assertRegex(body["createdAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(body["createdAt"], body["updatedAt"])

    def test_only_the_author_may_delete_and_deleting_cascades(self) -> None:
        article = make_article(self.author, tag_list=["kept"])
        services.favorite_article(user=self.reader, slug=article.slug)
        services.add_comment(author=self.reader, slug=article.slug, body="Nice")
        path = f"/api/articles/{article.slug}"
        response = client_for(self.reader).delete(path)
        self.assertEqual(
            (response.status_code, response.json()), (403, {"errors": {"article": ["forbidden"]}})
        )
        self.assertEqual(client_for(self.author).delete(path).status_code, 204)
        self.assertFalse(Comment.objects.exists())
        self.assertFalse(Favorite.objects.exists())
        self.assertFalse(Tag.objects.get(name="kept").articles.exists())
        self.assertEqual(client_for().get("/api/tags").json(), {"tags": []})

    def test_comment_ids_that_are_not_integers_are_not_found(self) -> None:
        article = make_article(self.author)
        for comment_id in ("abc", "99999999999", "1.0", "9" * 5000):
            with self.subTest(comment_id):
                response = client_for(self.author).delete(
                    f"/api/articles/{article.slug}/comments/{comment_id}"
                )
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.json(), {"errors": {"comment": ["not found"]}})

    def test_a_slug_a_concurrent_writer_took_is_picked_again(self) -> None:
        make_article(self.author, "Taken")
        # The first pick is what a writer racing the one that saved "taken" would have seen.
        with mock.patch.object(services, "_unique_slug", side_effect=["taken", "taken-2"]):
            article = make_article(self.author, "Taken")
        self.assertEqual(article.slug, "taken-2")

    def test_tag_ties_are_in_code_point_order_whatever_the_collation(self) -> None:
        for name in ("b", "é", "B", "a", "Z"):
            make_article(self.author, f"About {name}", tag_list=[name])
        make_article(self.author, "Again", tag_list=["b"])
        self.assertEqual(client_for().get("/api/tags").json(), {"tags": ["b", "B", "Z", "a", "é"]})

    def test_pagination_parameters_are_validated(self) -> None:
        for limit in ("0", "101", "1e3", "1.0", " 5", "1_0", "", "9" * 5000):
            with self.subTest(limit=limit[:10]):
                response = client_for().get("/api/articles", {"limit": limit})
                self.assertEqual(response.status_code, 422)
        response = client_for().get("/api/articles", {"limit": "101", "offset": "-1"})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(
            response.json(),
            {
                "errors": {
                    "limit": ["must be an integer between 1 and 100"],
                    "offset": ["must be an integer between 0 and 2147483647"],
                }
            },
        )

    def test_a_repeated_query_parameter_counts_by_its_last_value(self) -> None:
        make_article(self.author, "One")
        make_article(self.author, "Two")
        response = client_for().get("/api/articles?limit=abc&limit=1&tag=none&tag=")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            (len(response.json()["articles"]), response.json()["articlesCount"]), (1, 2)
        )

    def test_a_slug_no_row_can_hold_is_not_found_without_a_lookup_query(self) -> None:
        make_article(self.author, "Kept")
        client = client_for(self.author)
        for method in ("put", "delete"):
            with self.subTest(method), self.assertNumQueries(1):  # the token's user only
                response = getattr(client, method)(
                    "/api/articles/kept%00", {"article": {"body": "b"}}, format="json"
                )
            self.assertEqual(
                (response.status_code, response.json()),
                (404, {"errors": {"article": ["not found"]}}),
            )

    def test_following_yourself_is_422(self) -> None:
        response = client_for(self.author).post("/api/profiles/author/follow")
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json(), {"errors": {"profile": ["cannot follow yourself"]}})


class OutputSerializerTests(TestCase):
    """The output serializers' to_representation writes what DRF's generic path would.

    Their fields document the shape for /openapi.json; the override writes the keys itself, so
    this checks the two agree, keys and key order included.
    """

    def setUp(self) -> None:
        self.reader = make_user("reader")
        self.writer = make_user("writer")
        services.follow_user(user=self.reader, username="writer")
        article = make_article(self.writer, "Tagged", tag_list=["zeta", "alpha"])
        services.favorite_article(user=self.reader, slug=article.slug)
        services.add_comment(author=self.writer, slug=article.slug, body="A comment")
        self.slug = article.slug

    def assert_generic(self, serializer: serializers.Serializer[Any], instance: Any) -> None:
        """The override's output equals the plain Serializer.to_representation's."""
        generic = serializers.Serializer.to_representation(serializer, instance)
        written = serializer.to_representation(instance)
        self.assertEqual(list(written), list(generic))
        self.assertEqual(json.dumps(written), json.dumps(generic))

    def test_article_author_and_comment(self) -> None:
        article = services.get_article(viewer=self.reader, slug=self.slug)
        self.assert_generic(ArticleSerializer(), article)
        self.assert_generic(AuthorSerializer(), article)
        (item,), _ = services.list_articles(
            viewer=self.reader, tag=None, author=None, favorited=None, limit=20, offset=0
        )
        self.assert_generic(ArticlePreviewSerializer(), item)
        self.assertNotIn("body", ArticlePreviewSerializer().to_representation(item))
        (feed_item,), _ = services.feed_articles(user=self.reader, limit=20, offset=0)
        self.assertEqual(
            ArticlePreviewSerializer().to_representation(feed_item),
            ArticlePreviewSerializer().to_representation(item),
        )
        (comment,) = services.list_comments(viewer=self.reader, slug=self.slug)
        self.assert_generic(CommentSerializer(), comment)
