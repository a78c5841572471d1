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
