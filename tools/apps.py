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
# Read when each app is built; the database is never connected to.
THROWAWAY_ENV = {
    "DATABASE_URL": "sqlite:///:memory:",
    "APP_ENV": "development",
    "DJANGO_SETTINGS_MODULE": "django_app.settings",
}


@dataclass(frozen=True)
class App:
    """One app, and the modules that hold its wire shapes and its domain operations."""

    key: str
    title: str
    package: str
    shapes: str
    services: tuple[str, ...]
    shape_kind: str


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


def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is 10x faster
    spec: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return spec


def spec_operations(spec: dict[str, Any] | None = None) -> list[Operation]:
    """Every operation in spec order; a path-level `servers` (health) moves it off /api."""
    spec = spec or load_spec()

    def prefix(servers: list[dict[str, str]] | None, default: str) -> str:
        return urlparse(servers[0]["url"]).path.rstrip("/") if servers else default

    root = prefix(spec.get("servers"), "")
    return [
        Operation(
            op["operationId"],
            method.upper(),
            prefix(item.get("servers"), root) + path,
            (op.get("tags") or ["Untagged"])[0],
            op.get("summary", ""),
            op.get("description", ""),
        )
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


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
    """The app's route table (built once per process)."""
    readers = {"flask": _flask_routes, "django": _django_routes, "fastapi": _fastapi_routes}
    # The apps are imported by name: mypy checks them as apps (`make typecheck`), not as tools.
    with mock.patch.dict(os.environ, THROWAWAY_ENV):
        return tuple(readers[key]())


def _flask_routes() -> Iterator[Handler]:
    app = import_module("flask_app").create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": THROWAWAY_ENV["DATABASE_URL"]}
    )
    for rule in app.url_map.iter_rules():
        function = inspect.unwrap(app.view_functions[rule.endpoint])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield Handler(method, rule.rule, function)


def _django_routes() -> Iterator[Handler]:
    # By name as well: the stubs' plugin would otherwise pull the Django app into `mypy tools`.
    import_module("django").setup()
    urls = import_module("django.urls")

    def walk(resolver: Any, prefix: str, entries: list[tuple[Any, int]]) -> Iterator[Handler]:
        for index, pattern in enumerate(resolver.url_patterns):
            here = [(resolver.urlconf_module, index), *entries]
            if isinstance(pattern, urls.URLResolver):
                yield from walk(pattern, prefix + str(pattern.pattern), here)
                continue
            view = getattr(pattern.callback, "cls", None)
            for method in HTTP_METHODS if view is not None else ():
                if isinstance(vars(view).get(method), FunctionType):
                    entries_code = [_urlconf_entry(module, i) for module, i in here]
                    path = prefix + str(pattern.pattern)
                    yield Handler(method.upper(), path, vars(view)[method], view,
                                  [code for code in entries_code if code is not None])  # fmt: skip

    yield from walk(urls.get_resolver(), "/", [])


def _urlconf_entry(module: Any, index: int) -> Code | None:
    """Element `index` of the URLconf module's `urlpatterns = [...]`: that route's declaration."""
    if not inspect.ismodule(module):
        return None
    whole = source(module)
    for node in ast.parse("\n".join(whole.lines)).body:
        targets = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        if "urlpatterns" in targets and isinstance(node, ast.Assign):
            elements = node.value.elts if isinstance(node.value, ast.List) else []
            if index < len(elements):
                first, last = elements[index].lineno, elements[index].end_lineno
                return Code(whole.path, first, whole.lines[first - 1 : last], "URLconf entry")
    return None


def _fastapi_routes() -> Iterator[Handler]:
    from fastapi.routing import APIRoute, iter_route_contexts

    settings = import_module("fastapi_app.config").Settings(
        database_url=THROWAWAY_ENV["DATABASE_URL"]
    )
    app = import_module("fastapi_app.main").create_app(settings)
    # Included routers stay as they are in app.routes; this walks them with their prefixes.
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
    route: list[Code] = field(default_factory=list)
    code: list[Code] = field(default_factory=list)  # view class head, handler, its helpers
    shapes: list[Code] = field(default_factory=list)
    related_shapes: list[Code] = field(default_factory=list)
    services: list[Code] = field(default_factory=list)
    service_calls: list[Code] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def route_matches(self) -> bool:
        return self.handler is not None and (
            self.handler.method,
            normalise_path(self.handler.path),
        ) == (self.operation.method, normalise_path(self.operation.path))


def locate(app: App, operation: Operation) -> Found:
    """The handler marked with the operation's id, checked against the route serving the spec's
    method and path, with everything it uses."""
    found = Found(app, operation)
    table = routes(app.key)
    wanted = operation.operation_id
    marked = [h for h in table if h.marker == wanted]
    spec_route = (operation.method, normalise_path(operation.path))
    served = [h for h in table if (h.method, normalise_path(h.path)) == spec_route]
    if len(marked) != 1:
        names = ", ".join(h.name for h in marked) or "none"
        found.problems.append(f"{len(marked)} handlers marked `# operationId: {wanted}` ({names})")
    if not served:
        found.problems.append(
            f"the route table serves nothing at {operation.method} {operation.path}"
        )
    elif marked and served[0] is not marked[0]:
        found.problems.append(f"{served[0].name} serves {operation.method} {operation.path}")
    handler = found.handler = next(iter(marked or served), None)
    if handler is None:
        return found
    if handler.operation_id not in (None, wanted):
        found.problems.append(f"{handler.name} declares operation_id={handler.operation_id!r}")
    if not found.route_matches:
        found.problems.append(f"{handler.name} is served at {handler.method} {handler.path}")

    whole = source(handler.function, handler.name)
    def_line = ast.parse(textwrap.dedent("\n".join(whole.lines))).body[0].lineno
    decorators = Code(whole.path, whole.start, whole.lines[: def_line - 1], "route decorators")
    found.route = [decorators] if decorators.lines else handler.urlconf
    if handler.owner is not None:
        found.code.append(_class_head(handler.owner))
    found.code.append(Code(whole.path, whole.start + def_line - 1, whole.lines[def_line - 1 :]))

    used = _references(handler.function, handler.owner)
    helpers = [o for o in used if _is_function_in(o, {handler.function.__module__})]
    helpers = [o for o in helpers if o is not handler.function]
    found.code += [source(h, f"{h.__qualname__} (helper)") for h in helpers]
    for helper in helpers:
        used += _references(helper, handler.owner)

    try:
        annotations = list(typing.get_type_hints(handler.function, include_extras=True).values())
    except (NameError, TypeError):
        annotations = list(handler.function.__annotations__.values())
    is_shape = _shape_test(app)
    values = [*annotations, *used, handler.response_model]  # roughly: input, then output
    shapes = _unique(t for value in values for t in _types_in(value, 0) if is_shape(t))
    found.shapes = [source(cls, cls.__name__) for cls in shapes]
    found.related_shapes = [
        source(cls, f"{cls.__name__} ({why})")
        for cls, why in _closure(shapes, lambda cls: _shape_parts(cls, is_shape))
    ]
    modules = set(app.services)
    services = _unique(o for o in used if _is_function_in(o, modules))
    found.services = [source(f, f.__qualname__) for f in services]
    found.service_calls = [
        source(f, f"{f.__qualname__} ({why})")
        for f, why in _closure(services, lambda f: _service_calls(f, modules))
    ]
    return found


def _class_head(cls: type) -> Code:
    """The class line, docstring and attributes (DRF's permission_classes), up to its methods."""
    whole = source(cls, f"{cls.__name__} (view class)")
    methods = [f.__code__.co_firstlineno for f in vars(cls).values() if inspect.isfunction(f)]
    lines = list(whole.lines[: min(methods, default=whole.end + 1) - whole.start])
    while lines and (not lines[-1].strip() or lines[-1].strip().startswith("#")):
        lines.pop()  # the blank line and the marker above the first method
    return Code(whole.path, whole.start, tuple(lines), whole.label)


def _loads(code: CodeType) -> Iterator[tuple[str, str | None, bool]]:
    """What the bytecode (nested functions included) loads, in order: `(name, None, True)` for a
    global, `(attribute, base, base_is_global)` for an attribute read (`base` is "" when it is
    read off an expression rather than a name)."""
    base: tuple[str, bool] = ("", False)
    for instruction in dis.get_instructions(code):
        name, operation = instruction.argval, instruction.opname
        if operation in ("LOAD_GLOBAL", "LOAD_NAME"):
            yield name, None, True
            base = (name, True)
        elif operation.startswith(("LOAD_FAST", "LOAD_DEREF")) and isinstance(name, str):
            base = (name, False)
        elif operation in ("LOAD_ATTR", "LOAD_METHOD"):
            yield name, *base
            base = ("", False)
        else:
            base = ("", False)
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
            manager = getattr(value, "_default_manager", None)
            queryset = getattr(manager, "_queryset_class", None)
            found.append(queryset if queryset else value if hasattr(value, "as_manager") else None)
    return [q for q in _unique(found) if isinstance(q, type)]


def _service_calls(function: FunctionType, modules: set[str]) -> list[tuple[Any, str]]:
    """The service-module functions and QuerySet methods a service function calls in turn."""
    owner_name = function.__qualname__.rpartition(".")[0]
    owner = getattr(sys.modules[function.__module__], owner_name, None) if owner_name else None
    owner = owner if isinstance(owner, type) else None
    why = f"called by {function.__qualname__}"
    return [(o, why) for o in _references(function, owner) if _is_function_in(o, modules)]


def _shape_test(app: App) -> Callable[[Any], bool]:
    return lambda obj: (
        isinstance(obj, type) and obj.__module__ == app.shapes and "." not in obj.__qualname__
    )


def _shape_parts(cls: type, is_shape: Callable[[Any], bool]) -> list[tuple[type, str]]:
    """The shapes `cls` builds on: its bases, and the classes of its fields (marshmallow's and
    DRF's declared fields, Pydantic's annotations, nested shapes inside them)."""
    values = [v for k, v in vars(cls).items() if not k.startswith("__")]
    values += getattr(cls, "_declared_fields", {}).values()
    values += [f.annotation for f in getattr(cls, "__pydantic_fields__", {}).values()]
    parts = [(b, f"base of {cls.__name__}") for b in cls.__bases__]
    parts += [(t, f"used by {cls.__name__}") for v in values for t in _types_in(v, 2)]
    return [(t, why) for t, why in parts if is_shape(t)]


def _types_in(value: Any, depth: int) -> Iterator[Any]:
    """Classes in a value: itself, a type's arguments (`list[X]`, `Annotated[X, ...]`), and, to
    `depth` levels, an object's class and what its attributes hold (`Nested(X)`)."""
    if isinstance(value, type):
        yield value
    elif typing.get_args(value):
        for argument in typing.get_args(value):
            yield from _types_in(argument, depth)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _types_in(item, depth)
    elif depth and hasattr(value, "__dict__") and not inspect.isroutine(value):
        yield type(value)
        for attribute in vars(value).values():
            yield from _types_in(attribute, depth - 1)


def _is_function_in(obj: Any, modules: set[str]) -> bool:
    return isinstance(obj, FunctionType) and obj.__module__ in modules


def _unique(items: Iterable[Any]) -> list[Any]:
    """Items in order, each once, by identity (ORM attributes overload `==`), without None."""
    found: dict[int, Any] = {}
    for item in items:
        if item is not None:
            found.setdefault(id(item), item)
    return list(found.values())


def _closure(
    start: list[Any], step: Callable[[Any], list[tuple[Any, str]]]
) -> list[tuple[Any, str]]:
    """Breadth first from `start`: each new item once, with why it was reached."""
    seen = {id(item) for item in start}
    queue, found = list(start), []
    while queue:
        current = queue.pop(0)
        for item, why in step(current):
            if id(item) not in seen:
                seen.add(id(item))
                found.append((item, why))
                queue.append(item)
    return found
