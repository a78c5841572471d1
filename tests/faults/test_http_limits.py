"""The production server's HTTP layer against hostile clients: heads too large, clients that
stop halfway through a request (slowloris), and answers that leave a request's body unread.

`make serve-*` runs granian for all three apps with a 16 KB request head and a header read
timeout (HEADER_TIMEOUT_MS, lowered here so the test is quick). Stalled clients outnumber the
server's request threads (2 workers x 4 threads for the WSGI apps) in every test, so a server
that gave each one a thread would have nothing left for the normal request.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.faults.production import production_server
from tests.rawhttp import (
    PARTIAL_BODY,
    answer_status,
    keep_alive_after_a_late_body,
    request_head,
    stalled_clients,
    timed_get,
)
from tests.servers import IMPLEMENTATIONS, LiveServer

pytestmark = pytest.mark.faults
every_app = pytest.mark.parametrize("app", IMPLEMENTATIONS)

HEADER_TIMEOUT_S = 2
STALLED = 40


@pytest.fixture
def server(app: str) -> Iterator[LiveServer]:
    running = production_server(app, settings={"HEADER_TIMEOUT_MS": str(HEADER_TIMEOUT_S * 1000)})
    running.start()
    yield running
    running.stop()


@every_app
@pytest.mark.parametrize("size", [20_000, 64 * 1024 * 1024])
def test_a_head_over_16_kb_is_refused_at_once(server: LiveServer, size: int) -> None:
    """20 KB passes the development servers' 64 KB line limit; 64 MB is the header that once
    kept a uvicorn worker parsing for seconds."""
    head = b"GET /api/tags HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * size + b"\r\n\r\n"
    started = time.monotonic()
    assert answer_status(server.root_url, head) == 431
    assert time.monotonic() - started < 3
    status, seconds = timed_get(server.root_url)
    assert (status, seconds < 1) == (200, True), f"{status} after {seconds:.2f} s"


@every_app
def test_clients_stalled_in_their_headers_are_cut_off_and_delay_no_one(server: LiveServer) -> None:
    with stalled_clients(server.root_url, STALLED) as clients:
        time.sleep(0.3)
        status, seconds = timed_get(server.root_url)
        assert (status, seconds < 1) == (200, True), f"{status} after {seconds:.2f} s"
        closed = clients.closed_by_server(within=HEADER_TIMEOUT_S + 3)
    assert closed == STALLED, f"{STALLED - closed} stalled clients still connected"


# Only the ASGI app: FastAPI awaits a body without holding a thread. A WSGI app reads its body
# on a worker thread (under any WSGI server, granian and gunicorn alike), so a Flask or Django
# deployment that faces slow uploads puts a buffering proxy in front: see "Production server" in
# README.md.
@pytest.mark.parametrize("app", ["fastapi"])
def test_clients_stalled_in_their_bodies_leave_the_async_app_serving(server: LiveServer) -> None:
    with stalled_clients(server.root_url, STALLED, PARTIAL_BODY):
        time.sleep(0.3)
        status, seconds = timed_get(server.root_url)
    assert (status, seconds < 1) == (200, True), f"{status} after {seconds:.2f} s"


@every_app
def test_an_answer_that_leaves_the_body_unread_closes_the_connection(server: LiveServer) -> None:
    """granian drops such a connection after the answer without saying so, and a keep-alive
    client's next request on it got no answer (tests/test_http.py has the contract side)."""
    length = 1024 * 1024 + 100
    body = b"{" + b" " * (length - 2) + b"}"
    outcome = keep_alive_after_a_late_body(
        server.root_url, request_head("POST", "/users", length), body
    )
    assert (outcome.status, outcome.before_the_body, outcome.said_close) == (413, True, True)


@every_app
def test_an_answer_to_a_body_read_whole_keeps_the_connection(server: LiveServer) -> None:
    """The reverse: keep-alive stays for the requests whose body the app read."""
    name = f"kept{uuid.uuid4().hex[:8]}"
    user = {"username": name, "email": f"{name}@example.com", "password": "a long password"}
    registered = httpx.post(f"{server.root_url}/api/users", json={"user": user}, timeout=10)
    token = registered.json()["user"]["token"]
    body = json.dumps({"user": {"bio": "kept alive"}}).encode()
    head = request_head("PUT", "/user", len(body), token)
    outcome = keep_alive_after_a_late_body(server.root_url, head, body)
    assert (outcome.status, outcome.said_close, outcome.next_status) == (200, False, 200), outcome
