"""The spec itself: valid OpenAPI 3.1, Conduit-compatible, and every operation under test.

These tests need no server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate

from tests.client import load_spec
from tests.conftest import covered_operations

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head"}
# The upstream RealWorld spec, if checked out beside the project (which never needs it).
UPSTREAM_SPEC = Path(__file__).resolve().parents[2] / "shared" / "realworld" / "openapi.yml"


def operations(spec: dict[str, Any] | None = None) -> dict[str, tuple[str, str]]:
    """operationId -> (method, path) for every operation in the spec."""
    found: dict[str, tuple[str, str]] = {}
    for path, item in (spec or load_spec())["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                assert operation["operationId"] not in found, operation["operationId"]
                found[operation["operationId"]] = (method, path)
    return found


def conduit_operations() -> dict[str, tuple[str, str]]:
    """The Conduit API: every operation served under /api, i.e. all but those whose path item
    names its own servers (the health check)."""
    paths = load_spec()["paths"]
    return {op: where for op, where in operations().items() if "servers" not in paths[where[1]]}


def test_the_spec_is_valid_openapi_3_1() -> None:
    spec = load_spec()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_the_spec_has_the_19_conduit_operations_plus_health() -> None:
    conduit = conduit_operations()
    if UPSTREAM_SPEC.is_file():
        upstream = yaml.safe_load(UPSTREAM_SPEC.read_text(encoding="utf-8"))
        assert conduit == operations(upstream)
    assert len(conduit) == 19
    assert set(operations()) - set(conduit) == {"GetHealth"}
    assert conduit["Login"] == ("post", "/users/login")
    assert conduit["GetArticlesFeed"] == ("get", "/articles/feed")
    assert conduit["DeleteArticleComment"] == ("delete", "/articles/{slug}/comments/{id}")
    assert conduit["DeleteArticleFavorite"] == ("delete", "/articles/{slug}/favorite")


def test_every_operation_has_contract_tests() -> None:
    missing = set(operations()) - covered_operations(Path(__file__).parent)
    assert not missing, f"operations with no @pytest.mark.operation test: {sorted(missing)}"


def test_every_error_response_uses_the_generic_error_model() -> None:
    responses = load_spec()["components"]["responses"]
    for name in ("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict",
                 "PayloadTooLarge", "UnsupportedMediaType", "ValidationError"):  # fmt: skip
        schema = responses[name]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/GenericErrorModel"}, name


def test_status_codes_match_the_upstream_conventions() -> None:
    spec = load_spec()["paths"]
    assert "201" in spec["/users"]["post"]["responses"]
    assert "409" in spec["/users"]["post"]["responses"]
    assert "201" in spec["/articles"]["post"]["responses"]
    assert "201" in spec["/articles/{slug}/comments"]["post"]["responses"]
    for path, method in (
        ("/articles/{slug}", "delete"),
        ("/articles/{slug}/comments/{id}", "delete"),
    ):
        assert set(spec[path][method]["responses"]) >= {"204", "401", "403", "404"}
