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
        self.assertEqual(counts, {kind: len(data[kind]) for kind in counts})
        self.assertIn("already has users", self.seed())
        self.assertEqual(User.objects.count(), len(data["users"]))
        user = data["users"][0]
        self.assertTrue(User.objects.get(email=user["email"]).check_password(user["password"]))

    def test_seed_0_does_nothing(self) -> None:
        self.assertIn("SEED=0", self.seed(enabled=False))
        self.assertFalse(User.objects.exists())
