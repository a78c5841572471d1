"""The docs: /openapi.json documents what the spec does; /docs and /redoc load only from here.

The document is FastAPI's own, generated from the routers; each operation's id, tags,
summary, parameters, request body, documented status codes and security are compared with
shared_spec/openapi.yaml. The pages and their assets (openapi-ui-bundles' files) must not
name another host.
"""

import re
from typing import Any

import httpx
import pytest
import yaml

from fastapi_app.config import Settings
from fastapi_app.main import create_app
from fastapi_app.tests.test_routes import HTTP_METHODS, SPEC

pytestmark = pytest.mark.anyio

# src="..." and href="..." in a page: everything it loads or links to.
REFERENCE = re.compile(r'(?:src|href)="([^"]*)"')
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
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    document: dict[str, Any] = create_app(Settings(database_url="sqlite://")).openapi()
    return document


def resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node`, or what its local $ref points at."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(document: dict[str, Any], *, api_prefix: str = "") -> dict[str, dict[str, Any]]:
    """operationId -> the operation, with its `method` and full `path` added. A path item naming
    its own servers (the spec's /health) is outside `api_prefix`."""
    found = {}
    for path, item in document["paths"].items():
        prefix = "" if "servers" in item else api_prefix
        for method in HTTP_METHODS & set(item):
            operation = item[method]
            found[operation["operationId"]] = {**operation, "method": method, "path": prefix + path}
    return found


@pytest.fixture(scope="module")
def expected(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return operations(spec, api_prefix="/api")


@pytest.fixture(scope="module")
def generated(openapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return operations(openapi)


async def test_openapi_json_is_the_generated_document(
    client: httpx.AsyncClient, openapi: dict[str, Any]
) -> None:
    response = await client.get("/openapi.json", headers={"Authorization": "Token not-a-jwt"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == openapi


def test_it_is_openapi_3_1_with_the_spec_title_version_and_tags(
    openapi: dict[str, Any], spec: dict[str, Any]
) -> None:
    assert openapi["openapi"] == "3.1.0"
    for key in ("title", "version"):
        assert openapi["info"][key] == spec["info"][key]
    assert openapi["tags"] == spec["tags"]


def test_it_has_the_spec_operations_at_their_methods_and_paths(
    generated: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]
) -> None:
    assert len(expected) == 20
    assert {op: (o["method"], o["path"]) for op, o in generated.items()} == {
        op: (o["method"], o["path"]) for op, o in expected.items()
    }


def test_each_operation_has_the_spec_tags_summary_and_status_codes(
    generated: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]
) -> None:
    for operation_id, operation in expected.items():
        documented = generated[operation_id]
        assert documented["tags"] == operation["tags"], operation_id
        assert documented["summary"] == operation["summary"], operation_id
        assert set(documented["responses"]) == set(operation["responses"]), operation_id


def test_each_response_has_the_spec_description(
    openapi: dict[str, Any],
    spec: dict[str, Any],
    generated: dict[str, dict[str, Any]],
    expected: dict[str, dict[str, Any]],
) -> None:
    for operation_id, operation in expected.items():
        for status, response in operation["responses"].items():
            documented = generated[operation_id]["responses"][status]
            wanted = resolved(spec, response)
            assert documented["description"] == wanted["description"], (operation_id, status)
            assert documented.get("headers") == wanted.get("headers"), (operation_id, status)


def test_each_operation_has_the_spec_parameters(
    spec: dict[str, Any],
    generated: dict[str, dict[str, Any]],
    expected: dict[str, dict[str, Any]],
) -> None:
    """The same names, places, requirement and schema; Pydantic adds a `title` to each schema
    and repeats the parameter's description in it, which the comparison leaves out."""

    def described(parameter: dict[str, Any]) -> tuple[Any, ...]:
        schema = {k: v for k, v in parameter["schema"].items() if k not in ("title", "description")}
        return parameter.get("required", False), parameter.get("description"), schema

    for operation_id, operation in expected.items():
        wanted = [resolved(spec, p) for p in operation.get("parameters", [])]
        got = generated[operation_id].get("parameters", [])
        assert {(p["name"], p["in"]): described(p) for p in got} == {
            (p["name"], p["in"]): described(p) for p in wanted
        }, operation_id


def test_the_six_body_operations_document_their_envelope(
    openapi: dict[str, Any], generated: dict[str, dict[str, Any]]
) -> None:
    assert {op for op, o in generated.items() if "requestBody" in o} == set(BODY_OPERATIONS)
    for operation_id, model in BODY_OPERATIONS.items():
        body = generated[operation_id]["requestBody"]
        assert body["required"] is True
        schema = body["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}, operation_id


def test_every_error_response_is_a_generic_error_model(
    openapi: dict[str, Any], generated: dict[str, dict[str, Any]]
) -> None:
    """FastAPI's own 422 body (HTTPValidationError), which this app never sends, is not there."""
    components = openapi["components"]["schemas"]
    assert "HTTPValidationError" not in components
    assert "ValidationError" not in components
    assert components["GenericErrorModel"]["required"] == ["errors"]
    for operation_id, operation in generated.items():
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/GenericErrorModel"}, operation_id


def test_the_token_scheme_and_who_needs_it(
    openapi: dict[str, Any],
    generated: dict[str, dict[str, Any]],
    expected: dict[str, dict[str, Any]],
) -> None:
    """The spec's security per operation: none, the token, or the token or nothing (FastAPI
    lists the anonymous alternative last, the spec first: the same meaning)."""
    assert openapi["components"]["securitySchemes"] == {
        "Token": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <jwt>`",
        }
    }
    for operation_id, operation in expected.items():
        documented = generated[operation_id].get("security")
        wanted = operation.get("security")
        assert (sorted(documented, key=len) if documented else None) == wanted, operation_id


async def references(client: httpx.AsyncClient, path: str) -> list[str]:
    """What the HTML page at `path` loads or links to; it names no other host."""
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "://" not in response.text
    return REFERENCE.findall(response.text)


async def assert_served_here(client: httpx.AsyncClient, refs: list[str]) -> None:
    assets = [ref for ref in refs if ref.startswith("/docs/static/")]
    assert assets
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset


async def test_swagger_ui_loads_its_assets_from_here_and_no_validator(
    client: httpx.AsyncClient,
) -> None:
    refs = await references(client, "/docs")
    assert "/docs/static/swagger-ui/swagger-ui-bundle.js" in refs
    assert "/docs/static/swagger-ui/swagger-ui.css" in refs
    await assert_served_here(client, refs)
    html = (await client.get("/docs")).text
    assert '"validatorUrl": null' in html
    assert "url: '/openapi.json'" in html


async def test_redoc_loads_its_assets_from_here_under_a_same_host_policy(
    client: httpx.AsyncClient,
) -> None:
    refs = await references(client, "/redoc")
    assert "/docs/static/redoc/redoc.standalone.js" in refs
    await assert_served_here(client, refs)
    response = await client.get("/redoc")
    assert 'spec-url="/openapi.json"' in response.text
    assert "fonts.googleapis.com" not in response.text
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'self';")
    assert "img-src 'self' data:" in policy


async def test_the_front_door_links_every_page_and_the_demo_staff_login(
    client: httpx.AsyncClient,
) -> None:
    refs = await references(client, "/")
    for path in ("/docs", "/redoc", "/openapi.json", "/admin/", "/api", "/health"):
        assert path in refs
    assert "admin@example.com" in (await client.get("/")).text


async def test_the_front_door_shows_no_login_in_production(settings: Settings) -> None:
    production = create_app(
        settings.model_copy(update={"app_env": "production"}),
    )
    transport = httpx.ASGITransport(app=production)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/")
    await production.state.engine.dispose()
    assert response.status_code == 200
    assert "/docs" in response.text
    assert "admin@example.com" not in response.text


async def test_the_pages_answer_head_and_get_no_cors_headers(client: httpx.AsyncClient) -> None:
    for path in ("/", "/docs", "/redoc", "/openapi.json"):
        head = await client.head(path)
        assert (head.status_code, head.content) == (200, b""), path
        response = await client.get(path, headers={"Origin": "http://elsewhere.example"})
        assert "access-control-allow-origin" not in response.headers, path


async def test_api_itself_stays_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api")
    assert (response.status_code, response.json()) == (404, {"errors": {"route": ["not found"]}})
