"""The OpenAPI document FastAPI generates describes the bodies the app reads and sends."""

from typing import Any

import pytest

from fastapi_app.config import Settings
from fastapi_app.main import create_app

# operationId -> the request model FastAPI reads its body as.
BODY_OPERATIONS = {
    "Login": "LoginUserRequest",
    "CreateUser": "NewUserRequest",
    "UpdateCurrentUser": "UpdateUserRequest",
    "CreateArticle": "NewArticleRequest",
    "UpdateArticle": "UpdateArticleRequest",
    "CreateArticleComment": "NewCommentRequest",
}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    schema: dict[str, Any] = create_app(Settings(database_url="sqlite://")).openapi()
    return schema


def operations(openapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for item in openapi["paths"].values()
        for operation in item.values()
    }


def test_every_operation_that_takes_a_body_documents_it(openapi: dict[str, Any]) -> None:
    found = operations(openapi)
    for operation_id, model in BODY_OPERATIONS.items():
        body = found[operation_id].get("requestBody")
        assert body is not None, f"{operation_id} has no requestBody"
        assert body["required"] is True
        schema = body["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}, operation_id
    others = {op for op, operation in found.items() if "requestBody" in operation}
    assert others == set(BODY_OPERATIONS)


def test_client_errors_document_the_error_body_the_app_sends(openapi: dict[str, Any]) -> None:
    """No operation advertises FastAPI's HTTPValidationError (this app never sends it); each
    that can fail on its input documents the spec's error body for its 4xx answers."""
    for operation_id, operation in operations(openapi).items():
        responses = operation["responses"]
        assert "422" not in responses, operation_id
        if operation_id in ("GetTags", "GetHealth"):
            assert "4XX" not in responses, operation_id  # neither reads any input
            continue
        schema = responses["4XX"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/GenericErrorModel"}, operation_id
    components = openapi["components"]["schemas"]
    assert "HTTPValidationError" not in components
    assert "ValidationError" not in components
    assert components["GenericErrorModel"]["required"] == ["errors"]
