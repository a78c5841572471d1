"""The production servers as an operator runs them, and a load that remembers what was acknowledged.

Each app is started with its own `make serve-<app>` (the Makefile is the one place that says how
an app is deployed), two workers, on a fresh database. Faults are then delivered the way an
orchestrator delivers them: SIGTERM to the server's master process, SIGKILL to one worker.
The load keeps, for every write the server acknowledged with a 2xx, what it wrote, so a test can
check afterwards that nothing acknowledged went missing.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.servers import REPO_ROOT, Commands, LiveServer

WORKERS = 2


def production_server(
    app: str, database_url: str | None = None, settings: dict[str, str] | None = None
) -> LiveServer:
    """A LiveServer that runs `make serve-<app>` (migrations included) with two workers;
    `settings` are more environment variables (the Makefile's `?=` variables among them)."""
    make = (
        "make",
        "--no-print-directory",
        "-s",
        "-C",
        str(REPO_ROOT),
        f"serve-{app}",
        "PORT={port}",
    )
    server = LiveServer(
        app,
        database_url=database_url,
        commands=Commands(migrate=("true",), serve=make),
        extra_env={"WEB_CONCURRENCY": str(WORKERS), **(settings or {})},
    )
    return server


def children(pid: int) -> list[int]:
    """The direct children of a process, from /proc (Linux)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def master_pid(server: LiveServer) -> int:
    """The server's master: the process make started for the recipe's last line."""
    assert server.process is not None
    masters = children(server.process.pid)
    assert len(masters) == 1, f"make should run one server process, found {masters}"
    return masters[0]


def is_alive_worker(pid: int) -> bool:
    """A live worker: not a zombie waiting to be reaped, not multiprocessing's resource tracker
    (uvicorn's supervisor starts one beside its workers)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    return state != "Z" and b"resource_tracker" not in command


def worker_pids(master: int) -> list[int]:
    return [pid for pid in children(master) if is_alive_worker(pid)]


def wait_for_workers(
    master: int, count: int, *, without: int | None = None, timeout: float = 20.0
) -> list[int]:
    """Wait until the master has `count` live workers, none of them `without`; their pids."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = worker_pids(master)
        if len(workers) == count and without not in workers:
            return workers
        time.sleep(0.2)
    raise AssertionError(f"master {master} has workers {worker_pids(master)}, wanted {count}")


@dataclass
class Outcomes:
    """What the load saw: statuses by class, transport failures, and the acknowledged writes."""

    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    acknowledged: list[str] = field(default_factory=list)
    # Requests sent before the fault and answered after it: the ones the server had to finish.
    finished_after_fault: int = 0
    fault_at: float = float("inf")
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())


class CommentLoad:
    """Threads that post comments (a write) and read the article's comments (a read) in turn.

    Each request is on a new connection (no keep-alive), so a refused connection (the listener
    is closed) is told apart from a request the server took and then dropped.
    """

    def __init__(self, root_url: str, token: str, slug: str, threads: int = 6) -> None:
        self.root_url, self.token, self.slug = root_url, token, slug
        self.outcomes = Outcomes()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(number,), daemon=True)
            for number in range(threads)
        ]

    def __enter__(self) -> CommentLoad:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def mark_fault(self) -> None:
        """Note the moment of the fault, just before it is delivered."""
        with self.outcomes.lock:
            self.outcomes.fault_at = time.monotonic()

    def stop(self) -> Outcomes:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)
        return self.outcomes

    def _run(self, number: int) -> None:
        headers = {"Authorization": f"Token {self.token}"}
        comments = f"/api/articles/{self.slug}/comments"
        no_keep_alive = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=self.root_url, limits=no_keep_alive, timeout=30) as client:
            self._loop(number, client, comments, headers)

    def _loop(
        self, number: int, client: httpx.Client, comments: str, headers: dict[str, str]
    ) -> None:
        sent = 0
        while not self.stopping.is_set():
            sent += 1
            body = f"load {os.getpid()}-{number}-{sent}"
            started = time.monotonic()
            try:
                if sent % 2:
                    response = client.post(
                        comments, json={"comment": {"body": body}}, headers=headers
                    )
                else:
                    response = client.get(comments, headers=headers)
            except httpx.TransportError as error:
                with self.outcomes.lock:
                    self.outcomes.transport_errors[type(error).__name__] += 1
                time.sleep(0.05)
                continue
            with self.outcomes.lock:
                self.outcomes.statuses[response.status_code] += 1
                if started < self.outcomes.fault_at < time.monotonic():
                    self.outcomes.finished_after_fault += 1
                if response.status_code == 201:
                    self.outcomes.acknowledged.append(response.json()["comment"]["body"])


def stored_comment_bodies(root_url: str, slug: str) -> set[str]:
    response = httpx.get(f"{root_url}/api/articles/{slug}/comments", timeout=30)
    assert response.status_code == 200, response.text
    return {comment["body"] for comment in response.json()["comments"]}
