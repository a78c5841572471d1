"""Request ids and request logs: what an operator reads.

Every response carries `X-Request-ID`: the client's own when it is sane (1 to 128 characters
of `A-Z a-z 0-9 . _ : + / = -`), else a fresh uuid4 hex, on errors as on successes. Each
managed server writes one JSON record per request to its log (build/logs/<app>.log, see
tests/servers.py): method, route (the spec's path template), path, status, duration_ms,
request_id, user_id, timestamp.

The last two tests are marked `after_suite`: conftest.py moves them to the end of the run, so
they read the logs every earlier test left, a full suite run's when the whole suite runs.
They check that every line the servers wrote once serving is a JSON record, and that no
password or token the suite used (tests/client.py keeps each one it sends or receives), no
signing key and nothing shaped like a JWT appears in any log.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.client import SECRETS_SEEN, ApiClient
from tests.servers import SERVER_LOGS, TEST_SECRET_KEY, LiveServer

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
JWT = re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.")
HEADER_DUMP = re.compile(r"authorization['\"]?\s*[:=]", re.IGNORECASE)
BASE_FIELDS = {"timestamp", "level", "logger", "message", "request_id"}
REQUEST_FIELDS = BASE_FIELDS | {"method", "route", "path", "status", "duration_ms", "user_id"}
# Shorter values (a one-letter password in a validation test), or ones of a few repeated
# characters (a password of 64 a's, also in a test's request id), could match a log by chance.
SHORTEST_SECRET = 8
FEWEST_DISTINCT_CHARACTERS = 4


def exchange(api: ApiClient, kind: str, headers: dict[str, str]) -> httpx.Response:
    """One answer of each kind the issue names, each checked against the spec as usual."""
    if kind == "200":
        response = api.get("/tags", headers=headers)
    elif kind == "404":
        response = api.get(f"/profiles/nobody_{uuid.uuid4().hex[:12]}", headers=headers)
    elif kind == "404-route":
        response = api.get("/no/such/route", headers=headers, validate=False)
    elif kind == "422":
        response = api.post("/users", json_body={"user": {}}, headers=headers)
    else:
        response = api.get("/user", headers=headers)
    assert response.status_code == int(kind[:3]), response.text
    return response


KINDS = ["200", "404", "404-route", "422", "401"]


@pytest.mark.operation("GetTags", "GetProfileByUsername", "CreateUser", "GetCurrentUser")
@pytest.mark.parametrize("kind", KINDS)
def test_a_request_without_an_id_gets_a_new_one(api: ApiClient, kind: str) -> None:
    first = exchange(api, kind, {}).headers.get("X-Request-ID", "")
    second = exchange(api, kind, {}).headers.get("X-Request-ID", "")
    assert GENERATED_ID.fullmatch(first), first
    assert GENERATED_ID.fullmatch(second), second
    assert first != second


@pytest.mark.operation("GetTags", "GetProfileByUsername", "CreateUser", "GetCurrentUser")
@pytest.mark.parametrize("kind", KINDS)
def test_a_sane_request_id_is_echoed(api: ApiClient, kind: str) -> None:
    request_id = f"client-{uuid.uuid4()}"
    response = exchange(api, kind, {"X-Request-ID": request_id})
    assert response.headers.get("X-Request-ID") == request_id


@pytest.mark.operation("GetTags")
@pytest.mark.parametrize(
    "request_id",
    ["Trace_1.2:3+4/5=6-7", "x", "a" * 128],
    ids=["every-allowed-character", "one-character", "128-characters"],
)
def test_every_allowed_request_id_is_echoed(api: ApiClient, request_id: str) -> None:
    response = api.get("/tags", headers={"X-Request-ID": request_id})
    assert response.headers.get("X-Request-ID") == request_id


HOSTILE_IDS: dict[str, bytes] = {
    "129-characters": b"a" * 129,
    "8000-characters": b"b" * 8000,
    "empty": b"",
    "space": b"two words",
    "json-breakout": b'"},{"status":200,"x":"',
    "log-forging": b'id\\n{"level": "INFO"}',
    "html": b"<script>alert(1)</script>",
    "comma-list": b"one,two",
    "latin-1": "caf\u00e9".encode("latin-1"),
    "utf-8": "\u65e5\u672c".encode(),
}


@pytest.mark.operation("GetTags")
@pytest.mark.parametrize("raw", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
def test_an_unsafe_request_id_is_replaced(api: ApiClient, raw: bytes) -> None:
    response = api.http.get("/api/tags", headers=[(b"X-Request-ID", raw)])
    assert response.status_code == 200, response.text
    api.check_against_spec(response)
    assert GENERATED_ID.fullmatch(response.headers.get("X-Request-ID", ""))


@pytest.mark.operation("GetTags")
def test_two_request_id_headers_are_replaced(api: ApiClient) -> None:
    response = api.http.get("/api/tags", headers=[("X-Request-ID", "one"), ("X-Request-ID", "two")])
    assert response.status_code == 200
    assert GENERATED_ID.fullmatch(response.headers.get("X-Request-ID", ""))


# The log records.


def log_records(server: LiveServer, request_ids: set[str], timeout: float = 5) -> dict[str, Any]:
    """The record of each request id, read from the server's log (waiting briefly, since a
    server may write the record as the client reads the answer)."""
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, Any] = {}
        for line in server.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if any(request_id in line for request_id in request_ids):
                record = json.loads(line)
                assert record["request_id"] not in found, f"two lines for one request: {line}"
                found[record["request_id"]] = record
        if set(found) == request_ids or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.mark.managed_servers
@pytest.mark.operation("GetArticle", "GetCurrentUser")
def test_each_request_is_one_json_record_with_its_fields(
    api: ApiClient, live_servers: dict[str, LiveServer], impl: str
) -> None:
    alice, bob = api.register(), api.register()
    slug = api.create_article(alice.token)["slug"]
    nowhere = f"/api/nowhere-{uuid.uuid4().hex}"
    names = ("article", "alice", "alice-again", "bob", "bad-token", "nowhere")
    ids = {name: f"logtest-{name}-{uuid.uuid4().hex}" for name in names}

    def headers(name: str) -> dict[str, str]:
        return {"X-Request-ID": ids[name]}

    assert api.get(f"/articles/{slug}", headers=headers("article")).status_code == 200
    assert api.get("/user", token=alice.token, headers=headers("alice")).status_code == 200
    assert api.get("/user", token=alice.token, headers=headers("alice-again")).status_code == 200
    assert api.get("/user", token=bob.token, headers=headers("bob")).status_code == 200
    assert api.get("/user", token="not-a-jwt", headers=headers("bad-token")).status_code == 401
    missing = api.get(nowhere, headers=headers("nowhere"), validate=False, api_prefix=False)
    assert missing.status_code == 404

    server = live_servers[impl]
    records = log_records(server, set(ids.values()))
    assert set(records) == set(ids.values()), f"records missing from {server.log_path}"
    by_name = {name: records[request_id] for name, request_id in ids.items()}
    for name, record in by_name.items():
        assert set(record) == REQUEST_FIELDS, (name, record)
        assert record["logger"] == "conduit.request"
        assert record["method"] == "GET"
        assert isinstance(record["duration_ms"], int | float)
        assert record["duration_ms"] >= 0
        assert datetime.fromisoformat(record["timestamp"]).tzinfo is not None

    article = by_name["article"]
    assert (article["route"], article["path"]) == ("/api/articles/{slug}", f"/api/articles/{slug}")
    assert (article["status"], article["user_id"], article["level"]) == (200, None, "INFO")

    alice_ids = {by_name["alice"]["user_id"], by_name["alice-again"]["user_id"]}
    assert len(alice_ids) == 1
    assert isinstance(by_name["alice"]["user_id"], int)
    assert by_name["bob"]["user_id"] not in alice_ids | {None}
    assert by_name["alice"]["route"] == by_name["bob"]["route"] == "/api/user"

    assert (by_name["bad-token"]["status"], by_name["bad-token"]["user_id"]) == (401, None)
    assert (by_name["nowhere"]["route"], by_name["nowhere"]["path"]) == (None, nowhere)
    assert by_name["nowhere"]["status"] == 404
    # One line only names the unknown path: no second access line from the server software.
    log = server.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    naming = [line for line in log if nowhere in line]
    assert len(naming) == 1, naming


# After the whole run: every log line, every secret.


def session_logs() -> list[Path]:
    logs = [path for path in dict.fromkeys(SERVER_LOGS) if path.exists()]
    if not logs:
        pytest.skip("no managed server ran in this session")
    return logs


@pytest.mark.after_suite
@pytest.mark.managed_servers
def test_every_line_a_server_wrote_while_serving_is_a_json_record() -> None:
    """From a server's first request on (before it: migration output, startup banners)."""
    problems = []
    for path in session_logs():
        serving = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            serving = serving or '"logger": "conduit.request"' in line
            if not serving:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict) or not set(record) >= BASE_FIELDS:
                problems.append(f"{path.name}:{number}: {line[:300]}")
            elif record["logger"] == "conduit.request" and set(record) != REQUEST_FIELDS:
                problems.append(f"{path.name}:{number}: fields {sorted(record)}")
    assert not problems, "\n".join(problems[:20])


@pytest.mark.after_suite
@pytest.mark.managed_servers
def test_no_password_token_or_authorization_header_in_any_log() -> None:
    """Tokens are JWTs, and no JWT at all may be in a log (which also covers the tokens of
    tests that bypass the client); every other secret (passwords, odd Authorization values)
    is looked for as it was sent, with the managed servers' signing key."""
    wanted = {
        s
        for s in SECRETS_SEEN
        if len(s.strip()) >= SHORTEST_SECRET and len(set(s)) >= FEWEST_DISTINCT_CHARACTERS
    }
    assert any(JWT.search(s) for s in wanted), "the run used no token to look for"
    assert any(not JWT.search(s) for s in wanted), "the run used no password to look for"
    literal = {s for s in wanted if not JWT.search(s)} | {TEST_SECRET_KEY}
    problems = []
    for path in session_logs():
        text = path.read_text(encoding="utf-8")
        problems += [
            f"{path.name}: a password or key the suite used: {s!r}" for s in literal if s in text
        ]
        for number, line in enumerate(text.splitlines(), 1):
            if JWT.search(line):
                problems.append(f"{path.name}:{number}: something shaped like a JWT: {line[:200]}")
            if HEADER_DUMP.search(line):
                problems.append(f"{path.name}:{number}: an Authorization header: {line[:200]}")
    assert not problems, "\n".join(problems[:20])
