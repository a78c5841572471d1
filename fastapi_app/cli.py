"""Command line: `python -m fastapi_app.cli migrate`, `... seed` and `... create-staff`."""

import argparse
import asyncio
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from fastapi_app import schemas, services
from fastapi_app.config import ConfigurationError, Settings, get_settings
from fastapi_app.db import create_engine, create_sessionmaker
from fastapi_app.errors import APIError
from fastapi_app.models import User

ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"
DEMO_DATA = Path(__file__).resolve().parent.parent / "shared_spec" / "demo_data.json"


def alembic_config(database_url: str) -> Config:
    """The app's alembic.ini, aimed at `database_url` (migrations/env.py reads it from here)."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    return config


def migrate(database_url: str) -> None:
    """Apply every migration, creating the SQLite file and its directory if needed."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), "head")


async def seed(settings: Settings, data: dict[str, Any]) -> None:
    """Load the demo data through the services, only into a database without users."""
    if not settings.seed:
        print("SEED=0: not seeding")
        return
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            if await session.scalar(select(func.count()).select_from(User)):
                print("the database already has users: not seeding")
                return
            await _load(session, data)
    finally:
        await engine.dispose()


async def _load(session: AsyncSession, data: dict[str, Any]) -> None:
    """Each record goes through the request schemas first, so it obeys the API's rules; the
    staff login for the admin comes last."""
    users: dict[str, User] = {}
    for record in data["users"]:
        new = schemas.NewUser.model_validate(record)
        user = await services.register_user(
            session=session, username=new.username, email=new.email, password=new.password
        )
        profile = schemas.UpdateUser.model_validate(
            {key: record[key] for key in ("bio", "image") if key in record}
        )
        users[new.username] = await services.update_user(
            session=session, user=user, changes=profile.model_dump(exclude_unset=True)
        )
    _progress("users", len(users), len(data["users"]))

    for follower, followed in data["follows"]:
        await services.follow_user(session=session, user=users[follower], username=followed)
    _progress("follows", len(data["follows"]), len(data["follows"]))

    slugs: dict[str, str] = {}
    for record in data["articles"]:
        new_article = schemas.NewArticle.model_validate(record)
        article = await services.create_article(
            session=session,
            author=users[record["author"]],
            title=new_article.title,
            description=new_article.description,
            body=new_article.body,
            tag_list=new_article.tag_list,
        )
        slugs[record["title"]] = article.slug
    _progress("articles", len(slugs), len(data["articles"]))

    for username, title in data["favorites"]:
        await services.favorite_article(session=session, user=users[username], slug=slugs[title])
    _progress("favorites", len(data["favorites"]), len(data["favorites"]))

    for record in data["comments"]:
        comment = schemas.NewComment.model_validate(record)
        await services.add_comment(
            session=session,
            author=users[record["author"]],
            slug=slugs[record["article"]],
            body=comment.body,
        )
    _progress("comments", len(data["comments"]), len(data["comments"]))

    await _add_staff(session, data["staff"])
    _progress("staff", 1, 1)


async def _add_staff(session: AsyncSession, record: dict[str, Any]) -> tuple[User, bool]:
    """Make the account with this email staff, registering it first (through the request
    schema, so it obeys the API's rules) if there is none. True if it was registered."""
    user = await session.scalar(select(User).where(User.email == record["email"].strip()))
    created = user is None
    if user is None:
        new = schemas.NewUser.model_validate(record)
        user = await services.register_user(
            session=session, username=new.username, email=new.email, password=new.password
        )
    user.is_staff = True
    await session.commit()
    return user, created


async def create_staff(settings: Settings, record: dict[str, Any]) -> str:
    """`create-staff`: a staff account for the admin; what was done, as one line."""
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            user, created = await _add_staff(session, record)
    finally:
        await engine.dispose()
    action = "created staff user" if created else "made staff: existing user"
    return f"{action} {user.username} <{user.email}>"


def _progress(kind: str, done: int, total: int) -> None:
    print(f"seeding {kind} {done}/{total}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fastapi_app.cli", description=__doc__)
    subcommands = parser.add_subparsers(dest="command", required=True)
    subcommands.add_parser("migrate", help="apply the database migrations")
    seed_parser = subcommands.add_parser(
        "seed", help="load the demo data into an empty database (SEED=0 skips it)"
    )
    seed_parser.add_argument("--file", type=Path, default=DEMO_DATA, help="demo data (JSON)")
    staff_parser = subcommands.add_parser(
        "create-staff",
        help="create a staff user for the admin, or make an existing one (by email) staff",
    )
    for option in ("email", "username", "password"):
        staff_parser.add_argument(f"--{option}", help="prompted for when not given")
    arguments = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ConfigurationError as exc:
        sys.exit(f"fastapi_app: {exc}")
    if arguments.command == "create-staff":
        record = {
            "email": arguments.email or input("Email: "),
            "username": arguments.username or input("Username (if new): "),
            "password": arguments.password or getpass.getpass("Password (if new): "),
        }
        try:
            print(asyncio.run(create_staff(settings, record)))
        except ValidationError as exc:
            sys.exit(f"not created: {schemas.one_message_per_field(exc.errors())}")
        except APIError as exc:
            sys.exit(f"not created: {dict(exc.errors)}")
    elif arguments.command == "migrate":
        migrate(settings.database_url)
        print(f"database migrated to the latest revision ({make_url(settings.database_url)!r})")
    elif not arguments.file.is_file():
        sys.exit(f"no demo data at {arguments.file}")
    else:
        asyncio.run(seed(settings, json.loads(arguments.file.read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
