"""Fixtures: each test gets its own app on a fresh SQLite database built by the real migrations."""

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fastapi_app.cli import migrate
from fastapi_app.config import Settings
from fastapi_app.main import create_app

TEST_SECRET_KEY = "fastapi-app-tests-secret-key-0123456789abcdef"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per run; every test works on a copy of the result."""
    path = tmp_path_factory.mktemp("template") / "conduit.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(migrated_database: Path, tmp_path: Path) -> Settings:
    database = tmp_path / "conduit.sqlite3"
    shutil.copyfile(migrated_database, database)
    return Settings(
        database_url=f"sqlite:///{database}", secret_key=TEST_SECRET_KEY, app_env="development"
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


async def register(client: httpx.AsyncClient, username: str) -> str:
    """Register `username` and return its token."""
    response = await client.post(
        "/api/users",
        json={
            "user": {
                "username": username,
                "email": f"{username}@example.com",
                "password": "password123",
            }
        },
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["user"]["token"]
    return token


async def create_article(client: httpx.AsyncClient, token: str, **fields: Any) -> dict[str, Any]:
    article = {"title": "A title", "description": "About it", "body": "The text", **fields}
    response = await client.post("/api/articles", json={"article": article}, headers=auth(token))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["article"]
    return created
