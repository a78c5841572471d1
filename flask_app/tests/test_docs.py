"""The docs: /openapi.json documents what the spec does, /docs and /redoc load only from here.

The document is flask-smorest's, generated from the handlers' decorators; each operation's id,
tag, summary, parameters, request body, status codes and security are compared with
shared_spec/openapi.yaml. The pages and their files (openapi-ui-bundles', served by
views/docs.py) must not name another host, and errors anywhere keep the API's error body.
"""

import json
import re
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from openapi_ui_bundles import redoc, swagger_ui

from flask_app import create_app
from flask_app.tests.test_routes import HTTP_METHODS, SPEC_PATH

# src="..." and href="..." in a page: everything it loads or links to.
REFERENCE = re.compile(r'(?:src|href)="([^"]*)"')


def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node`, or what its local $ref points at."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(document: dict[str, Any], *, api_prefix: str = "") -> dict[str, dict[str, Any]]:
    """operationId -> the operation, with `method`, full `path` and the path item's parameters.

    A path item naming its own servers (the spec's /health) is outside `api_prefix`.
    """
    found = {}
    for path, item in document["paths"].items():
        prefix = "" if "servers" in item else api_prefix
        for method in HTTP_METHODS:
            if method in item:
                operation = item[method]
                parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
                found[operation["operationId"]] = {
                    **operation,
                    "parameters": [resolved(document, p) for p in parameters],
                    "method": method,
                    "path": prefix + path,
                }
    return found


SPEC = load_spec()
EXPECTED = operations(SPEC, api_prefix=urlparse(SPEC["servers"][0]["url"]).path.rstrip("/"))


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    generated: dict[str, Any] = response.get_json()
    return generated


@pytest.fixture
def generated(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return operations(document)


def test_it_is_openapi_3_1_with_the_spec_title_version_and_tags(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    for key in ("title", "version"):
        assert document["info"][key] == SPEC["info"][key]
    assert document["tags"] == SPEC["tags"]


def test_it_has_the_spec_operations_at_their_methods_and_paths(
    generated: dict[str, dict[str, Any]],
) -> None:
    assert {op: (o["method"], o["path"]) for op, o in generated.items()} == {
        op: (o["method"], o["path"]) for op, o in EXPECTED.items()
    }


@pytest.mark.parametrize("operation_id", sorted(EXPECTED))
def test_each_operation_has_the_spec_tags_summary_and_status_codes(
    generated: dict[str, dict[str, Any]], operation_id: str
) -> None:
    operation, expected = generated[operation_id], EXPECTED[operation_id]
    assert operation["tags"] == expected["tags"]
    assert operation["summary"] == expected["summary"]
    assert set(operation["responses"]) == set(expected["responses"])


@pytest.mark.parametrize("operation_id", sorted(EXPECTED))
def test_each_operation_has_the_spec_parameters(
    generated: dict[str, dict[str, Any]], operation_id: str
) -> None:
    def by_name(parameters: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
        return {(p["name"], p["in"]): (p.get("schema"), p.get("description")) for p in parameters}

    wanted = by_name(EXPECTED[operation_id]["parameters"])
    assert by_name(generated[operation_id]["parameters"]) == wanted


def test_the_six_body_operations_document_their_envelope(
    document: dict[str, Any], generated: dict[str, dict[str, Any]]
) -> None:
    with_body = {op for op, o in EXPECTED.items() if "requestBody" in o}
    assert len(with_body) == 6
    assert {op for op, o in generated.items() if "requestBody" in o} == with_body
    for operation_id in sorted(with_body):
        body = generated[operation_id]["requestBody"]
        assert body["required"] is True
        schema = resolved(document, body["content"]["application/json"]["schema"])
        expected_body = resolved(SPEC, EXPECTED[operation_id]["requestBody"])
        expected = expected_body["content"]["application/json"]["schema"]
        assert schema["required"] == expected["required"], operation_id
        (envelope,) = expected["required"]
        inner = resolved(document, schema["properties"][envelope])
        wanted = resolved(SPEC, expected["properties"][envelope])
        assert set(inner["properties"]) == set(wanted["properties"]), operation_id
        assert set(inner.get("required", [])) == set(wanted.get("required", [])), operation_id


def test_every_error_response_is_a_generic_error_model(
    document: dict[str, Any], generated: dict[str, dict[str, Any]]
) -> None:
    model = document["components"]["schemas"]["GenericErrorModel"]
    assert model["required"] == ["errors"]
    for operation_id, operation in generated.items():
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")):
                schema = resolved(document, response)["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/GenericErrorModel"}, operation_id


def test_every_401_documents_its_challenge(
    document: dict[str, Any], generated: dict[str, dict[str, Any]]
) -> None:
    for operation_id, operation in generated.items():
        if "401" in operation["responses"]:
            response = resolved(document, operation["responses"]["401"])
            assert "WWW-Authenticate" in response["headers"], operation_id


def test_the_token_scheme_and_who_needs_it(
    document: dict[str, Any], generated: dict[str, dict[str, Any]]
) -> None:
    assert document["components"]["securitySchemes"] == {
        "Token": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <jwt>`",
        }
    }
    for operation_id, expected in EXPECTED.items():
        assert generated[operation_id].get("security") == expected.get("security"), operation_id


def test_a_token_in_the_header_changes_nothing(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    for header in ("Token not-a-jwt", "Bearer"):
        response = client.get("/openapi.json", headers={"Authorization": header})
        assert response.status_code == 200
        assert response.get_json() == document


def test_it_is_generated_without_warnings_and_printed_by_the_cli(
    tmp_path: Path, document: dict[str, Any]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # apispec warns about a schema it had to rename or guess
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite3'}"})
    result = app.test_cli_runner().invoke(args=["openapi", "print"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == document


# --- the pages --------------------------------------------------------------------------------


def references(client: FlaskClient, path: str) -> list[str]:
    """What the HTML page at `path` loads or links to; it names no other host."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "://" not in html
    return REFERENCE.findall(html)


def assert_served_here(client: FlaskClient, references: list[str]) -> None:
    """Every file among `references` is served by this app."""
    files = [ref for ref in references if ref.startswith("/docs/static/")]
    assert files
    for path in files:
        bundle, name = path.removeprefix("/docs/static/").split("/")
        folder = {"swagger-ui": swagger_ui.static_path, "redoc": redoc.static_path}[bundle]
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.get_data() == (Path(folder) / name).read_bytes(), path


def test_swagger_ui_loads_its_files_from_here_and_no_validator(client: FlaskClient) -> None:
    found = references(client, "/docs")
    assert "/docs/static/swagger-ui/swagger-ui-bundle.js" in found
    assert "/docs/static/swagger-ui/swagger-ui.css" in found
    assert_served_here(client, found)
    html = client.get("/docs").get_data(as_text=True)
    assert '"validatorUrl": null' in html
    assert 'url: "/openapi.json"' in html


def test_swagger_ui_names_its_own_icon_so_the_browser_asks_for_no_favicon_ico(
    client: FlaskClient,
) -> None:
    found = references(client, "/docs")
    assert "/docs/static/swagger-ui/favicon-32x32.png" in found
    icon = client.get("/docs/static/swagger-ui/favicon-32x32.png")
    assert icon.status_code == 200
    assert icon.mimetype == "image/png"


def test_redoc_loads_its_files_from_here_under_a_same_host_policy(client: FlaskClient) -> None:
    found = references(client, "/redoc")
    assert "/docs/static/redoc/redoc.standalone.js" in found
    assert_served_here(client, found)
    html = client.get("/redoc").get_data(as_text=True)
    assert "default-src 'self'; img-src 'self' data:" in html
    assert 'spec-url="/openapi.json"' in html


def test_only_the_files_the_pages_use_are_served(client: FlaskClient) -> None:
    # Each bundle's demo index.html loads a document from another host.
    for path in (
        "/docs/static/swagger-ui/index.html",
        "/docs/static/redoc/index.html",
        "/docs/static/elsewhere/redoc.standalone.js",
        "/docs/static/redoc/../swagger_ui/vendor/index.html",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json() == {"errors": {"route": ["not found"]}}


def test_the_front_door_links_every_page(client: FlaskClient) -> None:
    found = references(client, "/")
    for path in ("/docs", "/redoc", "/openapi.json", "/api", "/health"):
        assert path in found


def test_the_pages_answer_head(client: FlaskClient) -> None:
    for path in ("/", "/docs", "/redoc", "/openapi.json"):
        response = client.head(path)
        assert response.status_code == 200, path
        assert response.get_data() == b""


def test_the_pages_get_no_cors_headers(client: FlaskClient) -> None:
    for path in ("/", "/docs", "/openapi.json"):
        response = client.get(path, headers={"Origin": "http://elsewhere.example"})
        assert "Access-Control-Allow-Origin" not in response.headers, path


def test_errors_outside_the_api_keep_its_error_body(app: Flask, client: FlaskClient) -> None:
    """flask-smorest's own error handler never answers: every error is errors.py's."""
    response = client.post("/openapi.json")
    assert response.status_code == 405
    assert response.get_json() == {"errors": {"method": ["not allowed"]}}
    assert client.get("/docs/").get_json() == {"errors": {"route": ["not found"]}}
    response = client.get("/api/articles?limit=0")
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"limit": ["must be an integer between 1 and 100"]}}
