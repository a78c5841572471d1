"""HTTP/1.1 over a bare socket, for what no HTTP client library sends on purpose: request heads
too large to accept, and clients that stop halfway through a request and wait.

These are the requests a server has to survive before any framework code runs, so the tests
that use them check the server each app is served by (its development server in the contract
suite, granian under `make serve-*`).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import httpx

# What a stalled client sends before it goes quiet: a request line and one header, no blank line.
PARTIAL_HEAD = b"GET /api/tags HTTP/1.1\r\nHost: 127.0.0.1\r\n"
# A login whose declared body never arrives: the head is complete, 90 of 100 bytes are missing.
PARTIAL_BODY = (
    b"POST /api/users/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100\r\n\r\n" + b'{"user": {'
)


def address(root_url: str) -> tuple[str, int]:
    url = httpx.URL(root_url)
    return url.host, url.port or 80


def answer_status(root_url: str, request: bytes, timeout: float = 10.0) -> int | None:
    """Send `request` on a new connection and read the status of the answer; None if the server
    closed the connection without one. A server may answer (and close) before the whole request
    is sent, so a send cut short is not a failure: the answer is what counts."""
    with socket.create_connection(address(root_url), timeout=timeout) as connection:
        with suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(request)
        try:
            head = connection.recv(4096)
        except ConnectionResetError:
            return None
    if not head.startswith(b"HTTP/1."):
        return None
    return int(head.split(b" ", 2)[1])


@dataclass(frozen=True)
class KeepAliveOutcome:
    """A request whose body was sent only after a pause, then a GET on the same connection."""

    status: int  # the request's answer
    before_the_body: bool  # the answer came before the body was sent
    said_close: bool  # the answer carried `Connection: close`
    next_status: int | None  # the GET's answer, or None if the server had closed


def _read_answer(connection: socket.socket) -> tuple[int, dict[str, str]] | None:
    """The status and headers of one answer (its body read and dropped); None if the server
    closed the connection first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split(" ", 2)[1]), headers


def request_head(method: str, path: str, length: int, token: str | None = None) -> bytes:
    """The head of a JSON request to /api`path` that declares a body of `length` bytes."""
    auth = f"Authorization: Token {token}\r\n" if token else ""
    return (
        f"{method} /api{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{auth}Content-Length: {length}\r\n\r\n"
    ).encode()


def keep_alive_after_a_late_body(root_url: str, head: bytes, body: bytes) -> KeepAliveOutcome:
    """Send `head`, wait a second (a server may answer without the body: a 413 for its
    declared size, a 401), then the body, then a GET /api/tags on the same connection, as a
    keep-alive client that noticed nothing would."""
    follow_up = b"GET /api/tags HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(address(root_url), timeout=10) as connection:
        connection.sendall(head)
        connection.settimeout(1)
        try:
            answer = _read_answer(connection)
            before_the_body = True
        except TimeoutError:
            connection.settimeout(10)
            connection.sendall(body)
            answer, body, before_the_body = _read_answer(connection), b"", False
        if answer is None:
            raise AssertionError("the server closed the connection without an answer")
        connection.settimeout(10)
        next_answer = None
        with suppress(OSError):
            connection.sendall(body + follow_up)
            next_answer = _read_answer(connection)
    status, headers = answer
    said_close = headers.get("connection", "").lower() == "close"
    next_status = next_answer[0] if next_answer else None
    return KeepAliveOutcome(status, before_the_body, said_close, next_status)


def timed_get(root_url: str, path: str = "/api/tags", timeout: float = 30.0) -> tuple[int, float]:
    """A plain GET on a new connection: its status and how long the answer took, in seconds."""
    started = time.monotonic()
    with httpx.Client(base_url=root_url, timeout=timeout) as client:
        status = client.get(path).status_code
    return status, time.monotonic() - started


class StalledClients:
    """Connections that each sent `prefix` and then nothing; which of them the server closed."""

    def __init__(self, root_url: str, count: int, prefix: bytes) -> None:
        self.connections: list[socket.socket] = []
        for _ in range(count):
            connection = socket.create_connection(address(root_url), timeout=5)
            connection.sendall(prefix)
            self.connections.append(connection)

    def close(self) -> None:
        for connection in self.connections:
            connection.close()

    def closed_by_server(self, within: float) -> int:
        """Wait up to `within` seconds; how many connections the server ended by then (an
        answer such as 408, or a bare close, both end it)."""
        open_ones, deadline = list(self.connections), time.monotonic() + within
        for connection in open_ones:
            connection.settimeout(0.05)
        while open_ones and time.monotonic() < deadline:
            for connection in list(open_ones):
                try:
                    connection.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    pass
                open_ones.remove(connection)
        return len(self.connections) - len(open_ones)


@contextmanager
def stalled_clients(
    root_url: str, count: int, prefix: bytes = PARTIAL_HEAD
) -> Iterator[StalledClients]:
    clients = StalledClients(root_url, count, prefix)
    try:
        yield clients
    finally:
        clients.close()
