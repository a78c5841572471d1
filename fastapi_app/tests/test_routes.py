"""Route table: every operation of shared_spec/openapi.yaml is served exactly once, at the spec's
method and path, by a handler marked `# operationId: <Id>` and named snake_case(<Id>).

FastAPI keeps included routers as they are (`app.routes` holds one entry per router), so the
table is walked with `fastapi.routing.iter_route_contexts`, which yields each route with the
path and settings it is served with."""

import inspect
import re
from collections import Counter
from pathlib import Path

import yaml
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from fastapi_app.main import create_app

SPEC = Path(__file__).resolve().parents[2] / "shared_spec" / "openapi.yaml"
HTTP_METHODS = {"get", "post", "put", "delete", "patch"}


def spec_operations() -> dict[str, tuple[str, str]]:
    """operationId -> (METHOD, path as served). Paths sit under /api unless their path item
    names servers outside it (GetHealth at /health)."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    operations = {}
    for path, item in spec["paths"].items():
        servers = item.get("servers", spec["servers"])
        prefix = "/api" if all(s["url"].rstrip("/").endswith("/api") for s in servers) else ""
        for method, operation in item.items():
            if method in HTTP_METHODS:
                operations[operation["operationId"]] = (method.upper(), prefix + path)
    return operations


def api_routes() -> list[RouteContext]:
    routes = iter_route_contexts(create_app().routes)
    return [route for route in routes if isinstance(route.original_route, APIRoute)]


def marker_above(route: RouteContext) -> str | None:
    """The `# operationId: X` comment on the line right above the handler's first decorator."""
    assert route.endpoint is not None
    _, first_line = inspect.getsourcelines(route.endpoint)
    module = inspect.getmodule(route.endpoint)
    assert module is not None
    module_lines = inspect.getsource(module).splitlines()
    match = re.fullmatch(r"# operationId: (\w+)", module_lines[first_line - 2].strip())
    return match.group(1) if match else None


def snake_case(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def test_every_spec_operation_is_served_once_at_its_path_and_method() -> None:
    expected = spec_operations()
    served = [
        (route.operation_id, method, route.path_format)
        for route in api_routes()
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]

    assert Counter(operation_id for operation_id, _, _ in served) == Counter(expected.keys())
    for operation_id, method, path in served:
        assert expected[operation_id] == (method, path), operation_id
    assert "GetHealth" in expected


def test_every_handler_is_marked_and_named_after_its_operation_id() -> None:
    for route in api_routes():
        assert route.operation_id, route.path
        assert marker_above(route) == route.operation_id, route.endpoint
        assert route.endpoint is not None
        assert route.endpoint.__name__ == snake_case(route.operation_id)
