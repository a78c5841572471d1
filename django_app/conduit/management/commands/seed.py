"""`seed`: load the shared demo data into an empty database, through the API's own rules.

Every record goes through the same serializers and services as an API request, so the demo data
obeys the field rules, slugs and timestamps of real data; the `staff` login is created as
`createsuperuser` creates one, a superuser who may do everything in the admin. Nothing happens
when SEED=0 or when the database already has users, so re-running never duplicates anything.
"""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from rest_framework.serializers import Serializer

from django_app.conduit import services
from django_app.conduit.models import User
from django_app.conduit.serializers import (
    NewArticleSerializer,
    NewCommentSerializer,
    NewUserSerializer,
    UpdateUserSerializer,
)

DEMO_DATA = settings.REPO_ROOT / "shared_spec" / "demo_data.json"


def validated(serializer_class: type[Serializer[None]], data: dict[str, Any]) -> dict[str, Any]:
    """`data` checked by an input serializer, as an API request body would be."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class Command(BaseCommand):
    """python django_app/manage.py seed [--file PATH]."""

    help = "Load shared_spec/demo_data.json into an empty database (SEED=0 turns it off)."

    def add_arguments(self, parser: CommandParser) -> None:
        """--file: another data file in the same format."""
        parser.add_argument("--file", type=Path, default=DEMO_DATA, help="demo data JSON file")

    def handle(self, *args: Any, **options: Any) -> None:
        """Seed users, follows, articles, favorites and comments, or say why not."""
        if not settings.SEED:
            self.stdout.write("seed: SEED=0, not seeding")
            return
        if User.objects.exists():
            self.stdout.write("seed: the database already has users, not seeding")
            return
        data = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        with transaction.atomic():
            self.seed(data)
        self.stdout.write(self.style.SUCCESS("seed: done"))

    def progress(self, kind: str, done: int) -> None:
        """One line per kind of record."""
        self.stdout.write(f"seeding {kind} {done}/{done}")

    def seed(self, data: dict[str, Any]) -> None:
        """Create every record in dependency order, then the staff login."""
        users: dict[str, User] = {}
        for record in data["users"]:
            user = services.register_user(**validated(NewUserSerializer, record))
            profile = {key: record.get(key) for key in ("bio", "image")}
            users[user.username] = services.update_user(
                user=user, changes=validated(UpdateUserSerializer, profile)
            )
        self.progress("users", len(data["users"]))

        for follower, followed in data["follows"]:
            services.follow_user(user=users[follower], username=followed)
        self.progress("follows", len(data["follows"]))

        slugs: dict[str, str] = {}
        for record in data["articles"]:
            article = services.create_article(
                author=users[record["author"]], **validated(NewArticleSerializer, record)
            )
            slugs[record["title"]] = article.slug
        self.progress("articles", len(data["articles"]))

        for username, title in data["favorites"]:
            services.favorite_article(user=users[username], slug=slugs[title])
        self.progress("favorites", len(data["favorites"]))

        for record in data["comments"]:
            services.add_comment(
                author=users[record["author"]],
                slug=slugs[record["article"]],
                **validated(NewCommentSerializer, record),
            )
        self.progress("comments", len(data["comments"]))

        User.objects.create_superuser(**validated(NewUserSerializer, data["staff"]))
        self.progress("staff", 1)
