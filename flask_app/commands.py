"""CLI: `flask --app flask_app seed` loads the shared demo data through the services, and
`flask --app flask_app create-staff` makes an account that may sign in to the admin."""

import json
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy import func, select

from flask_app import services
from flask_app.config import DEMO_DATA_PATH
from flask_app.errors import APIError, one_line
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

    staff = [data["staff"]] if "staff" in data else []
    for row in staff:
        make_staff(email=row["email"], username=row["username"], password=row["password"])
    _progress("staff", len(staff), len(staff))


def make_staff(*, email: str, username: str | None, password: str | None) -> tuple[User, bool]:
    """The account with `email`, made staff; created (by the API's rules) when there is none.

    Returns the user and whether it was created. A new account needs a username and password.
    """
    user = db.session.scalar(select(User).where(User.email == email))
    created = user is None
    if user is None:
        fields = NewUserRequestSchema().load(
            {"user": {"username": username, "email": email, "password": password}}
        )
        user = services.register_user(**fields)
    user.is_staff = True
    db.session.commit()
    return user, created


@click.command("create-staff")
@click.option("--email", prompt=True, help="The account's email (the admin's sign-in).")
@click.option("--username", help="For a new account; prompted for when needed.")
@click.option("--password", help="For a new account; prompted for (hidden) when needed.")
@with_appcontext
def create_staff_command(email: str, username: str | None, password: str | None) -> None:
    """Create a staff user who may sign in to /admin/, or make an existing user staff."""
    if db.session.scalar(select(User.id).where(User.email == email)) is None:
        username = username or click.prompt("Username")
        password = password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, created = make_staff(email=email, username=username, password=password)
    except ValidationError as error:
        raise click.ClickException(one_line(error.messages_dict)) from None
    except APIError as error:
        raise click.ClickException(one_line(dict(error.errors))) from None
    action = "created staff user" if created else "made staff"
    click.echo(f"create-staff: {action} {user.username} <{user.email}>")
