"""What each app serves, read from the running app: routes, handlers, wire shapes, services.

Each app is built the way its own tests build it, on a throwaway in-memory SQLite database that
nothing connects to. Its route table says which function serves which method and path; the
`# operationId:` line above that function names the spec operation; the objects the function's
bytecode loads, looked up in the modules the README's concern index gives each role, are its
wire shapes and service functions; `inspect` gives their source with real line numbers. So
the comparison depends on the route tables and the module roles, never on how code is written.
"""

import ast
import dis
import inspect
import os
import re
import sys
import textwrap
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from pathlib import Path
from types import CodeType, FunctionType
from typing import Any
from unittest import mock
from urllib.parse import urlparse

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = REPO_ROOT / "shared_spec" / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
MARKER = re.compile(r"#\s*operationId:\s*(\w+)\s*$")
DATABASE = "sqlite:///:memory:"  # never connected to: building an app opens no connection
ENVIRONMENT = {"DATABASE_URL": DATABASE, "APP_ENV": "development",
               "DJANGO_SETTINGS_MODULE": "django_app.settings"}  # fmt: skip


@dataclass(frozen=True)
class App:
    """One app, and the modules that hold its wire shapes and its domain operations."""

    key: str
    title: str
    package: str
    shapes: str
    services: tuple[str, ...]
    shape_kind: str

    def is_shape(self, obj: Any) -> bool:
        return (
            isinstance(obj, type) and obj.__module__ == self.shapes and "." not in obj.__qualname__
        )

    def is_service(self, obj: Any) -> bool:
        return isinstance(obj, FunctionType) and obj.__module__ in self.services


APPS = (
    App("flask", "Flask", "flask_app", "flask_app.schemas", ("flask_app.services",),
        "marshmallow schemas"),
    App("django", "Django", "django_app", "django_app.conduit.serializers",
        ("django_app.conduit.services", "django_app.conduit.models"), "DRF serializers"),
    App("fastapi", "FastAPI", "fastapi_app", "fastapi_app.schemas", ("fastapi_app.services",),
        "Pydantic models"),
)  # fmt: skip


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, with the full path a client requests."""

    operation_id: str
    method: str
    path: str
    tag: str
    summary: str
    description: str


def spec_operations(spec_path: Path = SPEC_PATH) -> list[Operation]:
    """Every operation in spec order; a path-level `servers` (health) moves it off /api."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is 10x faster
    spec = yaml.load(spec_path.read_text(encoding="utf-8"), Loader=loader)

    def prefix(servers: list[dict[str, str]] | None, default: str) -> str:
        return urlparse(servers[0]["url"]).path.rstrip("/") if servers else default

    root, found = prefix(spec.get("servers"), ""), []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                full_path = prefix(item.get("servers"), root) + path
                tag, summary = (op.get("tags") or ["Untagged"])[0], op.get("summary", "")
                found.append(Operation(op["operationId"], method.upper(), full_path, tag,
                                       summary, op.get("description", "")))  # fmt: skip
    return found


def normalise_path(path: str) -> str:
    """`/a/<str:slug>`, `/a/<slug>` and `/a/{slug}` all become `/a/{}`: routes compare by shape."""
    return re.sub(r"<[^>]*>|\{[^}]*\}", "{}", path)


@dataclass(frozen=True)
class Code:
    """Lines of one file, as `inspect` found them, starting at line `start`."""

    path: str
    start: int
    lines: tuple[str, ...]
    label: str = ""

    @property
    def end(self) -> int:
        return self.start + len(self.lines) - 1

    @property
    def location(self) -> str:
        return f"{self.path}:{self.start}" + (f"-{self.end}" if self.end > self.start else "")


def source(obj: Any, label: str = "") -> Code:
    lines, start = inspect.getsourcelines(obj)
    path = Path(inspect.getsourcefile(obj) or "").resolve().relative_to(REPO_ROOT).as_posix()
    return Code(path, max(start, 1), tuple(line.rstrip("\n") for line in lines), label)


# --- the route tables -------------------------------------------------------------------------


@dataclass
class Handler:
    """One entry of an app's route table: the function serving `method` at `path`."""

    method: str
    path: str
    function: FunctionType
    owner: type | None = None  # the DRF view class
    urlconf: list[Code] = field(default_factory=list)  # Django's path() entries, innermost first
    operation_id: str | None = None  # FastAPI's operation_id=
    response_model: Any = None  # FastAPI's response_model=

    @property
    def name(self) -> str:
        return self.function.__qualname__

    @property
    def marker(self) -> str | None:
        """The operationId on the line right above the function (above its decorators)."""
        lines, index = inspect.findsource(self.function)
        match = MARKER.search(lines[index - 1]) if index else None
        return match.group(1) if match else None


@cache
def routes(key: str) -> tuple[Handler, ...]:
    """The app's route table, built once per process. The apps and Django are imported by name,
    so that `mypy tools` does not check them as part of the tools (`make typecheck` does)."""
    with mock.patch.dict(os.environ, ENVIRONMENT):
        if key == "flask":
            app = import_module("flask_app").create_app({"SQLALCHEMY_DATABASE_URI": DATABASE})
            return tuple(_flask_routes(app))
        if key == "django":
            import_module("django").setup()
            return tuple(_django_routes(import_module("django.urls").get_resolver(), "/", []))
        settings = import_module("fastapi_app.config").Settings(database_url=DATABASE)
        return tuple(_fastapi_routes(import_module("fastapi_app.main").create_app(settings)))


def _flask_routes(app: Any) -> Iterator[Handler]:
    # The API's routes are those of the Blueprints flask-smorest documents; the docs pages, the
    # front door and the admin are views of their own (as Django's are not APIView methods).
    api_blueprints = app.extensions["flask-smorest"]["blp_name_to_api"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.partition(".")[0] not in api_blueprints:
            continue
        function = inspect.unwrap(app.view_functions[rule.endpoint])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield Handler(method, rule.rule, function)


def _django_routes(resolver: Any, prefix: str, outer: list[Code]) -> Iterator[Handler]:
    """Every APIView method under the URL resolver, with the `path()` entries that lead to it."""
    for index, pattern in enumerate(resolver.url_patterns):
        entries = [*_urlconf_entry(resolver.urlconf_module, index), *outer]
        if hasattr(pattern, "url_patterns"):  # an include()
            yield from _django_routes(pattern, prefix + str(pattern.pattern), entries)
        elif (view := getattr(pattern.callback, "cls", None)) is not None:
            for method in HTTP_METHODS:
                if isinstance(function := vars(view).get(method), FunctionType):
                    path = prefix + str(pattern.pattern)
                    yield Handler(method.upper(), path, function, view, entries)


def _urlconf_entry(module: Any, index: int) -> list[Code]:
    """Element `index` of the URLconf module's `urlpatterns = [...]`: that route's declaration."""
    if not inspect.ismodule(module):
        return []  # a list of patterns built in code (the admin's), not a URLconf module
    whole = source(module)
    for node in ast.parse("\n".join(whole.lines)).body:
        targets = getattr(node, "targets", [getattr(node, "target", None)])
        if "urlpatterns" in [t.id for t in targets if isinstance(t, ast.Name)]:
            items = getattr(getattr(node, "value", None), "elts", [])[index : index + 1]
            return [Code(whole.path, i.lineno, whole.lines[i.lineno - 1 : i.end_lineno],
                         "URLconf entry") for i in items]  # fmt: skip
    return []


def _fastapi_routes(app: Any) -> Iterator[Handler]:
    from fastapi.routing import APIRoute, iter_route_contexts

    # Included routers stay whole in app.routes; this walks them with their prefixes.
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if isinstance(original, APIRoute) and isinstance(route.endpoint, FunctionType):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield Handler(method, route.path or "", route.endpoint,
                              operation_id=original.operation_id,
                              response_model=original.response_model)  # fmt: skip


# --- one operation in one app -----------------------------------------------------------------


@dataclass
class Found:
    """What the comparison shows for one operation in one app, or what is wrong."""

    app: App
    operation: Operation
    handler: Handler | None = None
    route_matches: bool = False  # served at the spec's method and path
    route: list[Code] = field(default_factory=list)
    handler_code: Code | None = None
    code: list[Code] = field(default_factory=list)  # view class head, handler, its helpers
    shapes: list[Code] = field(default_factory=list)
    related_shapes: list[Code] = field(default_factory=list)
    services: list[Code] = field(default_factory=list)
    service_calls: list[Code] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def locate(app: App, operation: Operation) -> Found:
    """The handler marked with the operation's id, checked against the route table's entry for
    the spec's method and path, with the code it uses."""
    found, wanted, table = Found(app, operation), operation.operation_id, routes(app.key)
    served = f"{operation.method} {operation.path}"
    marked = [h for h in table if h.marker == wanted]
    at_spec = [h for h in table if f"{h.method} {normalise_path(h.path)}" == normalise_path(served)]
    if len(marked) != 1:
        names = ", ".join(h.name for h in marked) or "none"
        found.problems.append(f"{len(marked)} handlers marked `# operationId: {wanted}` ({names})")
    if marked and at_spec and at_spec[0] is not marked[0]:
        found.problems.append(f"{served} is served by {at_spec[0].name}")
    handler = found.handler = next(iter(marked or at_spec), None)
    if handler is None:
        return found
    found.route_matches = any(h is handler for h in at_spec)
    if not found.route_matches:
        found.problems.append(f"{handler.name} is served at {handler.method} {handler.path}")
    if handler.operation_id not in (None, wanted):
        found.problems.append(f"{handler.name} declares operation_id={handler.operation_id!r}")

    whole = source(handler.function, handler.name)
    if handler.urlconf:  # Django: the URLconf routes; decorators (docs) belong to the handler
        found.route, found.handler_code = handler.urlconf, whole
    else:  # Flask and FastAPI: the route is declared by the handler's decorators
        def_line = ast.parse(textwrap.dedent("\n".join(whole.lines))).body[0].lineno
        route = Code(whole.path, whole.start, whole.lines[: def_line - 1], "route decorators")
        found.route = [route]
        start, lines = whole.start + def_line - 1, whole.lines[def_line - 1 :]
        found.handler_code = Code(whole.path, start, lines)
    found.code = [*_class_head(handler.owner), found.handler_code]
    used = _references(handler.function, handler.owner)
    module = handler.function.__module__
    helpers = [o for o in used if isinstance(o, FunctionType) and o.__module__ == module]
    for helper in [h for h in helpers if h is not handler.function]:
        found.code.append(source(helper, f"{helper.__qualname__} (helper)"))
        used += _references(helper, handler.owner)
    try:
        hints = list(typing.get_type_hints(handler.function, include_extras=True).values())
    except (NameError, TypeError):  # an annotation only a type checker can resolve
        hints = list(handler.function.__annotations__.values())
    values = [*hints, *used, handler.response_model]  # roughly: input, then output
    shapes = _unique(t for value in values for t in _types_in(value, 0) if app.is_shape(t))
    found.shapes = [source(cls, cls.__name__) for cls in shapes]
    for cls, why in _closure(shapes, lambda cls: _shape_parts(app, cls)):
        found.related_shapes.append(source(cls, f"{cls.__name__} ({why})"))
    services = _unique(o for o in used if app.is_service(o))
    found.services = [source(f, f.__qualname__) for f in services]
    for function, why in _closure(services, lambda f: _service_calls(app, f)):
        found.service_calls.append(source(function, f"{function.__qualname__} ({why})"))
    return found


def _class_head(cls: type | None) -> list[Code]:
    """The class line, docstring and attributes (DRF's permission_classes), up to its methods."""
    if cls is None:
        return []
    whole = source(cls, f"{cls.__name__} (view class)")
    methods = [f.__code__.co_firstlineno for f in vars(cls).values() if inspect.isfunction(f)]
    lines = list(whole.lines[: min(methods, default=whole.end + 1) - whole.start])
    while lines and (not lines[-1].strip() or lines[-1].strip().startswith("#")):
        lines.pop()  # the blank line and the marker above the first method
    return [Code(whole.path, whole.start, tuple(lines), whole.label)]


def _loads(code: CodeType) -> Iterator[tuple[str, str | None, bool]]:
    """What the bytecode (nested functions included) loads, in order: `(name, None, True)` for a
    global, `(attribute, base, base_is_global)` for an attribute read (`base` is "" when it is
    read off an expression rather than a name)."""
    base = ("", False)
    for instruction in dis.get_instructions(code):
        name, operation = instruction.argval, instruction.opname
        if operation in ("LOAD_GLOBAL", "LOAD_NAME"):
            yield name, None, True
            base = (name, True)
        elif operation in ("LOAD_ATTR", "LOAD_METHOD"):
            yield name, *base
            base = ("", False)
        else:
            local = operation.startswith(("LOAD_FAST", "LOAD_DEREF")) and isinstance(name, str)
            base = (name, False) if local else ("", False)
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _loads(constant)


def _references(function: FunctionType, owner: type | None = None) -> list[Any]:
    """The objects `function` loads: globals, attributes of the modules and classes it loads, of
    its own class through `self`, and (Django) methods of the models' QuerySets it reaches."""
    namespace = function.__globals__
    loads = list(_loads(function.__code__))
    loaded = [namespace[name] for name, base, _ in loads if base is None and name in namespace]
    querysets = _querysets([*loaded, owner])
    found: list[Any] = []
    for name, base, base_is_global in loads:
        if base is None:
            found.append(namespace.get(name))
            continue
        holder = namespace.get(base) if base_is_global else owner if base == "self" else None
        if inspect.ismodule(holder) or isinstance(holder, type):
            found.append(getattr(holder, name, None))
        found += [vars(queryset).get(name) for queryset in querysets]
    return _unique(found)


def _querysets(values: Iterable[Any]) -> list[type]:
    """Django: the QuerySet classes behind the models among `values`, and QuerySets among them."""
    found = []
    for value in values:
        if isinstance(value, type):
            queryset = getattr(getattr(value, "_default_manager", None), "_queryset_class", None)
            found.append(queryset or (value if hasattr(value, "as_manager") else None))
    return _unique(found)


def _service_calls(app: App, function: FunctionType) -> list[tuple[Any, str]]:
    """The service functions and QuerySet methods a service function calls in turn."""
    owner = getattr(
        sys.modules[function.__module__], function.__qualname__.rpartition(".")[0], None
    )
    called = _references(function, owner if isinstance(owner, type) else None)
    return [(f, f"called by {function.__qualname__}") for f in called if app.is_service(f)]


def _shape_parts(app: App, cls: type) -> list[tuple[Any, str]]:
    """The shapes `cls` builds on: its bases, and the classes of its fields (marshmallow's and
    DRF's declared fields, Pydantic's annotations, nested shapes inside them)."""
    values = [v for k, v in vars(cls).items() if not k.startswith("__")]
    values += getattr(cls, "_declared_fields", {}).values()
    values += [f.annotation for f in getattr(cls, "__pydantic_fields__", {}).values()]
    parts = [(b, f"base of {cls.__name__}") for b in cls.__bases__]
    parts += [(t, f"used by {cls.__name__}") for v in values for t in _types_in(v, 2)]
    return [(t, why) for t, why in parts if app.is_shape(t)]


def _types_in(value: Any, depth: int) -> Iterator[Any]:
    """Classes in a value: itself, a type's arguments (`list[X]`, `Annotated[X, ...]`), and, to
    `depth` levels, an object's class and what its attributes hold (`Nested(X)`)."""
    if isinstance(value, type):
        yield value
    elif typing.get_args(value) or isinstance(value, list | tuple):
        for item in typing.get_args(value) or value:
            yield from _types_in(item, depth)
    elif depth and hasattr(value, "__dict__") and not inspect.isroutine(value):
        yield type(value)
        for attribute in vars(value).values():
            yield from _types_in(attribute, depth - 1)


def _unique(items: Iterable[Any]) -> list[Any]:
    """Items in order, each once, by identity (ORM attributes overload `==`), without None."""
    return list({id(item): item for item in items if item is not None}.values())


def _closure(
    start: list[Any], step: Callable[[Any], list[tuple[Any, str]]]
) -> list[tuple[Any, str]]:
    """Breadth first from `start`: each item reached once, with why it was reached."""
    seen, queue, found = {id(item) for item in start}, list(start), []
    while queue:
        for item, why in step(queue.pop(0)):
            if id(item) not in seen:
                seen.add(id(item))
                found.append((item, why))
                queue.append(item)
    return found
