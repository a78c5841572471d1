"""The admin: staff only, CSRF-protected, and edits keep the API's rules.

Staff sign in with their API email and password. A non-staff user and an anonymous visitor are
sent to the login page from every admin URL; a POST without the CSRF token is refused. Editing
an article's title gives it a new unique slug that the API serves; deleting through the admin
removes what depends on the row, and an unused tag drops out of GetTags.
"""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Model
from django.test import Client, TestCase, override_settings
from django.urls import reverse

from django_app.conduit import services
from django_app.conduit.management.commands.seed import DEMO_DATA
from django_app.conduit.models import Article, Comment, Favorite, Follow, Tag, User
from django_app.conduit.tests.helpers import client_for, make_article, make_user
from django_app.conduit.tests.test_docs import REFERENCE
from django_app.conduit.tests.test_settings import load_settings

if TYPE_CHECKING:
    # The test client's response type, which exists only in django-stubs.
    from django.test.client import _MonkeyPatchedWSGIResponse

PASSWORD = "password123"


def admin_urls(rows: dict[type[Model], Model]) -> list[str]:
    """Every page of every registered model, for the given row of each, and the index pages."""
    labels = sorted({model._meta.app_label for model in admin.site._registry})
    urls = [reverse("admin:index")]
    urls += [reverse("admin:app_list", args=[label]) for label in labels]
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        row = rows[model].pk
        urls += [reverse(f"{name}_changelist"), reverse(f"{name}_add")]
        urls += [reverse(f"{name}_{page}", args=[row]) for page in ("change", "delete", "history")]
    urls.append(reverse("admin:auth_user_password_change", args=[rows[User].pk]))
    return urls


def elsewhere(html: str) -> list[str]:
    """What the page loads or links to on another host (the SVG namespace URL is neither)."""
    return [ref for ref in REFERENCE.findall(html) if urlparse(ref).scheme or ref.startswith("//")]


def change_form_data(response: "_MonkeyPatchedWSGIResponse") -> dict[str, Any]:
    """What the change page in `response` posts back when nothing is edited."""
    context: Any = response.context
    forms = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is not None and not field.field.disabled:
                data[field.html_name] = value
    return data


class AdminTests(TestCase):
    """A staff superuser (what `seed` and `createsuperuser` make) and everyone else."""

    def setUp(self) -> None:
        self.staff = User.objects.create_superuser("root@example.com", "root", PASSWORD)
        self.writer = make_user("writer")
        self.reader = make_user("reader")
        self.article = make_article(self.writer, "Admin", tag_list=["shown"])
        services.favorite_article(user=self.reader, slug=self.article.slug)
        services.follow_user(user=self.reader, username="writer")
        self.comment = services.add_comment(author=self.reader, slug=self.article.slug, body="Hi")
        self.rows: dict[type[Model], Model] = {
            User: self.writer,
            Article: self.article,
            Comment: self.comment,
            Tag: Tag.objects.get(name="shown"),
            Group: Group.objects.create(name="moderators"),
        }

    def staff_client(self) -> Client:
        """A browser signed in as staff."""
        client = Client()
        client.force_login(self.staff)
        return client

    def test_staff_sign_in_with_their_api_email_and_password(self) -> None:
        client = Client(enforce_csrf_checks=True)
        login_page = client.get(reverse("admin:login"))
        self.assertContains(login_page, "Email")
        response = client.post(
            reverse("admin:login"),
            {
                "username": "root@example.com",
                "password": PASSWORD,
                "csrfmiddlewaretoken": login_page.context["csrf_token"],
                "next": reverse("admin:index"),
            },
        )
        self.assertRedirects(response, reverse("admin:index"))
        self.assertContains(client.get(reverse("admin:index")), "Site administration")

    def test_the_session_and_csrf_cookies_are_http_only_and_same_site(self) -> None:
        client = Client()
        client.get(reverse("admin:login"))
        client.post(reverse("admin:login"), {"username": "root@example.com", "password": PASSWORD})
        for name in ("sessionid", "csrftoken"):
            with self.subTest(name):
                cookie = client.cookies[name]
                self.assertTrue(cookie["httponly"])
                self.assertEqual(cookie["samesite"], "Lax")
                self.assertFalse(cookie["secure"])
        production = load_settings(APP_ENV="production", SECRET_KEY="a-private-key-" + "x" * 32)
        self.assertTrue(production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE)

    def test_the_front_door_shows_the_demo_staff_login_outside_production(self) -> None:
        staff = json.loads(DEMO_DATA.read_text(encoding="utf-8"))["staff"]
        self.assertContains(Client().get("/"), staff["password"])
        with override_settings(APP_ENV="production"):
            home = Client().get("/")
        self.assertNotContains(home, staff["password"])
        self.assertContains(home, reverse("admin:index"))

    def test_staff_see_every_page_and_nothing_from_another_host(self) -> None:
        client = self.staff_client()
        for url in admin_urls(self.rows):
            with self.subTest(url):
                response = client.get(url)
                if url == reverse("admin:conduit_article_add"):
                    self.assertEqual(response.status_code, 403)
                    continue
                self.assertEqual(response.status_code, 200)
                self.assertEqual(elsewhere(response.content.decode()), [])

    def test_a_non_staff_user_and_an_anonymous_visitor_are_sent_to_the_login_page(self) -> None:
        signed_in = Client()
        signed_in.force_login(self.reader)
        for who, client in (("user", signed_in), ("anonymous", Client())):
            for url in admin_urls(self.rows):
                for method in ("get", "post"):
                    with self.subTest(who, url=url, method=method):
                        response = getattr(client, method)(url)
                        self.assertEqual(response.status_code, 302)
                        self.assertTrue(response["Location"].startswith(reverse("admin:login")))
        self.assertTrue(Article.objects.filter(pk=self.article.pk).exists())
        login = signed_in.post(
            reverse("admin:login"), {"username": "reader@example.com", "password": PASSWORD}
        )
        self.assertContains(login, "staff account")

    def test_a_post_without_the_csrf_token_is_refused(self) -> None:
        client = Client(enforce_csrf_checks=True)
        login = client.post(
            reverse("admin:login"), {"username": "root@example.com", "password": PASSWORD}
        )
        self.assertEqual(login.status_code, 403)
        client.force_login(self.staff)
        change = reverse("admin:conduit_article_change", args=[self.article.pk])
        data = change_form_data(client.get(change)) | {"title": "Forged"}
        self.assertEqual(client.post(change, data).status_code, 403)
        delete = reverse("admin:conduit_article_delete", args=[self.article.pk])
        self.assertEqual(client.post(delete, {"post": "yes"}).status_code, 403)
        self.article.refresh_from_db()
        self.assertEqual(self.article.title, "Admin")

    def test_lists_show_the_annotated_counts(self) -> None:
        client = self.staff_client()
        articles = client.get("/admin/conduit/article/")
        self.assertContains(articles, '<td class="field-favorite_count">1</td>', html=True)
        tags = client.get("/admin/conduit/tag/")
        self.assertContains(tags, '<td class="field-article_count">1</td>', html=True)

    def test_lists_search_and_filter(self) -> None:
        client = self.staff_client()
        make_article(self.reader, "Other", tag_list=["hidden"])
        for url, shown, hidden in (
            ("/admin/conduit/article/?q=Admin", "Admin", "Other"),
            (f"/admin/conduit/article/?tags__id__exact={self.rows[Tag].pk}", "Admin", "Other"),
            ("/admin/conduit/user/?q=writer", "writer@example.com", "reader@example.com"),
            ("/admin/conduit/tag/?q=hid", "hidden", "shown"),
        ):
            with self.subTest(url):
                response = client.get(url)
                self.assertContains(response, shown)
                self.assertNotContains(response, hidden)

    def test_a_new_title_gives_a_new_unique_slug_that_the_api_serves(self) -> None:
        taken = make_article(self.reader, "Taken title")
        client = self.staff_client()
        change = reverse("admin:conduit_article_change", args=[self.article.pk])
        data = change_form_data(client.get(change)) | {"title": "Taken title"}
        response = client.post(change, data)
        self.assertRedirects(response, reverse("admin:conduit_article_changelist"))
        self.article.refresh_from_db()
        self.assertEqual(self.article.slug, f"{taken.slug}-2")
        api = client_for()
        self.assertEqual(api.get("/api/articles/admin").status_code, 404)
        served = api.get(f"/api/articles/{self.article.slug}").json()["article"]
        self.assertEqual((served["title"], served["tagList"]), ("Taken title", ["shown"]))
        self.assertEqual(api.get(f"/api/articles/{taken.slug}").status_code, 200)

    def test_another_spelling_of_a_taken_username_or_email_is_a_form_error(self) -> None:
        client = self.staff_client()
        change = reverse("admin:conduit_user_change", args=[self.writer.pk])
        form = change_form_data(client.get(change))
        for field, variant in (("username", "READER"), ("email", "Reader@Example.COM")):
            with self.subTest(field):
                response = client.post(change, form | {field: variant})
                self.assertEqual(response.status_code, 200)
                self.assertIn(field, response.context["adminform"].form.errors)
        self.writer.refresh_from_db()
        self.assertEqual(
            (self.writer.username, self.writer.email), ("writer", "writer@example.com")
        )
        renamed = client.post(change, form | {"username": "WRITER"})
        self.assertRedirects(renamed, reverse("admin:conduit_user_changelist"))
        self.writer.refresh_from_db()
        self.assertEqual((self.writer.username, self.writer.username_key), ("WRITER", "writer"))

    def test_the_slug_cannot_be_edited_by_hand(self) -> None:
        client = self.staff_client()
        change = reverse("admin:conduit_article_change", args=[self.article.pk])
        data = change_form_data(client.get(change)) | {"slug": "feed", "body": "Edited"}
        client.post(change, data)
        self.article.refresh_from_db()
        self.assertEqual((self.article.slug, self.article.body), ("admin", "Edited"))

    def test_a_tag_on_no_article_drops_out_of_get_tags(self) -> None:
        client = self.staff_client()
        change = reverse("admin:conduit_article_change", args=[self.article.pk])
        data = change_form_data(client.get(change))
        del data["tags"]
        client.post(change, data)
        self.assertEqual(client_for().get("/api/tags").json(), {"tags": []})
        self.assertTrue(Tag.objects.filter(name="shown").exists())

    def test_deleting_an_article_deletes_its_comments_favorites_and_tag_links(self) -> None:
        client = self.staff_client()
        delete = reverse("admin:conduit_article_delete", args=[self.article.pk])
        self.assertEqual(client.post(delete, {"post": "yes"}).status_code, 302)
        self.assertFalse(Comment.objects.exists())
        self.assertFalse(Favorite.objects.exists())
        self.assertFalse(Article.tags.through.objects.exists())
        self.assertEqual(client_for().get("/api/articles/admin").status_code, 404)
        self.assertEqual(client_for().get("/api/tags").json(), {"tags": []})

    def test_deleting_a_user_deletes_their_articles_comments_favorites_and_follows(self) -> None:
        make_article(self.reader, "By the reader")
        client = self.staff_client()
        delete = reverse("admin:conduit_user_delete", args=[self.reader.pk])
        self.assertEqual(client.post(delete, {"post": "yes"}).status_code, 302)
        self.assertFalse(Comment.objects.exists())
        self.assertFalse(Favorite.objects.exists())
        self.assertFalse(Follow.objects.exists())
        self.assertEqual(
            list(Article.objects.values_list("author__username", flat=True)), ["writer"]
        )
        self.assertEqual(client_for().get("/api/profiles/reader").status_code, 404)
        article = client_for().get("/api/articles/admin").json()["article"]
        self.assertEqual(article["favoritesCount"], 0)
