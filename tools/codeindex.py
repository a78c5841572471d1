"""Locate each spec operation in the three apps by reading their source with `ast`.

Nothing here imports the apps: importing would need settings, a database driver and (for Django)
a configured project, and would tell us where objects live at run time rather than which lines a
reader should open. Instead every handler is found through the `# operationId: <Id>` line the
style guide puts right above it, and everything else (route declaration, wire shapes, service
functions) is resolved from the names the handler's code uses, following its imports.
"""

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = REPO_ROOT / "shared_spec" / "openapi.yaml"

MARKER = re.compile(r"^\s*#\s*operationId:\s*(\w+)\s*$")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head")
# Decorator attributes that declare a route: Flask's `bp.get(...)`/`bp.route(...)` and FastAPI's
# `router.get(...)`/`router.api_route(...)`.
ROUTE_DECORATORS = {*HTTP_METHODS, "route", "api_route"}
# Calls that attach a Blueprint or an APIRouter to the app, and the keyword naming its prefix.
MOUNT_CALLS = {"register_blueprint", "include_router"}
PREFIX_KEYWORDS = ("url_prefix", "prefix")
# Folders whose code is not the app at run time: no handlers are looked for there.
NON_APP_DIRS = {"tests", "migrations", "__pycache__"}

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class AppLayout:
    """Where one app keeps the modules the comparison resolves names into (the README's index)."""

    key: str
    title: str
    package: str
    shapes: tuple[str, ...]
    services: tuple[str, ...]
    querysets: tuple[str, ...]
    shape_kind: str


APPS: tuple[AppLayout, ...] = (
    AppLayout(
        key="flask",
        title="Flask",
        package="flask_app",
        shapes=("flask_app.schemas",),
        services=("flask_app.services",),
        querysets=(),
        shape_kind="marshmallow schema",
    ),
    AppLayout(
        key="django",
        title="Django",
        package="django_app",
        shapes=("django_app.conduit.serializers",),
        services=("django_app.conduit.services",),
        querysets=("django_app.conduit.models",),
        shape_kind="DRF serializer",
    ),
    AppLayout(
        key="fastapi",
        title="FastAPI",
        package="fastapi_app",
        shapes=("fastapi_app.schemas",),
        services=("fastapi_app.services",),
        querysets=(),
        shape_kind="Pydantic model",
    ),
)
APPS_BY_KEY = {app.key: app for app in APPS}


# --- the spec ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecOperation:
    """One operation of shared_spec/openapi.yaml, with the full path a client requests."""

    operation_id: str
    method: str
    path: str
    full_path: str
    tag: str
    summary: str
    description: str


def _server_prefix(servers: list[dict[str, Any]] | None) -> str | None:
    """The path part of the first server URL ("/api" for http://host:8001/api)."""
    if not servers:
        return None
    url = str(servers[0].get("url", ""))
    return re.sub(r"^[a-z]+://[^/]*", "", url).rstrip("/")


def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is 10x faster
    with path.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=loader)
    return spec


def spec_operations(spec: dict[str, Any] | None = None) -> list[SpecOperation]:
    """Every operation in spec order; a path-level `servers` (health) moves it off /api."""
    spec = spec if spec is not None else load_spec()
    default_prefix = _server_prefix(spec.get("servers")) or ""
    found: list[SpecOperation] = []
    for path, item in spec["paths"].items():
        prefix = _server_prefix(item.get("servers"))
        prefix = default_prefix if prefix is None else prefix
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            found.append(
                SpecOperation(
                    operation_id=operation["operationId"],
                    method=method.upper(),
                    path=path,
                    full_path=prefix + path,
                    tag=(operation.get("tags") or ["Untagged"])[0],
                    summary=operation.get("summary", ""),
                    description=operation.get("description", ""),
                )
            )
    return found


def spec_tags(spec: dict[str, Any] | None = None) -> list[str]:
    """Tag names in the order the spec declares them (the order readers know)."""
    spec = spec if spec is not None else load_spec()
    return [tag["name"] for tag in spec.get("tags", [])]


def normalise_path(path: str) -> str:
    """`/a/<str:slug>`, `/a/<slug>` and `/a/{slug}` all become `/a/{}`: routes compare by shape."""
    return re.sub(r"<[^>]*>|\{[^}]*\}", "{}", path)


# --- what was found ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Snippet:
    """Lines start..end (1-based, inclusive) of one file, exactly as they are on disk."""

    path: str
    start: int
    end: int
    lines: tuple[str, ...]
    label: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    @property
    def location(self) -> str:
        span = str(self.start) if self.start == self.end else f"{self.start}-{self.end}"
        return f"{self.path}:{span}"


@dataclass(frozen=True)
class Definition:
    """A function, method or class the comparison shows, with why it is shown (`role`)."""

    name: str
    module: str
    snippet: Snippet
    role: str = ""


@dataclass
class Route:
    """The route declaration: its lines, plus the method and full path they add up to."""

    snippets: list[Snippet]
    method: str | None
    path: str | None


@dataclass
class Located:
    """One operation in one app: handler, route, shapes and services, or what went wrong."""

    app: AppLayout
    operation_id: str
    handler: Definition | None = None
    handler_context: list[Snippet] = field(default_factory=list)
    route: Route | None = None
    helpers: list[Definition] = field(default_factory=list)
    shapes: list[Definition] = field(default_factory=list)
    related_shapes: list[Definition] = field(default_factory=list)
    services: list[Definition] = field(default_factory=list)
    service_calls: list[Definition] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Marker:
    module: str
    path: str
    line: int


# --- modules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A resolved name: `attr` of `module`, or the module itself when `attr` is None."""

    module: str
    attr: str | None


class Module:
    """One parsed source file with its import table and top-level definitions."""

    def __init__(self, name: str, path: Path, root: Path) -> None:
        self.name = name
        self.path = path
        self.rel = path.relative_to(root).as_posix()
        self.source = path.read_text(encoding="utf-8")
        self.lines = self.source.splitlines()
        self.tree = ast.parse(self.source, filename=str(path))
        self.is_package = path.name == "__init__.py"

    @cached_property
    def imports(self) -> dict[str, str]:
        """Local name -> dotted target, for the module's top-level imports (relative ones too)."""
        table: dict[str, str] = {}
        package = self.name if self.is_package else self.name.rpartition(".")[0]
        for node in self.tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        table[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        table[top] = top
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    anchor = ".".join(parts[: len(parts) - node.level + 1])
                    base = f"{anchor}.{base}" if base else anchor
                for alias in node.names:
                    table[alias.asname or alias.name] = f"{base}.{alias.name}"
        return table

    @cached_property
    def top(self) -> dict[str, ast.stmt]:
        """Top-level functions, classes and assigned names, by name."""
        found: dict[str, ast.stmt] = {}
        for node in self.tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found[node.name] = node
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = node
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                found[node.target.id] = node
        return found

    def functions(self) -> Iterator[tuple[FunctionNode, ast.ClassDef | None]]:
        """Every function and method, with the class it is defined in (if directly in one)."""

        def walk(body: list[ast.stmt], owner: ast.ClassDef | None) -> Iterator[Any]:
            for node in body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield node, owner
                    yield from walk(node.body, None)
                elif isinstance(node, ast.ClassDef):
                    yield from walk(node.body, node)
                elif isinstance(node, ast.If | ast.Try | ast.With | ast.For):
                    yield from walk(getattr(node, "body", []), owner)
                    yield from walk(getattr(node, "orelse", []), owner)

        yield from walk(self.tree.body, None)

    def snippet(self, start: int, end: int, label: str = "") -> Snippet:
        return Snippet(self.rel, start, end, tuple(self.lines[start - 1 : end]), label)

    def node_snippet(self, node: ast.stmt | ast.expr, label: str = "") -> Snippet:
        start = first_line(node)
        return self.snippet(start, node.end_lineno or start, label)


def first_line(node: ast.AST) -> int:
    """The first line of a node, counting the decorators of a function or class."""
    lines: list[int] = [d.lineno for d in getattr(node, "decorator_list", [])]
    return min([*lines, getattr(node, "lineno", 0)])


def _constant_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _keyword(call: ast.Call, *names: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in names:
            return keyword.value
    return None


def _name_nodes(nodes: Iterable[ast.AST]) -> Iterator[ast.Name | ast.Attribute]:
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.Name | ast.Attribute):
                yield node


def _position(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


# --- the index --------------------------------------------------------------------------------


class CodeIndex:
    """Parses the apps' modules on demand and answers "where is operation X in app Y"."""

    def __init__(self, root: Path = REPO_ROOT) -> None:
        self.root = root
        self._modules: dict[str, Module | None] = {}
        self._markers: dict[str, dict[str, list[Marker]]] = {}
        self._mount_calls: dict[str, list[tuple[Module, ast.For | None, ast.Call]]] = {}
        self._querysets: dict[str, dict[str, list[tuple[Module, ast.ClassDef, FunctionNode]]]] = {}
        self.parse_errors: list[str] = []

    # Modules.

    def module(self, dotted: str) -> Module | None:
        """The module `dotted` if it is a file of this repository (third-party names are None)."""
        if dotted not in self._modules:
            base = self.root.joinpath(*dotted.split("."))
            module = None
            for path in (base.with_suffix(".py"), base / "__init__.py"):
                if path.is_file():
                    try:
                        module = Module(dotted, path, self.root)
                    except SyntaxError as error:
                        self.parse_errors.append(f"{path.relative_to(self.root)}: {error}")
                    break
            self._modules[dotted] = module
        return self._modules[dotted]

    def app_modules(self, app: AppLayout) -> list[Module]:
        """The app's own modules (no tests, no migrations), in path order."""
        found = []
        package_dir = self.root / app.package
        for path in sorted(package_dir.rglob("*.py")):
            relative = path.relative_to(self.root)
            if NON_APP_DIRS & set(relative.parts[:-1]):
                continue
            dotted = ".".join(relative.with_suffix("").parts)
            dotted = dotted.removesuffix(".__init__")
            module = self.module(dotted)
            if module is not None:
                found.append(module)
        return found

    def resolve(self, module: Module, node: ast.expr) -> Ref | None:
        """What a Name or dotted Attribute in `module` refers to, when it is repository code."""
        if isinstance(node, ast.Name):
            if node.id in module.imports:
                return self._ref(module.imports[node.id])
            if node.id in module.top:
                return Ref(module.name, node.id)
            return None
        if isinstance(node, ast.Attribute):
            base = self.resolve(module, node.value)
            if base is None or base.attr is not None:
                return None
            return self._ref(f"{base.module}.{node.attr}")
        return None

    def _ref(self, dotted: str) -> Ref | None:
        if self.module(dotted) is not None:
            return Ref(dotted, None)
        parent, _, attr = dotted.rpartition(".")
        if parent and self.module(parent) is not None:
            return Ref(parent, attr)
        return None

    def definition(self, ref: Ref, kinds: tuple[type, ...]) -> ast.stmt | None:
        """The top-level statement `ref` names, if it is one of `kinds`."""
        if ref.attr is None:
            return None
        module = self.module(ref.module)
        node = module.top.get(ref.attr) if module else None
        return node if isinstance(node, kinds) else None

    # Markers.

    def markers(self, app: AppLayout) -> dict[str, list[Marker]]:
        """Every `# operationId:` line in the app's code, by operationId."""
        if app.key not in self._markers:
            found: dict[str, list[Marker]] = {}
            for module in self.app_modules(app):
                for number, line in enumerate(module.lines, start=1):
                    if "operationId" not in line:
                        continue
                    match = MARKER.match(line)
                    if match:
                        marker = Marker(module.name, module.rel, number)
                        found.setdefault(match.group(1), []).append(marker)
            self._markers[app.key] = found
        return self._markers[app.key]

    def locate(self, app: AppLayout, operation_id: str) -> Located:
        """Everything the comparison shows for one operation in one app."""
        located = Located(app, operation_id)
        markers = self.markers(app).get(operation_id, [])
        if not markers:
            located.problems.append(f"no `# operationId: {operation_id}` line in {app.package}/")
            return located
        if len(markers) > 1:
            places = ", ".join(f"{m.path}:{m.line}" for m in markers)
            located.problems.append(f"{operation_id} is marked {len(markers)} times: {places}")
        marker = markers[0]
        module = self.module(marker.module)
        assert module is not None
        found = self._function_below(module, marker.line)
        if found is None:
            located.problems.append(
                f"{marker.path}:{marker.line}: the marker is not directly above a function"
            )
            return located
        function, owner = found
        name = f"{owner.name}.{function.name}" if owner else function.name
        located.handler = Definition(
            name, module.name, module.snippet(function.lineno, function.end_lineno or 0), "handler"
        )
        if owner is not None:
            located.handler_context.append(self._class_head(module, owner))
            located.route = self._django_route(app, module, owner, function)
        else:
            located.route = self._decorator_route(app, module, function)
        if located.route is None or not located.route.snippets:
            located.problems.append(f"no route declaration found for {name}")
        located.helpers = self._helpers(module, function, owner)
        located.shapes, located.related_shapes = self._shapes(app, module, function)
        located.services = self._services(app, module, function)
        for helper in located.helpers:
            helper_node = self._helper_node(module, owner, helper.name)
            if helper_node is not None:
                for service in self._services(app, module, helper_node, owner):
                    if all(service.name != s.name for s in located.services):
                        located.services.append(
                            Definition(
                                service.name, service.module, service.snippet, f"via {helper.name}"
                            )
                        )
        located.service_calls = self._service_closure(app, located.services)
        return located

    def _function_below(
        self, module: Module, line: int
    ) -> tuple[FunctionNode, ast.ClassDef | None] | None:
        """The function whose first line (decorators included) follows the marker, with only
        comments and blank lines in between."""
        below = [
            (first_line(f), f, owner) for f, owner in module.functions() if first_line(f) > line
        ]
        if not below:
            return None
        start, function, owner = min(below, key=lambda item: item[0])
        between = module.lines[line : start - 1]
        if any(text.strip() and not text.strip().startswith("#") for text in between):
            return None
        return function, owner

    def _class_head(self, module: Module, owner: ast.ClassDef) -> Snippet:
        """The class line, docstring and class attributes (DRF's permission_classes live
        there), up to the first method."""
        end = owner.lineno
        for statement in owner.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                break
            end = statement.end_lineno or end
        return module.snippet(first_line(owner), end, "class")

    # Routes.

    def _decorator_route(self, app: AppLayout, module: Module, function: FunctionNode) -> Route:
        """Flask and FastAPI: the decorator stack, the Blueprint/APIRouter it hangs from, and
        where that object is mounted on the app."""
        start = first_line(function)
        snippets = (
            [module.snippet(start, function.lineno - 1, "decorators")]
            if start < function.lineno
            else []
        )
        method = rule = None
        prefixes: list[str | None] = []
        for decorator in function.decorator_list:
            if not (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr in ROUTE_DECORATORS
            ):
                continue
            rule = _constant_str(decorator.args[0]) if decorator.args else None
            rule = rule or _constant_str(_keyword(decorator, "rule", "path"))
            if decorator.func.attr in HTTP_METHODS:
                method = decorator.func.attr.upper()
            else:
                methods = _keyword(decorator, "methods")
                if isinstance(methods, ast.List | ast.Tuple):
                    method = "/".join(str(_constant_str(m)).upper() for m in methods.elts)
            owner = decorator.func.value
            if isinstance(owner, ast.Name) and owner.id in module.top:
                assignment = module.top[owner.id]
                snippets.append(module.node_snippet(assignment, "router"))
                if isinstance(assignment, ast.Assign) and isinstance(assignment.value, ast.Call):
                    prefixes.append(_constant_str(_keyword(assignment.value, *PREFIX_KEYWORDS)))
                for snippet, prefix in self._mounts(app, module, owner.id):
                    snippets.append(snippet)
                    prefixes.insert(0, prefix)
            break
        path = None
        if rule is not None:
            path = "".join((prefix or "").rstrip("/") for prefix in prefixes) + rule
        return Route(snippets, method, path)

    def _mounts(
        self, app: AppLayout, handler_module: Module, attr: str
    ) -> Iterator[tuple[Snippet, str | None]]:
        """`register_blueprint(m.bp)` / `include_router(m.router, prefix=...)` calls that attach
        the handler module's object, directly or through a `for m in (a, b, c):` loop."""

        def names_handler_module(module: Module, node: ast.expr) -> bool:
            ref = self.resolve(module, node)
            return ref is not None and ref.attr is None and ref.module == handler_module.name

        for module, loop, call in self._mount_sites(app):
            target = call.args[0]
            assert isinstance(target, ast.Attribute)
            if target.attr != attr:
                continue
            prefix = _constant_str(_keyword(call, *PREFIX_KEYWORDS))
            if loop is None:
                if names_handler_module(module, target.value):
                    yield module.node_snippet(call, "mount"), prefix
            elif (
                isinstance(loop.target, ast.Name)
                and isinstance(target.value, ast.Name)
                and target.value.id == loop.target.id
                and isinstance(loop.iter, ast.Tuple | ast.List)
                and any(names_handler_module(module, e) for e in loop.iter.elts)
            ):
                yield module.snippet(loop.lineno, call.end_lineno or call.lineno, "mount"), prefix

    def _mount_sites(self, app: AppLayout) -> list[tuple[Module, ast.For | None, ast.Call]]:
        """Every mount call in the app with the `for` loop around it, if any (scanned once)."""
        if app.key not in self._mount_calls:
            sites: list[tuple[Module, ast.For | None, ast.Call]] = []
            for module in self.app_modules(app):
                loops: dict[int, ast.For] = {}
                for node in ast.walk(module.tree):
                    if isinstance(node, ast.For):
                        for inner in ast.walk(node):
                            loops[id(inner)] = node  # walk is outer-first: innermost wins
                for node in ast.walk(module.tree):
                    if (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and node.func.attr in MOUNT_CALLS
                        and node.args
                        and isinstance(node.args[0], ast.Attribute)
                    ):
                        sites.append((module, loops.get(id(node)), node))
            self._mount_calls[app.key] = sites
        return self._mount_calls[app.key]

    def _django_route(
        self, app: AppLayout, module: Module, owner: ast.ClassDef, function: FunctionNode
    ) -> Route:
        """Django: the `path(...)` entry whose view is `<owner>.as_view()`, and the `include()`
        entries that mount its URLconf, which together give the full path."""
        snippets: list[Snippet] = []
        route: str | None = None
        urls_module: Module | None = None
        for candidate in self._urlconfs(app):
            for call in ast.walk(candidate.tree):
                view = self._path_view(call)
                if view is None or not isinstance(view.func, ast.Attribute):
                    continue
                ref = self.resolve(candidate, view.func.value)
                if ref == Ref(module.name, owner.name):
                    assert isinstance(call, ast.Call)
                    snippets.append(candidate.node_snippet(call, "path"))
                    route = _constant_str(call.args[0])
                    urls_module = candidate
        if route is None or urls_module is None:
            return Route(snippets, function.name.upper(), None)
        prefix = ""
        seen: set[str] = set()
        while urls_module is not None and urls_module.name not in seen:
            seen.add(urls_module.name)
            including = self._include_of(app, urls_module)
            if including is None:
                break
            snippet, part, urls_module = including
            snippets.append(snippet)
            prefix = part + prefix
        return Route(snippets, function.name.upper(), "/" + prefix + route)

    def _urlconfs(self, app: AppLayout) -> list[Module]:
        return [m for m in self.app_modules(app) if m.path.name == "urls.py"]

    @staticmethod
    def _path_view(node: ast.AST) -> ast.Call | None:
        """For `path("route", View.as_view(), ...)`, the `View.as_view()` call."""
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("path", "re_path")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Call)
            and isinstance(node.args[1].func, ast.Attribute)
            and node.args[1].func.attr == "as_view"
        ):
            return node.args[1]
        return None

    def _include_of(self, app: AppLayout, urls: Module) -> tuple[Snippet, str, Module] | None:
        """The `path("prefix/", include("<urls>"))` entry mounting the URLconf `urls`."""
        for candidate in self._urlconfs(app):
            for call in ast.walk(candidate.tree):
                if not (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name)
                    and call.func.id in ("path", "re_path")
                    and len(call.args) >= 2
                    and isinstance(call.args[1], ast.Call)
                    and isinstance(call.args[1].func, ast.Name)
                    and call.args[1].func.id == "include"
                    and call.args[1].args
                ):
                    continue
                target = call.args[1].args[0]
                included = _constant_str(target)
                if included is None:
                    ref = self.resolve(candidate, target)
                    included = ref.module if ref is not None and ref.attr is None else None
                if included == urls.name:
                    prefix = _constant_str(call.args[0]) or ""
                    return candidate.node_snippet(call, "include"), prefix, candidate
        return None

    # Helpers, shapes and services.

    def _helpers(
        self, module: Module, function: FunctionNode, owner: ast.ClassDef | None
    ) -> list[Definition]:
        """Functions of the handler's own module (or methods of its class, via `self.`) that
        the handler calls: part of the handler, even if written apart."""
        found: dict[str, Definition] = {}
        for call in sorted(self._calls(function), key=_position):
            name = None
            if (
                owner is not None
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "self"
            ):
                name = call.func.attr
            elif isinstance(call.func, ast.Name) and call.func.id not in module.imports:
                name = call.func.id
            node = self._helper_node(module, owner, name) if name else None
            if node is not None and node is not function and name and name not in found:
                label = f"{owner.name}.{name}" if owner is not None and node in owner.body else name
                found[name] = Definition(label, module.name, module.node_snippet(node), "helper")
        return list(found.values())

    @staticmethod
    def _helper_node(
        module: Module, owner: ast.ClassDef | None, name: str | None
    ) -> FunctionNode | None:
        name = (name or "").rpartition(".")[2]
        if owner is not None:
            for statement in owner.body:
                if (
                    isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef)
                    and statement.name == name
                ):
                    return statement
        node = module.top.get(name)
        return node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None

    @staticmethod
    def _calls(node: ast.AST) -> list[ast.Call]:
        return [n for n in ast.walk(node) if isinstance(n, ast.Call)]

    def _shapes(
        self, app: AppLayout, module: Module, function: FunctionNode
    ) -> tuple[list[Definition], list[Definition]]:
        """Wire-shape classes the handler names (body, parameter annotations, decorators such
        as FastAPI's response_model), each with its role; then the classes those build on."""
        parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(function):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        annotations = {
            id(n)
            for arg in [*function.args.args, *function.args.kwonlyargs, *function.args.posonlyargs]
            if arg.annotation is not None
            for n in ast.walk(arg.annotation)
        }
        roles: dict[str, list[str]] = {}
        order: dict[str, tuple[int, int]] = {}
        definitions: dict[str, tuple[Module, ast.ClassDef]] = {}
        for node in _name_nodes([function]):
            ref = self.resolve(module, node)
            if ref is None or ref.module not in app.shapes:
                continue
            cls = self.definition(ref, (ast.ClassDef,))
            shapes_module = self.module(ref.module)
            if not isinstance(cls, ast.ClassDef) or shapes_module is None:
                continue
            role = self._shape_role(node, parents, annotations)
            assert ref.attr is not None
            roles.setdefault(ref.attr, [])
            if role not in roles[ref.attr]:
                roles[ref.attr].append(role)
            order.setdefault(ref.attr, _position(node))
            definitions[ref.attr] = (shapes_module, cls)
        rank = {"input": 0, "output": 1, "used": 2}

        def sort_key(name: str) -> tuple[int, tuple[int, int]]:
            return min(rank[r] for r in roles[name]), order[name]

        direct = []
        for name in sorted(roles, key=sort_key):
            shown: list[str] = [r for r in ("input", "output") if r in roles[name]] or ["used"]
            shapes_module, cls = definitions[name]
            direct.append(
                Definition(
                    name, shapes_module.name, shapes_module.node_snippet(cls), ", ".join(shown)
                )
            )
        return direct, self._related_shapes(app, direct)

    @staticmethod
    def _shape_role(node: ast.AST, parents: dict[ast.AST, ast.AST], annotations: set[int]) -> str:
        """input: parsed from the request (`.load()`, `data=`, a parameter annotation);
        output: used to write the response (`.dump()`, `.data`, `response_model=`)."""
        if id(node) in annotations:
            return "input"
        child: ast.AST = node
        parent = parents.get(node)
        while parent is not None:
            if isinstance(parent, ast.keyword) and parent.arg == "response_model":
                return "output"
            if isinstance(parent, ast.Call) and parent.func is child:
                if any(k.arg == "data" for k in parent.keywords):
                    return "input"
                above = parents.get(parent)
                if isinstance(above, ast.Attribute):
                    if above.attr in ("load", "loads", "validate", "model_validate"):
                        return "input"
                    if above.attr in ("dump", "dumps", "data"):
                        return "output"
                return "used"
            if isinstance(parent, ast.stmt):
                # Whatever builds the returned value shapes the response.
                return "output" if isinstance(parent, ast.Return) else "used"
            child, parent = parent, parents.get(parent)
        return "used"

    def _related_shapes(self, app: AppLayout, direct: list[Definition]) -> list[Definition]:
        """Bases and nested shapes of the direct ones, transitively: where the fields really are
        when a shape is an envelope or extends another."""
        seen = {d.name for d in direct}
        queue = [(d.module, d.name) for d in direct]
        related: list[Definition] = []
        while queue:
            module_name, class_name = queue.pop(0)
            module = self.module(module_name)
            cls = module.top.get(class_name) if module else None
            if module is None or not isinstance(cls, ast.ClassDef):
                continue
            base_ids = {id(n) for b in cls.bases for n in ast.walk(b)}
            for node in _name_nodes([*cls.bases, *cls.body]):
                ref = self.resolve(module, node)
                if ref is None or ref.module not in app.shapes or ref.attr in seen:
                    continue
                target = self.definition(ref, (ast.ClassDef,))
                target_module = self.module(ref.module)
                if not isinstance(target, ast.ClassDef) or target_module is None:
                    continue
                assert ref.attr is not None
                seen.add(ref.attr)
                why = f"base of {class_name}" if id(node) in base_ids else f"used by {class_name}"
                related.append(
                    Definition(ref.attr, ref.module, target_module.node_snippet(target), why)
                )
                queue.append((ref.module, ref.attr))
        return related

    def _services(
        self,
        app: AppLayout,
        module: Module,
        function: FunctionNode,
        owner: ast.ClassDef | None = None,
    ) -> list[Definition]:
        """Service functions (and, in Django, QuerySet methods) the function calls, in order."""
        found: dict[str, Definition] = {}
        for call in sorted(self._calls(function), key=_position):
            ref = self.resolve(module, call.func)
            if ref is not None and ref.module in app.services:
                node = self.definition(ref, (ast.FunctionDef, ast.AsyncFunctionDef))
                target = self.module(ref.module)
                if node is not None and target is not None and ref.attr not in found:
                    assert ref.attr is not None
                    found[ref.attr] = Definition(
                        ref.attr, ref.module, target.node_snippet(node), "service"
                    )
            for definition in self._queryset_calls(app, module, function, call, owner=owner):
                found.setdefault(definition.name, definition)
        return list(found.values())

    def _service_closure(self, app: AppLayout, services: list[Definition]) -> list[Definition]:
        """What the services call in turn (their private helpers, other services, QuerySet
        methods), breadth first: the rest of the code path below the handler."""
        seen = {d.name for d in services}
        queue = list(services)
        found: list[Definition] = []
        while queue:
            current = queue.pop(0)
            module = self.module(current.module)
            if module is None:
                continue
            node, owner = self._definition_node(module, current.name)
            if node is None:
                continue
            for call in sorted(self._calls(node), key=_position):
                callees: list[Definition] = []
                ref = self.resolve(module, call.func)
                if ref is not None and ref.module in app.services:
                    target = self.definition(ref, (ast.FunctionDef, ast.AsyncFunctionDef))
                    target_module = self.module(ref.module)
                    if target is not None and target_module is not None:
                        assert ref.attr is not None
                        callees.append(
                            Definition(
                                ref.attr,
                                ref.module,
                                target_module.node_snippet(target),
                                f"called by {current.name}",
                            )
                        )
                callees += self._queryset_calls(app, module, node, call, current.name, owner)
                for callee in callees:
                    if callee.name not in seen:
                        seen.add(callee.name)
                        found.append(callee)
                        queue.append(callee)
        return found

    @staticmethod
    def _definition_node(
        module: Module, name: str
    ) -> tuple[FunctionNode | None, ast.ClassDef | None]:
        """The function `name` or method `Class.name` of `module`."""
        class_name, _, function_name = name.rpartition(".")
        if class_name:
            cls = module.top.get(class_name)
            if isinstance(cls, ast.ClassDef):
                for statement in cls.body:
                    if (
                        isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef)
                        and statement.name == function_name
                    ):
                        return statement, cls
            return None, None
        node = module.top.get(name)
        return (
            (node, None)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            else (
                None,
                None,
            )
        )

    # Django QuerySet methods.

    def _queryset_methods(
        self, app: AppLayout
    ) -> dict[str, list[tuple[Module, ast.ClassDef, FunctionNode]]]:
        """Method name -> (module, QuerySet class, method) for the app's custom QuerySets."""
        if app.key in self._querysets:
            return self._querysets[app.key]
        index: dict[str, list[tuple[Module, ast.ClassDef, FunctionNode]]] = {}
        self._querysets[app.key] = index
        for dotted in app.querysets:
            module = self.module(dotted)
            if module is None:
                continue
            for node in module.tree.body:
                if isinstance(node, ast.ClassDef) and _is_queryset(node):
                    for statement in node.body:
                        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                            index.setdefault(statement.name, []).append((module, node, statement))
        return index

    def _queryset_calls(
        self,
        app: AppLayout,
        module: Module,
        function: FunctionNode,
        call: ast.Call,
        caller: str = "",
        owner: ast.ClassDef | None = None,
    ) -> list[Definition]:
        """`Article.objects.matching(...)`, `page.with_viewer(...)`: calls of custom QuerySet
        methods, told apart by the model the chain starts from when two QuerySets share a name."""
        if not app.querysets or not isinstance(call.func, ast.Attribute):
            return []
        candidates = self._queryset_methods(app).get(call.func.attr, [])
        if not candidates:
            return []
        root = self._chain_root(call.func.value, function)
        wanted: str | None = None
        if isinstance(root, ast.Name) and root.id == "self" and owner is not None:
            wanted = owner.name
        elif root is not None:
            ref = self.resolve(module, root)
            if ref is not None and ref.attr is not None and ref.module in app.querysets:
                wanted = self._queryset_of_model(ref)
        matches = [c for c in candidates if wanted is None or c[1].name == wanted]
        if wanted is not None and not matches:
            return []
        role = f"called by {caller}" if caller else "QuerySet method"
        return [
            Definition(
                f"{cls.name}.{method.name}", qs_module.name, qs_module.node_snippet(method), role
            )
            for qs_module, cls, method in matches
        ]

    @staticmethod
    def _chain_root(node: ast.expr, function: FunctionNode, depth: int = 0) -> ast.expr | None:
        """The name an attribute/call chain starts from, following `x = <chain>` assignments
        inside the function so that `matching.with_viewer()` reaches `Article`."""
        while True:
            if isinstance(node, ast.Attribute):
                node = node.value
            elif isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, ast.Subscript):
                node = node.value
            else:
                break
        if not isinstance(node, ast.Name) or depth > 5:
            return node if isinstance(node, ast.Name) else None
        for statement in ast.walk(function):
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and statement.targets[0].id == node.id
            ):
                return CodeIndex._chain_root(statement.value, function, depth + 1)
        return node

    def _queryset_of_model(self, ref: Ref) -> str | None:
        """The QuerySet class behind `Model.objects` (`X.as_manager()` or a manager built with
        `from_queryset(X)`), or the name itself when `ref` already is a QuerySet class."""
        module = self.module(ref.module)
        model = module.top.get(ref.attr or "") if module else None
        if module is None or not isinstance(model, ast.ClassDef):
            return None
        if _is_queryset(model):
            return model.name
        for statement in model.body:
            if not (
                isinstance(statement, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "objects" for t in statement.targets)
                and isinstance(statement.value, ast.Call)
            ):
                continue
            func = statement.value.func
            if isinstance(func, ast.Attribute) and func.attr == "as_manager":
                return _name_of(func.value)
            manager = module.top.get(_name_of(func) or "")
            if isinstance(manager, ast.ClassDef):
                for base in manager.bases:
                    for node in ast.walk(base):
                        if (
                            isinstance(node, ast.Call)
                            and isinstance(node.func, ast.Attribute)
                            and node.func.attr == "from_queryset"
                            and node.args
                        ):
                            return _name_of(node.args[0])
        return None


def _name_of(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def _is_queryset(cls: ast.ClassDef) -> bool:
    """A class that extends a QuerySet (`models.QuerySet["User"]` or similar)."""
    if cls.name.endswith("QuerySet"):
        return True
    for base in cls.bases:
        for node in ast.walk(base):
            if isinstance(node, ast.Attribute) and node.attr == "QuerySet":
                return True
            if isinstance(node, ast.Name) and node.id == "QuerySet":
                return True
    return False
