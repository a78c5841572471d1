"""Cross-cutting HTTP behaviour every operation shares: routing errors, body limits, CORS, health.

These exchanges sit partly outside the spec's operations (an unknown route has no operation to
validate against), so they check the documented error body directly.
"""

from __future__ import annotations

import json
import socket
import time
import uuid

import httpx
import pytest

from tests.client import ApiClient, assert_error, assert_one_error_of, load_spec
from tests.rawhttp import (
    answer_status,
    keep_alive_after_a_late_body,
    request_head,
    stalled_clients,
    timed_get,
)

pytestmark = pytest.mark.usefixtures("impl")

FRONTEND_ORIGIN = "http://localhost:4100"


@pytest.mark.operation("GetHealth")
def test_health_answers_ok(api: ApiClient) -> None:
    response = api.get("/health", api_prefix=False)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "path", ["/api/nope", "/api/articles/x/y/z", "/nothing-here", "/api", "/api/users/login/extra"]
)
def test_unknown_route_is_a_json_404(api: ApiClient, path: str) -> None:
    response = api.get(path, api_prefix=False, validate=False)
    assert_error(response, 404, "route", "not found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/tags/"),
        ("POST", "/api/users/"),
        ("GET", "/api/articles/"),
        ("GET", "/api/user/"),
    ],
)
def test_trailing_slash_is_a_404_never_a_redirect(api: ApiClient, method: str, path: str) -> None:
    response = api.request(method, path, api_prefix=False, validate=False)
    assert "location" not in response.headers
    assert_error(response, 404, "route", "not found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/tags"), ("PATCH", "/user"), ("GET", "/users/login"), ("PUT", "/users")],
)
def test_wrong_method_on_a_known_path_is_a_405(api: ApiClient, method: str, path: str) -> None:
    response = api.request(method, path, validate=False)
    assert_error(response, 405, "method", "not allowed")


# Every path of the spec, as a request would name it (under /api unless its path item names
# its own servers, as /health does), with the methods it declares.
SAMPLE_PARAMETERS = {"{slug}": "some-slug", "{username}": "someone", "{id}": "1"}
TESTED_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


def concrete(template: str, item: dict[str, object]) -> str:
    for name, value in SAMPLE_PARAMETERS.items():
        template = template.replace(name, value)
    return template if "servers" in item else f"/api{template}"


SPEC_PATHS = {
    concrete(template, item): frozenset(m.upper() for m in item if m.upper() in TESTED_METHODS)
    for template, item in load_spec()["paths"].items()
}


def allowed(response_allow: str) -> set[str]:
    return {method.strip().upper() for method in response_allow.split(",") if method.strip()}


def expected_allow(declared: frozenset[str]) -> set[str]:
    """What a path's `Allow` lists: its methods, HEAD wherever GET is, and OPTIONS."""
    return {*declared, *({"HEAD"} if "GET" in declared else set()), "OPTIONS"}


@pytest.mark.parametrize("path", sorted(SPEC_PATHS))
def test_every_undeclared_method_is_a_405_listing_all_the_paths_methods(
    api: ApiClient, path: str
) -> None:
    """RFC 9110: a 405 names, in `Allow`, every method the resource supports, not only one
    (`PATCH /api/articles` says GET and POST); `/api/articles/feed` is its own resource, not
    an article slug, so PUT and DELETE there are 405s too. No token is needed to learn it."""
    declared = SPEC_PATHS[path]
    for method in sorted(set(TESTED_METHODS) - declared):
        response = api.request(method, path, api_prefix=False, validate=False)
        assert_error(response, 405, "method", "not allowed")
        assert allowed(response.headers.get("allow", "")) == expected_allow(declared), (
            method,
            path,
            response.headers.get("allow"),
        )


@pytest.mark.parametrize("path", sorted(SPEC_PATHS))
def test_options_answers_with_the_paths_methods(api: ApiClient, path: str) -> None:
    """A plain OPTIONS (not a CORS preflight) is answered, without a token, with the methods."""
    response = api.request("OPTIONS", path, api_prefix=False, validate=False)
    assert response.status_code == 200, response.text
    assert allowed(response.headers.get("allow", "")) == expected_allow(SPEC_PATHS[path])
    assert response.content == b""


GET_PATHS = sorted(path for path, methods in SPEC_PATHS.items() if "GET" in methods)


@pytest.mark.parametrize("path", GET_PATHS)
def test_head_answers_wherever_get_does_with_no_body(api: ApiClient, path: str) -> None:
    """HEAD is GET without the body (`curl -I`, uptime monitors): same status and headers."""
    user = api.register()
    for token in (None, user.token):
        get = api.request("GET", path, api_prefix=False, token=token, validate=False)
        head = api.request("HEAD", path, api_prefix=False, token=token, validate=False)
        assert head.status_code == get.status_code, (path, token, head.status_code, head.text)
        assert head.content == b""
        assert head.headers.get("content-type") == get.headers.get("content-type")


@pytest.mark.operation("GetArticlesFeed")
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_the_feed_is_not_an_article_slug(api: ApiClient, method: str) -> None:
    """Even with a token and a body, `/articles/feed` takes no article's PUT or DELETE."""
    user = api.register()
    body = {"article": {"title": "Feed"}}
    response = api.request(
        method, "/articles/feed", token=user.token, json_body=body, validate=False
    )
    assert_error(response, 405, "method", "not allowed")
    assert allowed(response.headers.get("allow", "")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.operation("CreateUser")
def test_a_body_over_one_mebibyte_is_a_413(api: ApiClient) -> None:
    filler = "x" * (1024 * 1024 + 10)
    body = '{"user": {"username": "big", "email": "big@example.com", "password": "' + filler + '"}}'
    response = api.post("/users", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "request", "is too large")


@pytest.mark.operation("CreateUser", "CreateArticle")
@pytest.mark.parametrize(
    ("method", "path", "length", "status"),
    [("POST", "/users", 1024 * 1024 + 100, 413), ("POST", "/articles", 200_000, 401)],
    ids=["413-for-its-size", "401-without-a-token"],
)
def test_an_answer_that_leaves_the_body_unread_does_not_strand_the_next_request(
    api: ApiClient, method: str, path: str, length: int, status: int
) -> None:
    """A server that answers before it has the body (or without reading it) must either say
    `Connection: close` or read the next request on that connection after the body. One that
    does neither closes the connection under a keep-alive client's next request, which then
    gets no answer at all (granian did, under load). tests/faults checks the production
    servers, and that a body read whole leaves the connection open."""
    body = b"{" + b" " * (length - 2) + b"}"
    outcome = keep_alive_after_a_late_body(api.root_url, request_head(method, path, length), body)
    assert outcome.status == status
    assert outcome.said_close or outcome.next_status == 200, outcome


# The operations that take a body and need a token, and the three ways a body can be unreadable.
AUTHENTICATED_BODY_OPERATIONS = [
    ("PUT", "/user"),
    ("POST", "/articles"),
    ("PUT", "/articles/some-slug"),
    ("POST", "/articles/some-slug/comments"),
]
UNREADABLE_BODIES = {
    "not-json": ("{not json", "application/json", (400, "request", "is not valid JSON")),
    "not-declared-json": ('{"x": 1}', "text/plain", (415, "request", "must be application/json")),
    "too-large": (
        '{"x": "' + "y" * (1024 * 1024) + '"}',
        "application/json",
        (413, "request", "is too large"),
    ),
}


@pytest.mark.operation(
    "UpdateCurrentUser", "CreateArticle", "UpdateArticle", "CreateArticleComment"
)
@pytest.mark.parametrize(("method", "path"), AUTHENTICATED_BODY_OPERATIONS)
@pytest.mark.parametrize("body", sorted(UNREADABLE_BODIES))
@pytest.mark.parametrize(
    ("token", "reason"), [(None, "is missing"), ("not.a.jwt", "is invalid")], ids=["none", "bad"]
)
def test_unauthenticated_and_unreadable_is_either_error(
    api: ApiClient, method: str, path: str, body: str, token: str | None, reason: str
) -> None:
    """The spec lets the app report the token or the body first, but nothing else (no 404,
    no 422) and always with the exact body of the error it chose."""
    content, content_type, body_error = UNREADABLE_BODIES[body]
    response = api.request(
        method, path, token=token, content=content, headers={"Content-Type": content_type}
    )
    assert_one_error_of(response, (401, "token", reason), body_error)


@pytest.mark.operation(
    "UpdateCurrentUser", "CreateArticle", "UpdateArticle", "CreateArticleComment"
)
@pytest.mark.parametrize(("method", "path"), AUTHENTICATED_BODY_OPERATIONS)
def test_the_token_is_checked_before_the_fields(api: ApiClient, method: str, path: str) -> None:
    """A readable body with invalid fields, no token: always the 401, never the 422."""
    payload = {"user": {"email": 1}, "article": {"title": 1}, "comment": {"body": 1}}
    response = api.request(method, path, json_body=payload)
    assert_error(response, 401, "token", "is missing")


@pytest.mark.operation("CreateArticle")
def test_a_large_body_under_the_limit_is_accepted(api: ApiClient) -> None:
    user = api.register()
    article = api.create_article(user.token, body="word " * 13000)
    assert len(article["body"]) == 65000


@pytest.mark.operation("GetTags")
def test_cors_preflight_is_answered_without_auth(api: ApiClient) -> None:
    response = api.request(
        "OPTIONS",
        "/articles",
        headers={
            "Origin": FRONTEND_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        validate=False,
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] in ("*", FRONTEND_ORIGIN)
    allowed_methods = response.headers["access-control-allow-methods"].upper()
    for method in ("GET", "POST", "PUT", "DELETE"):
        assert method in allowed_methods
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers
    assert "content-type" in allowed_headers


@pytest.mark.parametrize(
    "path",
    ["/articles/some-slug/comments/1", "/profiles/someone/follow", "/user", "/articles/feed"],
)
def test_cors_preflight_works_on_every_kind_of_path(api: ApiClient, path: str) -> None:
    response = api.request(
        "OPTIONS",
        path,
        headers={"Origin": FRONTEND_ORIGIN, "Access-Control-Request-Method": "DELETE"},
        validate=False,
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] in ("*", FRONTEND_ORIGIN)


@pytest.mark.operation("GetTags")
def test_cors_headers_on_a_normal_response(api: ApiClient) -> None:
    response = api.get("/tags", headers={"Origin": FRONTEND_ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", FRONTEND_ORIGIN)


@pytest.mark.operation("GetCurrentUser")
def test_cors_headers_on_an_error_response(api: ApiClient) -> None:
    """A browser can only read a 401 body (and log the user out) if CORS headers are on it."""
    response = api.get("/user", headers={"Origin": FRONTEND_ORIGIN})
    assert_error(response, 401, "token", "is missing")
    assert response.headers["access-control-allow-origin"] in ("*", FRONTEND_ORIGIN)


@pytest.mark.operation("Login")
def test_responses_are_json_with_no_server_internals(api: ApiClient) -> None:
    response = api.post("/users/login", content="{", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "request", "is not valid JSON")
    assert "Traceback" not in response.text


# One request of each kind an app answers: successes, each kind of error, a CORS preflight,
# HEAD and OPTIONS, and the pages beside the API.
EVERY_KIND_OF_RESPONSE = {
    "GetTags": ("GET", "/api/tags", {}),
    "health": ("GET", "/health", {}),
    "HEAD": ("HEAD", "/api/tags", {}),
    "OPTIONS": ("OPTIONS", "/api/articles", {}),
    "preflight": (
        "OPTIONS",
        "/api/articles",
        {"Origin": FRONTEND_ORIGIN, "Access-Control-Request-Method": "POST"},
    ),
    "401": ("GET", "/api/user", {}),
    "404 route": ("GET", "/api/nope", {}),
    "404 article": ("GET", "/api/articles/no-such-article", {}),
    "405": ("PATCH", "/api/tags", {}),
    "415": ("POST", "/api/users", {"Content-Type": "text/plain"}),
    "front door": ("GET", "/", {}),
    "docs": ("GET", "/docs", {}),
    "openapi.json": ("GET", "/openapi.json", {}),
}


@pytest.mark.operation("GetTags")
@pytest.mark.parametrize("kind", list(EVERY_KIND_OF_RESPONSE))
def test_every_response_forbids_content_sniffing(api: ApiClient, kind: str) -> None:
    """`X-Content-Type-Options: nosniff`, so no browser reads a JSON body as HTML or script."""
    method, path, headers = EVERY_KIND_OF_RESPONSE[kind]
    response = api.request(method, path, api_prefix=False, headers=headers, validate=False)
    assert response.status_code < 500, response.text
    assert response.headers.get("x-content-type-options") == "nosniff", response.headers


@pytest.mark.operation("Login", "CreateUser", "GetCurrentUser", "UpdateCurrentUser")
def test_responses_that_carry_a_token_are_never_cached(api: ApiClient) -> None:
    """`Cache-Control: no-store` on each of them (the spec's UserResponse header, which the
    client checks on every call too); a response without a token may be cached."""
    tag = uuid.uuid4().hex[:10]
    new_user = {"username": f"nc_{tag}", "email": f"nc_{tag}@example.com", "password": "x" * 8}
    created = api.post("/users", json_body={"user": new_user})
    token = created.json()["user"]["token"]
    responses = [
        created,
        api.post("/users/login", json_body={"user": {**new_user, "username": None}}),
        api.get("/user", token=token),
        api.put("/user", token=token, json_body={"user": {"bio": "cached nowhere"}}),
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.text
        assert response.headers.get("cache-control") == "no-store", response.request.url
    assert "no-store" not in api.get("/tags").headers.get("cache-control", "")


@pytest.mark.operation("GetCurrentUser")
@pytest.mark.parametrize("same", [True, False], ids=["same-token", "two-users"])
def test_two_authorization_headers_are_refused(api: ApiClient, same: bool) -> None:
    """Which of two tokens names the caller is not for the server to guess: a 401, whether
    they agree or not, on an operation that needs a token and on one where it is optional."""
    first, second = api.register(), api.register()
    tokens = [first.token, first.token if same else second.token]
    headers = [("Authorization", f"Token {token}") for token in tokens]
    for path in ("/api/user", "/api/articles"):
        response = api.http.get(path, headers=headers)
        assert_error(response, 401, "token", "is invalid")
        assert response.headers.get("www-authenticate") == "Token"


def raw_exchange(root_url: str, request: bytes) -> tuple[int, bytes]:
    """Send `request` as it is on a new connection; the status and body of the answer."""
    url = httpx.URL(root_url)
    with socket.create_connection((url.host, url.port), timeout=30) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = b"".join(body.split(b"\r\n")[1::2])
    return status, body


@pytest.mark.operation("CreateUser")
def test_a_chunked_body_is_refused_with_411(api: ApiClient) -> None:
    """A body of undeclared length (`Transfer-Encoding: chunked`, no Content-Length) is never
    read as empty: the same 411 from every app, and the server stays up."""
    tag = uuid.uuid4().hex[:10]
    body = json.dumps(
        {"user": {"username": f"ch_{tag}", "email": f"ch_{tag}@example.com", "password": "x" * 8}}
    ).encode()
    chunked = (
        b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:20], body[20:]))
        + b"0\r\n\r\n"
    )
    request = (
        b"POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked
    )
    status, answer = raw_exchange(api.root_url, request)
    assert (status, json.loads(answer)) == (
        411,
        {"errors": {"request": ["needs a Content-Length"]}},
    ), answer
    assert api.get("/health", api_prefix=False).status_code == 200
    login = {"user": {"email": f"ch_{tag}@example.com", "password": "x" * 8}}
    assert_error(api.post("/users/login", json_body=login), 401, "credentials", "invalid")


# The server in front of each app: limits it applies before the app reads anything. The
# development servers (Werkzeug, runserver, granian for FastAPI) refuse heads over 64 KB or 16 KB;
# `make serve-*` (granian for all three) is checked by tests/faults/test_http_limits.py.
OVERSIZED = 70_000


@pytest.mark.parametrize(
    "request_head",
    [
        b"GET /api/tags HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
        + b"a" * OVERSIZED
        + b"\r\n\r\n",
        b"GET /api/tags HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + b"".join(b"X-Header-%d: v\r\n" % number for number in range(200))
        + b"\r\n",
    ],
    ids=["one-huge-header", "two-hundred-headers"],
)
def test_an_oversized_header_block_is_refused_with_431(api: ApiClient, request_head: bytes) -> None:
    started = time.monotonic()
    assert answer_status(api.root_url, request_head) == 431
    assert time.monotonic() - started < 5, "the refusal should come before parsing everything"
    assert timed_get(api.root_url)[0] == 200


def test_an_oversized_request_line_is_refused(api: ApiClient) -> None:
    """414 (Werkzeug, runserver) or 431 (granian counts the request line as part of the head):
    either way the request is refused before the app sees it."""
    line = b"GET /api/articles?tag=" + b"a" * OVERSIZED + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    assert answer_status(api.root_url, line) in (414, 431)
    assert timed_get(api.root_url)[0] == 200


def test_clients_that_stall_in_their_headers_do_not_delay_others(api: ApiClient) -> None:
    """More stalled clients than the server has request threads; a normal request still gets
    its answer at once, because nothing waits for their headers on a worker thread."""
    with stalled_clients(api.root_url, 24):
        time.sleep(0.3)
        status, seconds = timed_get(api.root_url)
    assert status == 200
    assert seconds < 3, f"a normal request waited {seconds:.1f} s behind stalled clients"
