"""Abuse limits: Login and CreateUser refuse floods from one address, and failed logins for one
account from many addresses, with a 429, the spec's body and Retry-After.

The suite's shared servers run with limits raised out of reach (tests/servers.py); these tests
start their own, with small limits. Most of them trust X-Forwarded-For from 127.0.0.1 and send a
fresh address of the IPv6 documentation range (2001:db8::/32) per simulated client, so no two
tests, and no two runs sharing one Redis, ever count into the same counter.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis

from tests.client import ApiClient, RegisteredUser, assert_error
from tests.servers import LiveServer

pytestmark = [pytest.mark.usefixtures("impl"), pytest.mark.managed_servers]

LIMIT = 3
SMALL_LIMITS = {
    "RATE_LIMITS_ENABLED": "true",
    "RATE_LIMIT_LOGIN_ADDRESS": f"{LIMIT}/minute",
    "RATE_LIMIT_LOGIN_ACCOUNT": f"{LIMIT}/minute",
    "RATE_LIMIT_REGISTER_ADDRESS": f"{LIMIT}/minute",
}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
# One Redis database per app, so that a run of another app's tests never meets these keys.
REDIS_DATABASES = {"flask": 11, "django": 12, "fastapi": 13}

ServerFactory = Callable[..., tuple[LiveServer, ApiClient]]


def new_address() -> str:
    """A client address no other test (or run) uses."""
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}:{secrets.token_hex(2)}"


def from_address(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def login(
    api: ApiClient, email: str, password: str, *, address: str | None = None
) -> httpx.Response:
    return api.post(
        "/users/login",
        json_body={"user": {"email": email, "password": password}},
        headers=from_address(address) if address else None,
    )


def register(api: ApiClient, *, address: str | None = None) -> httpx.Response:
    tag = uuid.uuid4().hex[:10]
    user = {"username": f"u_{tag}", "email": f"u_{tag}@example.com", "password": "long enough"}
    return api.post(
        "/users", json_body={"user": user}, headers=from_address(address) if address else None
    )


def assert_too_many(response: httpx.Response) -> None:
    """The spec's 429: its body and a Retry-After of whole seconds within the minute."""
    assert_error(response, 429, "request", "too many attempts, try again later")
    retry_after = response.headers.get("Retry-After", "")
    assert retry_after.isdecimal(), response.headers
    assert 1 <= int(retry_after) <= 60, retry_after


@pytest.fixture(scope="module")
def start_server(impl: str) -> Iterator[ServerFactory]:
    """Starts servers of `impl` with the small limits; all stopped when the module is done."""
    started: list[tuple[LiveServer, ApiClient]] = []

    def start(database_url: str | None = None, **env: str) -> tuple[LiveServer, ApiClient]:
        server = LiveServer(impl, database_url=database_url, extra_env={**SMALL_LIMITS, **env})
        server.start()
        client = ApiClient(server.root_url, f"{impl}-limited")
        started.append((server, client))
        return server, client

    yield start
    for server, client in started:
        client.close()
        server.stop()


@pytest.fixture(scope="module")
def limited_api(start_server: ServerFactory) -> ApiClient:
    """A server with the small limits that believes X-Forwarded-For from 127.0.0.1."""
    return start_server(TRUSTED_PROXIES="127.0.0.1")[1]


@pytest.fixture
def account(limited_api: ApiClient) -> RegisteredUser:
    tag = uuid.uuid4().hex[:10]
    password = "correct horse battery"
    user = {"username": f"a_{tag}", "email": f"a_{tag}@example.com", "password": password}
    response = limited_api.post(
        "/users", json_body={"user": user}, headers=from_address(new_address())
    )
    assert response.status_code == 201, response.text
    body = response.json()["user"]
    return RegisteredUser(body["username"], body["email"], password, body["token"])


@pytest.mark.operation("Login")
def test_the_fourth_login_from_one_address_is_refused(
    limited_api: ApiClient, account: RegisteredUser
) -> None:
    address = new_address()
    # Every attempt counts per address: a success and failures for other accounts alike.
    assert login(limited_api, account.email, account.password, address=address).status_code == 200
    for _ in range(LIMIT - 1):
        email = f"nobody_{uuid.uuid4().hex[:8]}@example.com"
        assert login(limited_api, email, "wrong password", address=address).status_code == 401
    assert_too_many(login(limited_api, account.email, account.password, address=address))
    # Even a body the API would refuse is refused for its address first.
    refused = limited_api.post(
        "/users/login", json_body={"user": {}}, headers=from_address(address)
    )
    assert_too_many(refused)
    # Another address is not affected.
    assert (
        login(limited_api, account.email, account.password, address=new_address()).status_code
        == 200
    )


@pytest.mark.operation("CreateUser")
def test_the_fourth_registration_from_one_address_is_refused(limited_api: ApiClient) -> None:
    address = new_address()
    for _ in range(LIMIT):
        assert register(limited_api, address=address).status_code == 201
    assert_too_many(register(limited_api, address=address))
    assert register(limited_api, address=new_address()).status_code == 201


@pytest.mark.operation("Login")
def test_failed_logins_for_one_account_are_limited_across_addresses(
    limited_api: ApiClient, account: RegisteredUser
) -> None:
    for _ in range(LIMIT):
        failed = login(limited_api, account.email, "wrong password", address=new_address())
        assert failed.status_code == 401
    # The account is locked for the window, the right password and any spelling of the email too.
    assert_too_many(login(limited_api, account.email, account.password, address=new_address()))
    assert_too_many(
        login(limited_api, f"  {account.email.upper()} ", account.password, address=new_address())
    )
    # Other accounts from the same addresses are not.
    other_email = f"nobody_{uuid.uuid4().hex[:8]}@example.com"
    assert (
        login(limited_api, other_email, "wrong password", address=new_address()).status_code == 401
    )


@pytest.mark.operation("Login")
def test_successful_logins_are_not_counted_per_account(
    limited_api: ApiClient, account: RegisteredUser
) -> None:
    for _ in range(LIMIT * 2):
        response = login(limited_api, account.email, account.password, address=new_address())
        assert response.status_code == 200, response.text


@pytest.mark.operation("Login")
def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(start_server: ServerFactory) -> None:
    # TRUSTED_PROXIES unset: every request counts for the peer, 127.0.0.1, whatever it claims.
    _, api = start_server()
    for _ in range(LIMIT):
        email = f"nobody_{uuid.uuid4().hex[:8]}@example.com"
        assert login(api, email, "wrong password", address=new_address()).status_code == 401
    assert_too_many(login(api, "someone@example.com", "wrong password", address=new_address()))


@pytest.fixture(scope="module")
def redis_url(impl: str) -> str:
    """A Redis database of this machine for the app; missing Redis fails CI, else skips."""
    url = f"{REDIS_URL}/{REDIS_DATABASES[impl]}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {url} ({error}); .ci/run starts one")
        pytest.skip(f"no Redis at {url} ({error})")
    return url


@pytest.mark.operation("Login", "CreateUser")
def test_two_processes_on_one_redis_share_the_limits(
    start_server: ServerFactory, redis_url: str
) -> None:
    server, first = start_server(REDIS_URL=redis_url, TRUSTED_PROXIES="127.0.0.1")
    # The same app on the same database and the same Redis: one service in two processes.
    _, second = start_server(
        server.environment()["DATABASE_URL"], REDIS_URL=redis_url, TRUSTED_PROXIES="127.0.0.1"
    )

    address = new_address()
    assert register(first, address=address).status_code == 201
    assert register(second, address=address).status_code == 201
    assert register(first, address=address).status_code == 201
    assert_too_many(register(second, address=address))

    tag = uuid.uuid4().hex[:10]
    email = f"shared_{tag}@example.com"
    user = {"username": f"s_{tag}", "email": email, "password": "long enough"}
    created = first.post("/users", json_body={"user": user}, headers=from_address(new_address()))
    assert created.status_code == 201
    for api in (first, second, first):
        assert login(api, email, "wrong password", address=new_address()).status_code == 401
    assert_too_many(login(second, email, "long enough", address=new_address()))
