"""Surviving the signals an orchestrator sends, on each app's production server under load.

A deploy sends SIGTERM and expects in-flight requests to finish; the kernel's OOM killer or an
operator sends SIGKILL to one worker and expects the master to replace it. Neither may turn a
request into a 5xx, and nothing the server acknowledged may be missing afterwards.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from tests.client import ApiClient
from tests.faults.production import (
    WORKERS,
    CommentLoad,
    master_pid,
    production_server,
    stored_comment_bodies,
    wait_for_workers,
)
from tests.servers import IMPLEMENTATIONS, LiveServer

pytestmark = [pytest.mark.faults, pytest.mark.parametrize("app", IMPLEMENTATIONS)]


@pytest.fixture
def server(app: str) -> Iterator[LiveServer]:
    running = production_server(app)
    running.start()
    yield running
    running.stop()


def article_under_load(server: LiveServer, app: str) -> tuple[str, str]:
    client = ApiClient(server.root_url, app)
    author = client.register()
    slug = client.create_article(author.token)["slug"]
    return author.token, slug


def test_sigterm_finishes_in_flight_requests_and_loses_no_write(
    server: LiveServer, app: str
) -> None:
    token, slug = article_under_load(server, app)
    master = master_pid(server)
    with CommentLoad(server.root_url, token, slug) as load:
        time.sleep(3)
        load.mark_fault()
        os.kill(master, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while server.process is not None and server.process.poll() is None:
            assert time.monotonic() < deadline, f"{app} did not stop within 30 s of SIGTERM"
            time.sleep(0.1)
        outcomes = load.stop()

    assert outcomes.finished_after_fault > 0, f"nothing was in flight at SIGTERM: {outcomes}"
    assert outcomes.server_errors == 0, f"{app}: 5xx during shutdown: {outcomes.statuses}"
    assert outcomes.acknowledged, "no write was acknowledged"

    # The same database under a new server: every acknowledged comment is there.
    restarted = production_server(app, database_url=server.environment()["DATABASE_URL"])
    restarted.start()
    try:
        missing = set(outcomes.acknowledged) - stored_comment_bodies(restarted.root_url, slug)
    finally:
        restarted.stop()
    assert not missing, f"{app} lost {len(missing)} acknowledged writes"


def test_a_killed_worker_is_replaced_and_nothing_acknowledged_is_lost(
    server: LiveServer, app: str
) -> None:
    token, slug = article_under_load(server, app)
    master = master_pid(server)
    workers = wait_for_workers(master, WORKERS)
    with CommentLoad(server.root_url, token, slug) as load:
        time.sleep(2)
        load.mark_fault()
        os.kill(workers[0], signal.SIGKILL)
        wait_for_workers(master, WORKERS, without=workers[0])
        answered_at_replacement = load.outcomes.answered
        time.sleep(2)
        outcomes = load.stop()

    assert outcomes.answered > answered_at_replacement, f"{app} stopped serving: {outcomes}"
    assert outcomes.server_errors == 0, f"{app}: 5xx around the kill: {outcomes.statuses}"
    missing = set(outcomes.acknowledged) - stored_comment_bodies(server.root_url, slug)
    assert not missing, f"{app} lost {len(missing)} acknowledged writes"
