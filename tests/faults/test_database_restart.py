"""PostgreSQL restarts under load: clean 503s while it is down, full service soon after it returns.

The test restarts a PostgreSQL cluster of its own (Debian's `pg_createcluster`, port 5433,
created on first use), never the shared one on 5432, so other test runs on the machine are not
disturbed. It needs root and Debian's PostgreSQL tools, and is opt-in: `make test-faults`.
While the database is down the app must answer, quickly and in the spec's error shape, 503 from
/health and from the API; within 5 s of the database accepting connections again every request
must succeed, without restarting the app, and nothing acknowledged may be missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.client import ApiClient
from tests.faults.production import CommentLoad, production_server, stored_comment_bodies
from tests.servers import IMPLEMENTATIONS, LiveServer, PostgresDatabases

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.parametrize("app", IMPLEMENTATIONS),
]
RECOVERY_SECONDS = 5.0
CLUSTER, PORT = "faults", "5433"
ADMIN_URL = f"postgresql://postgres@127.0.0.1:{PORT}/postgres"


def cluster() -> list[str]:
    """`pg_ctlcluster VERSION faults`, creating that cluster the first time."""
    versions = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").exists() else []
    if not versions or shutil.which("pg_createcluster") is None or os.geteuid() != 0:
        pytest.fail("make test-faults needs root and Debian's postgresql-common (pg_createcluster)")
    version = versions[-1].name
    if not (Path("/etc/postgresql") / version / CLUSTER).exists():
        subprocess.run(
            ["pg_createcluster", version, CLUSTER, "--port", PORT, "--",
             "--auth-local=trust", "--auth-host=trust"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    control = ["pg_ctlcluster", "--skip-systemctl-redirect", version, CLUSTER]
    if not accepting_connections():
        subprocess.run([*control, "start"], check=True)
        wait_until_accepting()
    return control


def accepting_connections() -> bool:
    command = ["pg_isready", "-h", "127.0.0.1", "-p", PORT, "-q"]
    return subprocess.run(command, check=False).returncode == 0


def wait_until_accepting(timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not accepting_connections():
        assert time.monotonic() < deadline, f"PostgreSQL on port {PORT} did not come up"
        time.sleep(0.1)


@pytest.fixture
def server(app: str) -> Iterator[LiveServer]:
    control = cluster()
    databases = PostgresDatabases(ADMIN_URL)
    running = production_server(app, database_url=databases.create(f"faults_{app}"))
    running.start()
    yield running
    running.stop()
    if not accepting_connections():
        subprocess.run([*control, "start"], check=True)
        wait_until_accepting()
    databases.drop_all()


def is_clean_unavailable(response: httpx.Response) -> bool:
    """503 with the spec's error body: what a client can act on (retry later)."""
    if response.status_code != 503:
        return False
    body = response.json()
    return isinstance(body, dict) and isinstance(body.get("errors"), dict) and bool(body["errors"])


def test_restarting_postgres_gives_503_then_full_service(server: LiveServer, app: str) -> None:
    control = cluster()
    client = ApiClient(server.root_url, app)
    author = client.register()
    slug = client.create_article(author.token)["slug"]

    with CommentLoad(server.root_url, author.token, slug, threads=4) as load:
        time.sleep(2)
        subprocess.run([*control, "stop", "-m", "fast"], check=True)
        try:
            time.sleep(1)
            with httpx.Client(base_url=server.root_url, timeout=10) as probe:
                health = probe.get("/health")
                articles = probe.get("/api/articles")
                comment = probe.post(
                    f"/api/articles/{slug}/comments",
                    json={"comment": {"body": "while the database is down"}},
                    headers={"Authorization": f"Token {author.token}"},
                )
        finally:
            subprocess.run([*control, "start"], check=True)
        wait_until_accepting()
        returned = time.monotonic()
        with httpx.Client(base_url=server.root_url, timeout=10) as probe:
            while True:
                recovered = [
                    probe.get("/health").status_code,
                    probe.get("/api/articles").status_code,
                    probe.get(f"/api/articles/{slug}/comments").status_code,
                ]
                if recovered == [200, 200, 200]:
                    break
                assert time.monotonic() - returned < RECOVERY_SECONDS, (
                    f"{app} answers {recovered} {RECOVERY_SECONDS} s after PostgreSQL returned"
                )
                time.sleep(0.1)
        recovery = time.monotonic() - returned
        time.sleep(1)
        outcomes = load.stop()

    for name, response in (("/health", health), ("GetArticles", articles), ("comment", comment)):
        assert is_clean_unavailable(response), (
            f"{app} {name} while down: {response.status_code} {response.text[:200]}"
        )
    unclean = {
        status: n for status, n in outcomes.statuses.items() if status >= 500 and status != 503
    }
    exceptions = sorted({line for line in server.log_tail(5000).splitlines() if "Error:" in line})
    assert not unclean, (
        f"{app}: errors other than 503 under load while down: {outcomes.statuses}\n"
        + "\n".join(exceptions)
    )
    missing = set(outcomes.acknowledged) - stored_comment_bodies(server.root_url, slug)
    assert not missing, f"{app} lost {len(missing)} acknowledged writes"
    print(f"{app}: full service {recovery:.2f} s after PostgreSQL accepted connections again")
