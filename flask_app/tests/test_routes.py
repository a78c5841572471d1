"""The route table serves every operationId of the shared spec exactly once, where it says."""

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import yaml
from flask import Flask
from werkzeug.routing import Rule

SPEC_PATH = Path(__file__).resolve().parents[2] / "shared_spec" / "openapi.yaml"
MARKER = re.compile(r"#\s*operationId:\s*(\w+)\s*$")
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def snake_case(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def marker_of(view: Callable[..., object]) -> str | None:
    """The `# operationId: X` comment on the line directly above the handler's decorators."""
    function = inspect.unwrap(view)
    _, first_line = inspect.getsourcelines(function)  # 1-based line of the first decorator
    lines = Path(inspect.getfile(function)).read_text(encoding="utf-8").splitlines()
    match = MARKER.search(lines[first_line - 2]) if first_line >= 2 else None
    return match.group(1) if match else None


def api_rules(app: Flask) -> list[Rule]:
    """The routes of the API's Blueprints: those registered through flask-smorest's Api."""
    documented = app.extensions["flask-smorest"]["blp_name_to_api"]
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in documented]


def served_operations(app: Flask) -> list[tuple[str, str, str, str]]:
    """(operationId, METHOD, OpenAPI-style path, function name) for every handler route."""
    served = []
    for rule in api_rules(app):
        view = app.view_functions[rule.endpoint]
        operation_id = marker_of(view)
        assert operation_id, f"{rule.endpoint} has no '# operationId:' marker"
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            served.append((operation_id, method, path, inspect.unwrap(view).__name__))
    return served


def spec_operations() -> dict[str, tuple[str, str]]:
    """operationId -> (METHOD, full path), applying `servers` prefixes (global, path, operation)."""
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))

    def prefix(servers: list[dict[str, str]] | None, default: str) -> str:
        return urlparse(servers[0]["url"]).path.rstrip("/") if servers else default

    root = prefix(spec.get("servers"), "")
    operations = {}
    for path, item in spec["paths"].items():
        path_prefix = prefix(item.get("servers"), root)
        for method, operation in item.items():
            if method in HTTP_METHODS:
                full = prefix(operation.get("servers"), path_prefix) + path
                operations[operation["operationId"]] = (method.upper(), full)
    return operations


def test_every_handler_is_marked_and_named_after_its_operation(app: Flask) -> None:
    served = served_operations(app)
    ids = [operation_id for operation_id, *_ in served]
    assert sorted(ids) == sorted(spec_operations())  # each spec operation exactly once
    for operation_id, _method, _path, function_name in served:
        assert function_name == snake_case(operation_id)


def test_route_table_matches_the_shared_spec(app: Flask) -> None:
    served = {op: (method, path) for op, method, path, _ in served_operations(app)}
    expected = spec_operations()
    assert set(expected) == set(served)
    for operation_id, (method, path) in expected.items():
        assert served[operation_id] == (method, path), operation_id


def test_every_other_route_is_a_page_outside_the_api(app: Flask) -> None:
    """The docs, their files and the front door: no route but the API's is under /api."""
    pages = [rule for rule in app.url_map.iter_rules() if rule not in api_rules(app)]
    assert {rule.rule for rule in pages} >= {"/", "/docs", "/redoc", "/openapi.json"}
    for rule in pages:
        assert not f"{rule.rule}/".startswith("/api/"), rule.rule
