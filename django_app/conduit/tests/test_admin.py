"""The admin's pages render, with the annotated counts its list queries add."""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

from django.test import TestCase

from django_app.conduit import services
from django_app.conduit.models import User
from django_app.conduit.tests.helpers import make_article, make_user


class AdminTests(TestCase):
    """A superuser browses every model (createsuperuser makes such a user)."""

    def setUp(self) -> None:
        superuser = User.objects.create_superuser("root@example.com", "root", "password123")
        self.client.force_login(superuser)
        self.article = make_article(make_user("writer"), "Admin", tag_list=["shown"])
        services.favorite_article(user=superuser, slug=self.article.slug)

    def test_lists_show_the_annotated_counts(self) -> None:
        articles = self.client.get("/admin/conduit/article/")
        self.assertContains(articles, '<td class="field-favorite_count">1</td>', html=True)
        tags = self.client.get("/admin/conduit/tag/")
        self.assertContains(tags, '<td class="field-article_count">1</td>', html=True)

    def test_every_page_renders(self) -> None:
        for path in (
            "/admin/conduit/user/",
            "/admin/conduit/user/add/",
            f"/admin/conduit/user/{self.article.author_id}/change/",
            "/admin/conduit/comment/",
            f"/admin/conduit/article/{self.article.pk}/change/",
        ):
            with self.subTest(path):
                self.assertEqual(self.client.get(path).status_code, 200)
