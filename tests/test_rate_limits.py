"""Abuse limits: Login and CreateUser refuse floods from one address, and failed logins for one
account from many addresses, with a 429, the spec's body and Retry-After.

The suite's shared servers run with limits raised out of reach (tests/servers.py); these tests
start their own, with small limits. Most of them trust X-Forwarded-For from 127.0.0.1 and send a
fresh address of the IPv6 documentation range (2001:db8::/32) per simulated client, so no two
tests, and no two runs sharing one Redis, ever count into the same counter.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis

from tests.client import ApiClient, RegisteredUser, assert_error
from tests.servers import LiveServer, free_port

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
@pytest.mark.parametrize(
    ("registered", "failing", "locked"),
    [
        # Case only: a lowercasing key would count these as one too.
        pytest.param(
            "Jake_{}@Example.com", "jake_{}@EXAMPLE.com", "JAKE_{}@example.COM", id="case"
        ),
        # Case folding: "ß" folds to "ss", which lowercasing leaves apart.
        pytest.param("straße_{}@x.io", "STRASSE_{}@x.io", "strasse_{}@X.IO", id="case-folding"),
    ],
)
def test_the_account_limit_counts_every_spelling_login_matches(
    limited_api: ApiClient, registered: str, failing: str, locked: str
) -> None:
    """The per-account key is the email as Login matches it (canonical_email): failures with
    one spelling lock out every spelling that signs in to that account."""
    tag = uuid.uuid4().hex[:10]
    password = "correct horse battery"
    new_user = {"username": f"k_{tag}", "email": registered.format(tag), "password": password}
    created = limited_api.post(
        "/users", json_body={"user": new_user}, headers=from_address(new_address())
    )
    assert created.status_code == 201, created.text
    # Each spelling signs in to the account: Login matches them all.
    for spelling in (registered, failing, locked):
        email = spelling.format(tag)
        assert login(limited_api, email, password, address=new_address()).status_code == 200
    for _ in range(LIMIT):
        failed = login(limited_api, failing.format(tag), "wrong password", address=new_address())
        assert failed.status_code == 401
    for spelling in (registered, failing, locked):
        email = spelling.format(tag)
        assert_too_many(login(limited_api, email, password, address=new_address()))


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


def store_warnings(server: LiveServer) -> list[dict[str, Any]]:
    """The server's warnings that name a counter store (its outage warnings)."""
    records = []
    for line in server.log_path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("level") == "WARNING" and "store" in record:
            records.append(record)
    return records


@pytest.mark.operation("Login", "CreateUser")
def test_an_unreachable_redis_falls_back_to_each_process_memory(
    start_server: ServerFactory,
) -> None:
    # Nobody listens on this port: every Redis command fails at once with ConnectionError.
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    server, api = start_server(REDIS_URL=dead_redis, TRUSTED_PROXIES="127.0.0.1")

    address = new_address()
    for _ in range(LIMIT):
        assert register(api, address=address).status_code == 201
    assert_too_many(register(api, address=address))

    created = register(api, address=new_address())
    assert created.status_code == 201, created.text
    email = created.json()["user"]["email"]
    address = new_address()
    assert login(api, email, "long enough", address=address).status_code == 200
    for _ in range(LIMIT - 1):
        assert login(api, email, "wrong password", address=address).status_code == 401
    assert_too_many(login(api, email, "long enough", address=address))
    # The per-account limit counts in memory too: a third failure, from another address, locks it.
    assert login(api, email, "wrong password", address=new_address()).status_code == 401
    assert_too_many(login(api, email, "long enough", address=new_address()))

    warnings = store_warnings(server)
    assert len(warnings) == 1, warnings  # one for the outage, not one per request
    assert warnings[0]["store"] == dead_redis
    assert warnings[0]["error"] == "ConnectionError"


@pytest.fixture
def hanging_redis() -> Iterator[str]:
    """A port that accepts connections and never answers, as a stuck Redis does."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            held.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()
    for connection in held:
        connection.close()


@pytest.mark.operation("CreateUser")
def test_a_redis_that_hangs_does_not_stall_requests(
    start_server: ServerFactory, hanging_redis: str
) -> None:
    # Without socket timeouts, the first command would wait for the client's 30 s timeout.
    server, api = start_server(REDIS_URL=hanging_redis, TRUSTED_PROXIES="127.0.0.1")
    address = new_address()
    for _ in range(LIMIT):
        started = time.monotonic()
        assert register(api, address=address).status_code == 201
        assert time.monotonic() - started < 5
    assert_too_many(register(api, address=address))
    assert [record["error"] for record in store_warnings(server)] == ["TimeoutError"]


class RedisServer:
    """A private redis-server on a free port, with nothing saved to disk, to stop and restart."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not answer in 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)

    def holds_a_key_with(self, text: str) -> bool:
        return any(text in key.decode() for key in self.client().scan_iter())


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own; missing redis-server fails CI, else skips."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; CI needs it for the outage tests")
        pytest.skip("redis-server is not installed (needed to stop and restart a Redis)")
    server = RedisServer(binary)
    server.start()
    yield server
    server.stop()


def counts_in(store: RedisServer, api: ApiClient, timeout: float = 60.0) -> bool:
    """Whether, within `timeout`, an attempt's counter shows up in `store` (each attempt from a
    fresh address, whose key then names it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        address = new_address()
        email = f"nobody_{uuid.uuid4().hex[:8]}@example.com"
        assert login(api, email, "wrong password", address=address).status_code == 401
        if store.holds_a_key_with(address):
            return True
        time.sleep(0.5)
    return False


@pytest.mark.operation("Login", "CreateUser")
def test_a_redis_that_comes_back_is_used_again(
    start_server: ServerFactory, private_redis: RedisServer
) -> None:
    server, first = start_server(REDIS_URL=private_redis.url, TRUSTED_PROXIES="127.0.0.1")
    second_server, second = start_server(
        server.environment()["DATABASE_URL"],
        REDIS_URL=private_redis.url,
        TRUSTED_PROXIES="127.0.0.1",
    )
    assert counts_in(private_redis, first, timeout=5), "the first process never counted in Redis"

    private_redis.stop()
    for api in (first, second):
        assert register(api, address=new_address()).status_code == 201
    assert len(store_warnings(server)) == len(store_warnings(second_server)) == 1

    private_redis.start()  # the same port, empty
    assert counts_in(private_redis, first), "the first process never counted in Redis again"
    assert counts_in(private_redis, second), "the second process never counted in Redis again"
    # One shared limit again, as before the outage.
    address = new_address()
    assert register(first, address=address).status_code == 201
    assert register(second, address=address).status_code == 201
    assert register(first, address=address).status_code == 201
    assert_too_many(register(second, address=address))
