"""Schemathesis against each live app, without a token and with one.

Every phase (examples, coverage, fuzzing, stateful) and every check runs against the server the
contract suite starts (a free port, a fresh database), with the spec as the oracle: no 5xx, no
response outside the documented statuses, headers and schemas, valid input accepted, invalid
input refused, undeclared methods answered 405 with an `Allow` header (whose methods Schemathesis
compares with the spec's on OPTIONS). The run with a token writes: the stateful phase follows
the spec's links from the resources it creates (CreateArticle -> UpdateArticle, ...).

Marked `fuzz`, so `pytest tests` leaves it out; `-m fuzz` (`make fuzz-quick`, `make fuzz`)
selects it. Settings: schemathesis.toml beside this file; FUZZ_ARGS adds to them.
"""

from __future__ import annotations

import sys

import pytest

from tests.client import ApiClient
from tests.fuzz.harness import HEALTH_OPERATION, HEALTH_PHASES, FuzzResult, run
from tests.fuzz.results import PROPERTY, RESULTS_DIR

pytestmark = pytest.mark.fuzz

IDENTITIES = ("anonymous", "token")
# With a token, the stateful phase must have created articles and then written to one it made.
WRITES_ON_EXISTING_ARTICLES = (
    "PUT /articles/{slug}",
    "DELETE /articles/{slug}",
    "POST /articles/{slug}/comments",
    "POST /articles/{slug}/favorite",
)


@pytest.mark.parametrize("identity", IDENTITIES)
def test_schemathesis_finds_no_failure(
    request: pytest.FixtureRequest, impl: str, root_url: str, identity: str
) -> None:
    result = FuzzResult(impl=impl, identity=identity)
    try:
        fuzz(result, root_url=root_url)
    finally:  # reported even when a run breaks half-way
        request.node.user_properties.append((PROPERTY, result.as_json()))

    assert not result.errors, result.summary()
    assert result.requests > 0, f"{impl}: Schemathesis sent no request\n{result.summary()}"
    if identity == "token":
        assert result.succeeded["POST /articles"], f"{impl}: no article was created with a token"
        wrote = [op for op in WRITES_ON_EXISTING_ARTICLES if result.succeeded[op]]
        assert wrote, f"{impl}: the token run never wrote to an article it had created"
    assert not result.failures, result.summary()


def fuzz(result: FuzzResult, *, root_url: str) -> None:
    """The runs behind one test: the API (with the token of a user registered here, if the
    identity is `token`), then, without a token, the health check at the root."""
    token = None
    if result.identity == "token":
        client = ApiClient(root_url, result.impl)
        token = client.register().token
        client.close()
    run_dir = RESULTS_DIR / "fuzz" / f"{result.impl}-{result.identity}"
    run(
        result,
        base_url=f"{root_url}/api",
        run_dir=run_dir / "api",
        token=token,
        arguments=["--exclude-operation-id", HEALTH_OPERATION],
        echo=sys.stdout,
    )
    if result.identity == "anonymous":
        run(
            result,
            base_url=root_url,
            run_dir=run_dir / "health",
            token=None,
            arguments=["--include-operation-id", HEALTH_OPERATION, "--phases", HEALTH_PHASES],
            echo=sys.stdout,
        )
