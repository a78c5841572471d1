"""The docs: /openapi.json documents what the spec does, /docs and /redoc load only from here.

The document is drf-spectacular's, generated from the views' @extend_schema annotations; each
operation's id, tag, summary, parameters, request body, status codes and security are compared
with shared_spec/openapi.yaml. The pages and their assets (drf-spectacular-sidecar's static
files, served by WhiteNoise) must not name another host.
"""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

import re
from io import StringIO
from typing import Any
from urllib.parse import urlparse

import yaml
from django.core.management import call_command
from django.test import SimpleTestCase, TestCase

from django_app.conduit.tests.test_routes import HTTP_METHODS, SPEC, normalise

# src="..." and href="..." in a page: everything it loads or links to.
REFERENCE = re.compile(r'(?:src|href)="([^"]*)"')


def spec() -> dict[str, Any]:
    """shared_spec/openapi.yaml."""
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return loaded


def resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node`, or what its local $ref points at."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(document: dict[str, Any], *, api_prefix: str = "") -> dict[str, dict[str, Any]]:
    """operationId -> the operation, with its `method` and normalised full `path` added.

    A path item naming its own servers (the spec's /health) is outside `api_prefix`.
    """
    found = {}
    for path, item in document["paths"].items():
        prefix = "" if "servers" in item else api_prefix
        for method in HTTP_METHODS:
            if method in item:
                operation = item[method]
                found[operation["operationId"]] = {
                    **operation,
                    "method": method,
                    "path": normalise(prefix + path),
                }
    return found


class OpenAPIDocumentTests(TestCase):
    """GET /openapi.json against the spec."""

    spec: dict[str, Any]
    expected: dict[str, dict[str, Any]]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.spec = spec()
        cls.expected = operations(
            cls.spec, api_prefix=urlparse(cls.spec["servers"][0]["url"]).path.rstrip("/")
        )

    def setUp(self) -> None:
        response = self.client.get("/openapi.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        self.document = response.json()
        self.generated = operations(self.document)

    def test_it_is_openapi_3_1_with_the_spec_title_and_version(self) -> None:
        self.assertEqual(self.document["openapi"], "3.1.0")
        for key in ("title", "version"):
            self.assertEqual(self.document["info"][key], self.spec["info"][key])
        self.assertEqual(
            [tag["name"] for tag in self.document["tags"]],
            [tag["name"] for tag in self.spec["tags"]],
        )

    def test_it_has_the_spec_operations_at_their_methods_and_paths(self) -> None:
        self.assertEqual(
            {op: (o["method"], o["path"]) for op, o in self.generated.items()},
            {op: (o["method"], o["path"]) for op, o in self.expected.items()},
        )

    def test_each_operation_has_the_spec_tags_summary_and_status_codes(self) -> None:
        for operation_id, expected in self.expected.items():
            generated = self.generated[operation_id]
            with self.subTest(operation_id):
                self.assertEqual(generated["tags"], expected["tags"])
                self.assertEqual(generated["summary"], expected["summary"])
                self.assertEqual(set(generated["responses"]), set(expected["responses"]))

    def test_each_operation_has_the_spec_parameters(self) -> None:
        for operation_id, expected in self.expected.items():
            with self.subTest(operation_id):
                wanted = [resolved(self.spec, p) for p in expected.get("parameters", [])]
                got = self.generated[operation_id].get("parameters", [])
                self.assertEqual(
                    {(p["name"], p["in"]): p.get("schema") for p in got},
                    {(p["name"], p["in"]): p.get("schema") for p in wanted},
                )

    def test_the_six_body_operations_document_their_envelope(self) -> None:
        with_body = {op for op, o in self.expected.items() if "requestBody" in o}
        self.assertEqual(len(with_body), 6)
        self.assertEqual({op for op, o in self.generated.items() if "requestBody" in o}, with_body)
        for operation_id in with_body:
            with self.subTest(operation_id):
                body = self.generated[operation_id]["requestBody"]
                self.assertTrue(body["required"])
                generated = resolved(self.document, body["content"]["application/json"]["schema"])
                expected_body = resolved(self.spec, self.expected[operation_id]["requestBody"])
                expected = expected_body["content"]["application/json"]["schema"]
                self.assertEqual(generated["required"], expected["required"])
                (envelope,) = expected["required"]
                inner = resolved(self.document, generated["properties"][envelope])
                wanted = resolved(self.spec, expected["properties"][envelope])
                self.assertEqual(set(inner["properties"]), set(wanted["properties"]))
                self.assertEqual(set(inner.get("required", [])), set(wanted.get("required", [])))

    def test_every_error_response_is_a_generic_error_model(self) -> None:
        model = self.document["components"]["schemas"]["GenericErrorModel"]
        self.assertEqual(model["required"], ["errors"])
        for operation_id, operation in self.generated.items():
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    with self.subTest(operation_id, code=code):
                        schema = response["content"]["application/json"]["schema"]
                        self.assertEqual(schema, {"$ref": "#/components/schemas/GenericErrorModel"})

    def test_every_401_documents_its_challenge(self) -> None:
        for operation_id, operation in self.generated.items():
            if "401" in operation["responses"]:
                with self.subTest(operation_id):
                    self.assertIn("WWW-Authenticate", operation["responses"]["401"]["headers"])

    def test_the_token_scheme_and_who_needs_it(self) -> None:
        self.assertEqual(
            self.document["components"]["securitySchemes"],
            {
                "Token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`Token <jwt>`",
                }
            },
        )
        for operation_id, expected in self.expected.items():
            with self.subTest(operation_id):
                self.assertEqual(
                    self.generated[operation_id].get("security"), expected.get("security")
                )

    def test_a_token_in_the_header_changes_nothing(self) -> None:
        for header in ("Token not-a-jwt", "Bearer"):
            response = self.client.get("/openapi.json", headers={"Authorization": header})
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.json(), self.document)


class GenerationTests(SimpleTestCase):
    """`manage.py spectacular`: the same document, with nothing drf-spectacular had to guess."""

    def test_it_generates_a_valid_document_without_warnings(self) -> None:
        out, err = StringIO(), StringIO()
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=err)
        self.assertEqual(err.getvalue(), "")
        self.assertIn("GetArticlesFeed", out.getvalue())


class PagesTests(TestCase):
    """The docs pages and the front door load only from this host."""

    def references(self, path: str) -> list[str]:
        """What the HTML page at `path` loads or links to; it names no other host."""
        response = self.client.get(path)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("text/html"))
        html = response.content.decode()
        self.assertNotIn("://", html)
        return REFERENCE.findall(html)

    def assert_served_here(self, references: list[str]) -> None:
        """Every static asset among `references` is served (by WhiteNoise)."""
        assets = [ref for ref in references if ref.startswith("/static/")]
        self.assertTrue(assets)
        for asset in assets:
            with self.subTest(asset):
                self.assertEqual(self.client.get(asset).status_code, 200)

    def test_swagger_ui_loads_its_assets_from_here_and_no_validator(self) -> None:
        references = self.references("/docs")
        self.assertIn(
            "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js", references
        )
        self.assert_served_here(references)
        html = self.client.get("/docs").content.decode()
        self.assertIn('"validatorUrl": null', html)
        self.assertIn('url: "/openapi.json"', html)

    def test_redoc_loads_its_assets_from_here_under_a_same_host_policy(self) -> None:
        references = self.references("/redoc")
        self.assertIn(
            "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js", references
        )
        self.assert_served_here(references)
        html = self.client.get("/redoc").content.decode()
        self.assertIn("default-src 'self'; img-src 'self' data:", html)
        self.assertIn('spec-url="/openapi.json"', html)

    def test_the_front_door_links_every_page(self) -> None:
        references = self.references("/")
        for path in ("/docs", "/redoc", "/openapi.json", "/admin/", "/api", "/health"):
            self.assertIn(path, references)

    def test_the_pages_answer_head(self) -> None:
        for path in ("/", "/docs", "/redoc", "/openapi.json"):
            with self.subTest(path):
                response = self.client.head(path)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.content, b"")

    def test_the_pages_get_no_cors_headers(self) -> None:
        for path in ("/", "/docs", "/openapi.json"):
            with self.subTest(path):
                response = self.client.get(path, headers={"Origin": "http://elsewhere.example"})
                self.assertNotIn("Access-Control-Allow-Origin", response)
