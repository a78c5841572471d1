"""Contract-suite plumbing: which servers to test, how to reach them, and the per-app summary.

Every test that takes the `api` fixture runs once per selected implementation
(`--impl flask,django,fastapi`, default all three), each started here as a real server with a
fresh database; or once against an already running server given with `--base-url`.
"""

from __future__ import annotations

import ast
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client import ApiClient
from tests.servers import (
    DEFAULT_POSTGRES_ADMIN_URL,
    DEVELOPMENT_SECRET_KEY,
    IMPLEMENTATIONS,
    LOG_DIR,
    TEST_SECRET_KEY,
    LiveServer,
    PostgresDatabases,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conduit", "Conduit contract suite")
    group.addoption(
        "--impl",
        default=",".join(IMPLEMENTATIONS),
        help="comma-separated implementations to start and test (default: flask,django,fastapi)",
    )
    group.addoption(
        "--base-url",
        default=None,
        help="test an already running server instead (e.g. http://127.0.0.1:8001 or .../api)",
    )
    group.addoption(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="what the managed servers run on; postgres creates a database per app and drops it",
    )
    group.addoption(
        "--secret-key",
        default=None,
        help="the SECRET_KEY of the --base-url server (default: the apps' development default)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "operation(operation_id): the spec operationId(s) this test covers"
    )
    config.addinivalue_line(
        "markers", "all_implementations: needs every implementation at once (equivalence)"
    )
    config.addinivalue_line(
        "markers", "managed_servers: starts extra server processes, so not with --base-url"
    )
    config.addinivalue_line(
        "markers", "after_suite: runs after every other selected test (reads what they left)"
    )


def selected_implementations(config: pytest.Config) -> list[str]:
    if config.getoption("--base-url"):
        return ["external"]
    names = [name.strip() for name in config.getoption("--impl").split(",") if name.strip()]
    unknown = set(names) - set(IMPLEMENTATIONS)
    if unknown:
        raise pytest.UsageError(f"unknown --impl {sorted(unknown)}; choose from {IMPLEMENTATIONS}")
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "impl" in metafunc.fixturenames:
        names = selected_implementations(metafunc.config)
        metafunc.parametrize("impl", names, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect what the selection cannot run: the equivalence test needs all three apps, and
    tests that start extra server processes need the suite to manage the servers. Then move
    the after_suite tests (the log checks) to the end of the run."""
    everything = selected_implementations(config) == list(IMPLEMENTATIONS)
    external = bool(config.getoption("--base-url"))

    def runnable(item: pytest.Item) -> bool:
        if item.get_closest_marker("all_implementations") and not everything:
            return False
        return not (item.get_closest_marker("managed_servers") and external)

    keep = [item for item in items if runnable(item)]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
    # A stable sort: the after_suite tests move to the end, everything else keeps its order.
    items.sort(key=lambda item: item.get_closest_marker("after_suite") is not None)


@pytest.fixture(scope="session")
def live_servers(postgres: PostgresDatabases | None) -> Iterator[dict[str, LiveServer]]:
    """Servers started lazily, one per implementation, all stopped at the end of the session."""
    servers: dict[str, LiveServer] = {}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest) -> Iterator[PostgresDatabases | None]:
    """With --database postgres: the factory of per-run databases, all dropped at the end."""
    if request.config.getoption("--database") != "postgres":
        yield None
        return
    try:
        databases = PostgresDatabases(
            os.environ.get("POSTGRES_ADMIN_URL", DEFAULT_POSTGRES_ADMIN_URL)
        )
    except RuntimeError as error:
        pytest.exit(str(error), returncode=3)
    yield databases
    databases.drop_all()


def server_root(
    config: pytest.Config,
    servers: dict[str, LiveServer],
    impl: str,
    postgres: PostgresDatabases | None,
) -> str:
    base_url = config.getoption("--base-url")
    if base_url:
        return base_url.rstrip("/").removesuffix("/api")
    if impl not in servers:
        server = LiveServer(
            impl,
            database_url=postgres.create(impl) if postgres else None,
            log_file=LOG_DIR / f"{impl}.log",
        )
        servers[impl] = server
        server.start()
    return servers[impl].root_url


@pytest.fixture(scope="session")
def root_url(
    request: pytest.FixtureRequest,
    live_servers: dict[str, LiveServer],
    postgres: PostgresDatabases | None,
    impl: str,
) -> str:
    return server_root(request.config, live_servers, impl, postgres)


@pytest.fixture(scope="session")
def api(root_url: str, impl: str) -> Iterator[ApiClient]:
    client = ApiClient(root_url, impl)
    yield client
    client.close()


@pytest.fixture(scope="session")
def twin_api(root_url: str, live_servers: dict[str, LiveServer], impl: str) -> Iterator[ApiClient]:
    """A second server process of the same app on the same database (stateless scale-out)."""
    primary = live_servers[impl]
    twin = LiveServer(
        impl,
        database_url=primary.environment()["DATABASE_URL"],
        log_file=LOG_DIR / f"{impl}-twin.log",
    )
    twin.start()
    client = ApiClient(twin.root_url, f"{impl}-twin")
    yield client
    client.close()
    twin.stop()


@pytest.fixture(scope="session")
def secret_key(request: pytest.FixtureRequest) -> str:
    """The key the server under test signs tokens with, to forge expired tokens."""
    if request.config.getoption("--base-url"):
        return request.config.getoption("--secret-key") or DEVELOPMENT_SECRET_KEY
    return TEST_SECRET_KEY


@pytest.fixture(scope="session")
def all_apis(
    request: pytest.FixtureRequest,
    live_servers: dict[str, LiveServer],
    postgres: PostgresDatabases | None,
) -> Iterator[dict[str, ApiClient]]:
    """A client for every implementation at once, for the equivalence test."""
    if request.config.getoption("--base-url"):
        raise pytest.UsageError("the equivalence test needs the suite to start all three apps")
    clients = {
        name: ApiClient(server_root(request.config, live_servers, name, postgres), name)
        for name in IMPLEMENTATIONS
    }
    yield clients
    for client in clients.values():
        client.close()


# Per-implementation results, so the summary says how each app did.

RESULTS = pytest.StashKey[Counter[tuple[str, str]]]()


def implementation_of(item_or_report: pytest.Item | pytest.TestReport) -> str:
    nodeid = item_or_report.nodeid
    for name in (*IMPLEMENTATIONS, "external"):
        if f"[{name}" in nodeid or f"-{name}]" in nodeid or f"-{name}-" in nodeid:
            return name
    return "shared"


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[RESULTS] = Counter()


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS, None)
    if results is None:
        return
    impl = implementation_of(report)
    if report.when == "call":
        results[(impl, report.outcome)] += 1
    elif report.failed:
        results[(impl, "error")] += 1
    elif report.skipped and report.when == "setup":
        results[(impl, "skipped")] += 1


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    results = config.stash.get(RESULTS, None)
    if not results:
        return
    terminalreporter.section("contract results per implementation")
    names = sorted({impl for impl, _ in results}, key=lambda n: (n == "shared", n))
    outcomes = ("passed", "failed", "error", "skipped")
    summary = {name: {o: results[(name, o)] for o in outcomes} for name in names}
    if is_full_run(config):
        save_results(summary, database=config.getoption("--database"))
    for name in names:
        shown = ", ".join(f"{n} {outcome}" for outcome, n in summary[name].items() if n)
        terminalreporter.write_line(f"{name:>10}: {shown}")


RESULTS_DIR = Path(__file__).resolve().parent.parent / "build"


def is_full_run(config: pytest.Config) -> bool:
    """The whole suite against all three managed apps: the only run worth recording."""
    whole_suite = [Path(arg).resolve() for arg in config.args] == [Path(__file__).parent]
    return (
        whole_suite
        and not config.getoption("--base-url")
        and selected_implementations(config) == list(IMPLEMENTATIONS)
        and not config.getoption("keyword")
        and not config.getoption("markexpr")
    )


def save_results(summary: dict[str, dict[str, int]], *, database: str) -> None:
    """Write this run's per-app counts to build/contract-results[-postgres].json, which
    `make compare` and `make report` (the README's results table) read."""
    suffix = "" if database == "sqlite" else f"-{database}"
    path = RESULTS_DIR / f"contract-results{suffix}.json"
    RESULTS_DIR.mkdir(exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def covered_operations(test_dir: Path) -> set[str]:
    """operationIds named by `@pytest.mark.operation(...)` in the per-tag modules.

    The equivalence test names every operation, so it does not count here.
    """
    found: set[str] = set()
    for path in test_dir.glob("test_*.py"):
        if path.name == "test_equivalence.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "operation"
            ):
                found.update(
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                )
    return found
