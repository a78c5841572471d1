"""What each request's session holds on SQLite, measured: a slow password check must hold
neither the write lock nor the worker's one connection (db.py), or every request of every
other client would queue behind each login."""

import asyncio
import time

import httpx
import pytest

from fastapi_app import security
from fastapi_app.tests.conftest import register

pytestmark = pytest.mark.anyio

CHECK_SECONDS = 1.0


@pytest.fixture
async def slow_password_check(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Password checks take CHECK_SECONDS; the event is set when one starts."""
    started = asyncio.Event()
    loop = asyncio.get_running_loop()
    verify = security._verify

    def slow_verify(password_hash: str, password: str) -> bool:
        loop.call_soon_threadsafe(started.set)
        time.sleep(CHECK_SECONDS)
        return verify(password_hash, password)

    monkeypatch.setattr(security, "_verify", slow_verify)
    return started


async def test_a_login_does_not_block_writers_while_it_checks_the_password(
    client: httpx.AsyncClient, slow_password_check: asyncio.Event
) -> None:
    await register(client, "alice")
    credentials = {"user": {"email": "alice@example.com", "password": "password123"}}
    login = asyncio.create_task(client.post("/api/users/login", json=credentials))
    await asyncio.wait_for(slow_password_check.wait(), timeout=5)

    began = time.monotonic()
    await register(client, "bob")  # a write, while alice's password is being checked
    waited = time.monotonic() - began

    assert (await login).status_code == 200
    assert waited < CHECK_SECONDS * 0.8, f"the registration waited {waited:.2f}s for the login"
