"""Every operation of shared_spec/openapi.yaml is served exactly once, where the spec says.

Walks Django's URL resolver, reads the `# operationId: X` marker above each handler method in its
source, and compares (method, path) -> operationId with the spec.
"""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

import inspect
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import FunctionType
from urllib.parse import urlparse

import yaml
from django.conf import settings
from django.test import SimpleTestCase
from django.urls import URLPattern, URLResolver, get_resolver

SPEC = Path(settings.REPO_ROOT) / "shared_spec" / "openapi.yaml"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
MARKER = re.compile(r"^\s*# operationId: (\w+)\s*$")


def normalise(path: str) -> str:
    """Path parameters as `{}`, so /articles/<str:slug> and /articles/{slug} compare equal."""
    path = re.sub(r"<(?:\w+:)?\w+>", "{}", path)
    return re.sub(r"\{\w+\}", "{}", path)


def routes(
    patterns: list[URLPattern | URLResolver], prefix: str = "/"
) -> Iterator[tuple[str, type]]:
    """(path, view class) for every DRF view in the URLconf."""
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if view_class is not None:
                yield prefix + route, view_class


def marker(function: FunctionType) -> str | None:
    """The operationId in the comment line directly above a function's `def`."""
    lines, _ = inspect.findsource(function)
    code = function.__code__
    above = lines[code.co_firstlineno - 2] if code.co_firstlineno >= 2 else ""
    match = MARKER.match(above)
    return match.group(1) if match else None


def served() -> list[tuple[str, str, str | None]]:
    """(METHOD, normalised path, operationId) for every handler method in the URLconf."""
    found = []
    for path, view_class in routes(get_resolver().url_patterns):
        for method in HTTP_METHODS:
            if method in view_class.__dict__:
                handler = view_class.__dict__[method]
                found.append((method.upper(), normalise(path), marker(handler)))
    return found


def specified() -> dict[str, tuple[str, str]]:
    """operationId -> (METHOD, normalised full path) from the spec."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    api_prefix = urlparse(spec["servers"][0]["url"]).path.rstrip("/")
    operations = {}
    for path, item in spec["paths"].items():
        prefix = api_prefix
        if "servers" in item:
            prefix = urlparse(item["servers"][0]["url"]).path.rstrip("/")
        for method in HTTP_METHODS:
            if method in item:
                operations[item[method]["operationId"]] = (method.upper(), normalise(prefix + path))
    return operations


class RouteTableTests(SimpleTestCase):
    """operationId markers versus the spec."""

    def test_every_handler_has_a_marker(self) -> None:
        unmarked = [(method, path) for method, path, op in served() if op is None]
        self.assertEqual(unmarked, [])

    def test_every_spec_operation_is_served_once_at_its_path_and_method(self) -> None:
        handlers = served()
        where = {op: (method, path) for method, path, op in handlers}
        spec = specified()
        self.assertEqual(Counter(op for _, _, op in handlers), Counter(spec.keys()))
        for operation_id, expected in spec.items():
            with self.subTest(operation_id):
                self.assertEqual(where[operation_id], expected)

    def test_no_handler_serves_an_operation_the_spec_lacks(self) -> None:
        extra = {op for _, _, op in served()} - set(specified())
        self.assertEqual(extra, set())
