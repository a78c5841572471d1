"""An HTTP client that checks every response against shared_spec/openapi.yaml.

Each test talks to a live server through `ApiClient`. Unless a test says the exchange is
outside the spec on purpose (an unknown route, a wrong method), the response must match the
documented status code, headers and body schema of its operation, so any drift in shape fails
the test that saw it, with the operation and the reason in the message.

Every password the client sends and every token it sends or receives is kept in
`SECRETS_SEEN`, so the check that runs after the suite (test_request_logs.py) can look for
each of them in the servers' logs.
"""

from __future__ import annotations

import contextlib
import copy
import json
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

SPEC_PATH = Path(__file__).resolve().parent.parent / "shared_spec" / "openapi.yaml"

# Passwords and tokens this test process has sent or received, to be found in no log.
SECRETS_SEEN: set[str] = set()
SECRET_KEYS = frozenset({"password", "token"})


def remember_secrets(document: Any) -> None:
    """Add every string under a `password` or `token` key, at any depth, to SECRETS_SEEN."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in SECRET_KEYS and isinstance(value, str):
                SECRETS_SEEN.add(value)
            else:
                remember_secrets(value)
    elif isinstance(document, list):
        for item in document:
            remember_secrets(item)


@cache
def load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def spec_for(root_url: str) -> OpenAPI:
    """The spec with its servers pointed at the server under test."""
    spec = copy.deepcopy(load_spec())
    spec["servers"] = [{"url": f"{root_url}/api"}]
    for item in spec["paths"].values():
        if "servers" in item:
            item["servers"] = [{"url": root_url}]
    return OpenAPI.from_dict(spec)


class SpecMismatchError(AssertionError):
    """A response that does not match the spec."""


class ApiClient:
    """Requests against one live implementation; `path` is relative to `/api`."""

    def __init__(self, root_url: str, impl: str) -> None:
        self.root_url = root_url
        self.impl = impl
        self.http = httpx.Client(base_url=root_url, timeout=30, follow_redirects=False)
        self.openapi = spec_for(root_url)

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        validate: bool = True,
        api_prefix: bool = True,
    ) -> httpx.Response:
        sent_headers = dict(headers or {})
        if token is not None:
            sent_headers.setdefault("Authorization", f"Token {token}")
        if json_body is not None:
            content = json.dumps(json_body)
            sent_headers.setdefault("Content-Type", "application/json")
            remember_secrets(json_body)
        for name, value in sent_headers.items():
            if name.lower() == "authorization":
                SECRETS_SEEN.add(value)
                SECRETS_SEEN.update(value.split()[1:])
        url = f"/api{path}" if api_prefix else path
        response = self.http.request(
            method, url, content=content, headers=sent_headers, params=params
        )
        if b'"token"' in response.content:
            with contextlib.suppress(ValueError):
                remember_secrets(response.json())
        if validate:
            self.check_against_spec(response)
        return response

    def check_against_spec(self, response: httpx.Response) -> None:
        request = response.request
        spec_request = MockRequest(
            self.root_url,
            request.method.lower(),
            request.url.path,
            args=dict(request.url.params),
            headers=dict(request.headers),
            data=request.content,
            content_type=request.headers.get("content-type", ""),
        )
        spec_response = MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=response.headers.get("content-type", "").split(";")[0].strip(),
        )
        try:
            self.openapi.validate_response(spec_request, spec_response)
        except Exception as error:  # openapi-core raises a family of errors; all mean drift
            cause = error.__cause__ or error
            raise SpecMismatchError(
                f"[{self.impl}] {request.method} {request.url.path} -> {response.status_code} "
                f"does not match the spec: {type(error).__name__}: {cause}\n"
                f"body: {response.text[:2000]}"
            ) from error

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    # Shortcuts for the setup steps many tests share.

    def register(self, **fields: Any) -> RegisteredUser:
        """Register a fresh user with unique names; returns its credentials and token."""
        tag = uuid.uuid4().hex[:10]
        user = {
            "username": f"user_{tag}",
            "email": f"user_{tag}@example.com",
            "password": "correct horse battery",
        }
        user.update(fields)
        response = self.post("/users", json_body={"user": user})
        assert response.status_code == 201, response.text
        body = response.json()["user"]
        return RegisteredUser(
            username=body["username"],
            email=body["email"],
            password=user["password"],
            token=body["token"],
        )

    def create_article(self, token: str, **fields: Any) -> dict[str, Any]:
        article = {
            "title": f"Article {uuid.uuid4().hex[:10]}",
            "description": "A description",
            "body": "Some body text",
        }
        article.update(fields)
        response = self.post("/articles", json_body={"article": article}, token=token)
        assert response.status_code == 201, response.text
        return response.json()["article"]


@dataclass(frozen=True)
class RegisteredUser:
    username: str
    email: str
    password: str
    token: str


def assert_error(response: httpx.Response, status: int, key: str, message: str) -> None:
    """The response is the spec's error body with exactly this status, key and message."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.text}"
    )
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"errors"}, body
    assert body["errors"].get(key) == [message], body


def assert_one_error_of(response: httpx.Response, *allowed: tuple[int, str, str]) -> None:
    """The response is exactly one of the `allowed` (status, key, message) error bodies.

    For the few cases where the spec lets an app choose between two outcomes (a request that is
    both unauthenticated and malformed); each outcome is still checked in full.
    """
    statuses = [status for status, _, _ in allowed]
    assert response.status_code in statuses, (
        f"expected one of {statuses}, got {response.status_code}: {response.text}"
    )
    for status, key, message in allowed:
        if response.status_code == status:
            assert_error(response, status, key, message)
