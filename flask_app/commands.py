"""CLI: `flask --app flask_app seed` loads the shared demo data through the services."""

import json
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from flask_app import services
from flask_app.config import DEMO_DATA_PATH
from flask_app.extensions import db
from flask_app.models import User
from flask_app.schemas import (
    NewArticleRequestSchema,
    NewCommentRequestSchema,
    NewUserRequestSchema,
    UpdateUserRequestSchema,
)


def _progress(kind: str, done: int, total: int) -> None:
    click.echo(f"seeding {kind} {done}/{total}")


@click.command("seed")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEMO_DATA_PATH,
    show_default=True,
    help="Demo data JSON (users, follows, articles, favorites, comments).",
)
@with_appcontext
def seed_command(path: Path) -> None:
    """Load the demo data into an empty database (skipped when SEED=0 or users exist)."""
    if not current_app.config["SEED"]:
        click.echo("seed: SEED=0, nothing to do")
        return
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("seed: the database already has users, nothing to do")
        return
    if not path.is_file():
        click.echo(f"seed: no demo data file at {path}, nothing to do")
        return
    seed(json.loads(path.read_text(encoding="utf-8")))


def seed(data: dict[str, Any]) -> None:
    """Create the data through the same schemas and services the API uses."""
    users: dict[str, User] = {}
    rows = data.get("users", [])
    for row in rows:
        fields = NewUserRequestSchema().load({"user": row})
        user = services.register_user(**fields)
        profile = UpdateUserRequestSchema().load(
            {"user": {"bio": row.get("bio"), "image": row.get("image")}}
        )
        users[user.username] = services.update_user(user=user, changes=profile)
    _progress("users", len(users), len(rows))

    rows = data.get("follows", [])
    for follower, followed in rows:
        services.follow_user(user=users[follower], username=followed)
    _progress("follows", len(rows), len(rows))

    slugs: dict[str, str] = {}
    rows = data.get("articles", [])
    for row in rows:
        fields = NewArticleRequestSchema().load({"article": row})
        article = services.create_article(author=users[row["author"]], **fields)
        slugs[row["title"]] = article.slug
    _progress("articles", len(slugs), len(rows))

    rows = data.get("favorites", [])
    for username, title in rows:
        services.favorite_article(user=users[username], slug=slugs[title])
    _progress("favorites", len(rows), len(rows))

    rows = data.get("comments", [])
    for row in rows:
        fields = NewCommentRequestSchema().load({"comment": row})
        services.add_comment(author=users[row["author"]], slug=slugs[row["article"]], **fields)
    _progress("comments", len(rows), len(rows))
