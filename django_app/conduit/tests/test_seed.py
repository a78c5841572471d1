"""The seed command loads the shared demo data once, through the services."""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

import json
from io import StringIO

from django.core.management import call_command
from django.test import TestCase, override_settings

from django_app.conduit.management.commands.seed import DEMO_DATA
from django_app.conduit.models import Article, Comment, Favorite, Follow, User


class SeedTests(TestCase):
    """python django_app/manage.py seed."""

    def seed(self, *, enabled: bool = True) -> str:
        out = StringIO()
        with override_settings(SEED=enabled):
            call_command("seed", stdout=out)
        return out.getvalue()

    def test_seeds_an_empty_database_once(self) -> None:
        data = json.loads(DEMO_DATA.read_text(encoding="utf-8"))
        output = self.seed()
        self.assertIn(f"seeding users {len(data['users'])}/{len(data['users'])}", output)
        counts = {
            "users": User.objects.count(),
            "follows": Follow.objects.count(),
            "articles": Article.objects.count(),
            "favorites": Favorite.objects.count(),
            "comments": Comment.objects.count(),
        }
        expected = {kind: len(data[kind]) for kind in counts} | {"users": len(data["users"]) + 1}
        self.assertEqual(counts, expected)
        self.assertIn("already has users", self.seed())
        self.assertEqual(User.objects.count(), len(data["users"]) + 1)
        user = data["users"][0]
        self.assertTrue(User.objects.get(email=user["email"]).check_password(user["password"]))
        self.assertFalse(User.objects.get(email=user["email"]).is_staff)

    def test_seeds_the_staff_login_as_a_superuser(self) -> None:
        self.seed()
        staff = json.loads(DEMO_DATA.read_text(encoding="utf-8"))["staff"]
        user = User.objects.get(email=staff["email"])
        self.assertEqual(user.username, staff["username"])
        self.assertTrue(user.check_password(staff["password"]))
        self.assertTrue(user.is_active and user.is_staff and user.is_superuser)
        self.assertEqual(User.objects.filter(is_staff=True).count(), 1)

    def test_seed_0_does_nothing(self) -> None:
        self.assertIn("SEED=0", self.seed(enabled=False))
        self.assertFalse(User.objects.exists())
