"""The spec itself: valid OpenAPI 3.1, Conduit-compatible, and every operation under test.

These tests need no server.
"""

from __future__ import annotations

from pathlib import Path

from openapi_spec_validator import validate

from tests.client import load_spec
from tests.conftest import covered_operations

CONDUIT_OPERATIONS = {
    "Login", "CreateUser", "GetCurrentUser", "UpdateCurrentUser", "GetProfileByUsername",
    "FollowUserByUsername", "UnfollowUserByUsername", "GetArticlesFeed", "GetArticles",
    "CreateArticle", "GetArticle", "UpdateArticle", "DeleteArticle", "GetArticleComments",
    "CreateArticleComment", "DeleteArticleComment", "CreateArticleFavorite",
    "DeleteArticleFavorite", "GetTags",
}  # fmt: skip
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head"}


def operations() -> dict[str, tuple[str, str]]:
    """operationId -> (method, path) for every operation in the spec."""
    found: dict[str, tuple[str, str]] = {}
    for path, item in load_spec()["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                assert operation["operationId"] not in found, operation["operationId"]
                found[operation["operationId"]] = (method, path)
    return found


def test_the_spec_is_valid_openapi_3_1() -> None:
    spec = load_spec()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_the_spec_has_the_conduit_operations_plus_health() -> None:
    assert set(operations()) == CONDUIT_OPERATIONS | {"GetHealth"}
    assert operations()["GetArticlesFeed"] == ("get", "/articles/feed")
    assert operations()["DeleteArticleComment"] == ("delete", "/articles/{slug}/comments/{id}")


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
