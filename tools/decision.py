"""The decision page: the seeds' comparison table, every adjective replaced by a measurement.

The seeds (the usual articles comparing Flask, Django and FastAPI) rate the frameworks with
adjectives: Category, Flexibility, Learning curve, Performance, Admin panel, plus prose claims.
This module puts next to each adjective what this repository measures, each figure linked to
its source, and says in a generated sentence where the measurement agrees or contradicts. It
computes nothing that tools/ already computes: lines and dependencies come from tools.tables,
feature costs from tools.features, docs faithfulness from tools.faithful, benchmark figures
from results/bench.json through tools.bench.report's helpers. What is new here is the count of
third-party APIs each app uses (`api_uses`) and the batteries table derived from it.

`make report` writes the page into the compare site (build/compare/decision.html) and the same
content into README.md between `<!-- decision:begin -->` and `<!-- decision:end -->`.
"""

import ast
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

from tools.apps import APPS, REPO_ROOT, App
from tools.bench.report import NAMES, family, find, sweep_records, unique, where
from tools.features import costs
from tools.tables import (
    DOTTED,
    RESULTS,
    Table,
    app_files,
    dependency_table,
    files_table,
    loc_table,
    normalise,
    parse_lock,
    results_table,
)

Link = str  # a repository path ("results/bench.json") or a compare-site page ("site:tables.html")
FRAMEWORK = {"flask": "flask", "django": "django", "fastapi": "fastapi"}  # app -> distribution
FIRST_PARTY = {app.package for app in APPS} | {"tests", "tools", "__future__"}
# The README's headings that show what a compare-site page shows (build/ is not committed, so
# the README links there; other pages are linked in build/compare/, written by `make report`).
IN_README = {
    "tables.html": "Side by side: size and dependencies",
    "features.html": "What each feature cost each framework",
    "faithful.html": "How faithful each framework's generated docs are",
}
SITE = "build/compare/"
# The page's copies of the repository files it links, so the site stays whole off this machine.
SOURCE = "source/"


# --- the page's model ---------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One figure in a cell, and where it comes from."""

    text: str
    link: Link = ""


@dataclass
class Row:
    """A row: a label, the seeds' words per app (seed rows only), the evidence per app."""

    label: str
    cells: dict[str, list[Part]]
    seeds: dict[str, str] = field(default_factory=dict)


@dataclass
class Section:
    title: str
    intro: str
    rows: list[Row]
    verdicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header: str = ""  # the first column's heading

    @property
    def anchor(self) -> str:
        return slug(self.title)


def slug(title: str) -> str:
    """The anchor GitHub gives a markdown heading, so README and page links agree."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def each(make: Callable[[App], list[Part]]) -> dict[str, list[Part]]:
    return {app.key: make(app) for app in APPS}


def from_table(table: Table, link: Link, skip: Iterable[str] = ()) -> list[Row]:
    """A generated table's rows as page rows, every cell linked to the table's page."""
    return [
        Row(row[0], {app.key: [Part(cell, link)] for app, cell in zip(APPS, row[1:], strict=True)})
        for row in table.rows
        if row[0] not in skip
    ]


# --- what you must learn: third-party APIs, counted from imports and attribute uses -------


@dataclass(frozen=True)
class Use:
    """A third-party name the app's code uses: `sqlalchemy.orm.relationship` at a line."""

    name: str
    distribution: str
    path: str  # relative to the repository
    line: int


@cache
def distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


@cache
def is_module(dotted: str) -> bool:
    """Whether `dotted` names a module or package, found on disk (nothing is imported: importing
    Django's modules outside a configured project would fail, and imports have side effects)."""
    top, *rest = dotted.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None:
        return False
    folders = [Path(p) for p in spec.submodule_search_locations or []]
    suffixes = importlib.machinery.all_suffixes()
    for index, part in enumerate(rest):
        found = [f / part for f in folders if (f / part).is_dir()]
        if not found:  # a module file ends the path: what follows is inside it
            last = index == len(rest) - 1
            return last and any((f / (part + s)).is_file() for f in folders for s in suffixes)
        folders = found
    return True


def resolve(dotted: str) -> str | None:
    """The API a dotted use names: modules up to the first object, that object included
    (`django.db.models.Model.objects` is `django.db.models.Model`); None for a bare module."""
    parts = dotted.split(".")
    for end in range(1, len(parts) + 1):
        if not is_module(".".join(parts[:end])):
            return ".".join(parts[:end]) if end > 1 else None
    return None


def names_api(dotted: str) -> bool:
    """Whether a settings string names a module, or a name its module's source defines or
    imports (so a file name such as "fastapi.sqlite3" or a logger name is no API)."""
    if resolve(dotted) is None:
        return True
    module, name = resolve(dotted).rsplit(".", 1)  # type: ignore[union-attr]
    spec = importlib.util.find_spec(module.split(".")[0])
    if not is_module(module) or spec is None or not spec.submodule_search_locations:
        return False
    base = Path(next(iter(spec.submodule_search_locations))).joinpath(*module.split(".")[1:])
    source = next((p for p in (base / "__init__.py", base.with_suffix(".py")) if p.is_file()), None)
    return bool(source and re.search(rf"\b{name}\b", source.read_text(encoding="utf-8")))


def third_party(module: str) -> str | None:
    """The distribution that provides a top-level module; None for stdlib and first party."""
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or top in FIRST_PARTY:
        return None
    names = distributions().get(top)
    return normalise(names[0]) if names else None


def bindings(tree: ast.Module) -> dict[str, str]:
    """Local name -> the dotted third-party path it is bound to by an import."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    bound[top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return {name: path for name, path in bound.items() if third_party(path)}


def uses_in(source: str, path: str) -> Iterator[Use]:
    """Every use of a third-party name in one module: a name bound by an import, followed by its
    attributes (`sa.orm.relationship`), and in a settings.py the dotted strings of upper-case
    settings (`"rest_framework.throttling.AnonRateThrottle"`), which Django imports by name.
    Methods called on objects the framework hands over (`request.args`, `session.execute`) are
    not counted: naming their class needs types, not syntax."""
    tree = ast.parse(source)
    bound = bindings(tree)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in bound:
            dotted = bound[node.id]
            top_node: ast.AST = node
            while (
                isinstance(parent := parents.get(top_node), ast.Attribute)
                and parent.value is top_node
            ):
                dotted, top_node = f"{dotted}.{parent.attr}", parent
            if (name := resolve(dotted)) and (dist := third_party(name)):
                yield Use(name, dist, path, node.lineno)
    for statement in tree.body if Path(path).name == "settings.py" else []:
        if isinstance(statement, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id.isupper() for t in statement.targets
        ):
            for constant in ast.walk(statement.value):
                if not isinstance(constant, ast.Constant) or not isinstance(constant.value, str):
                    continue
                value = constant.value
                dist = third_party(value) if "." in value and DOTTED.match(value) else None
                if dist and names_api(value):
                    yield Use(resolve(value) or value, dist, path, constant.lineno)


def api_uses(app: App, root: Path = REPO_ROOT, migrations: bool = False) -> list[Use]:
    """The app's third-party uses; tests left out, migrations too unless asked for (the line
    counts leave them out, so the API count beside them does)."""
    found: list[Use] = []
    for file in app_files(app, root):
        parts = file.relative_to(root).parts
        if file.suffix != ".py" or "tests" in parts or ("migrations" in parts and not migrations):
            continue
        found += uses_in(file.read_text(encoding="utf-8"), file.relative_to(root).as_posix())
    return found


def api_counts(uses: list[Use]) -> dict[str, set[str]]:
    """Distribution -> the distinct names used from it."""
    names: dict[str, set[str]] = {}
    for use in uses:
        names.setdefault(use.distribution, set()).add(use.name)
    return names


# --- batteries: built in or plugin, derived from what the apps use -------------------------

# Each battery and the modules that provide it in any of the apps (or would: rate limiting's
# candidates are listed before any app uses one, so the row fills itself when one lands).
BATTERIES: dict[str, tuple[str, ...]] = {
    "ORM": ("django.db.models", "flask_sqlalchemy", "sqlalchemy"),
    "Migrations": ("django.db.migrations", "flask_migrate", "alembic"),
    "Auth (users, passwords, tokens)": (
        "django.contrib.auth",
        "rest_framework.authentication",
        "rest_framework.permissions",
        "fastapi.security",
        "flask_login",
        "flask_jwt_extended",
        "jwt",
        "argon2",
        "passlib",
    ),
    "Admin": ("django.contrib.admin", "flask_admin", "sqladmin"),
    "Interactive docs (OpenAPI)": (
        "fastapi.openapi",
        "drf_spectacular",
        "drf_spectacular_sidecar",
        "flask_smorest",
        "apispec",
        "openapi_ui_bundles",
    ),
    "Validation": (
        "pydantic",
        "pydantic_core",
        "marshmallow",
        "webargs",
        "rest_framework.serializers",
        "rest_framework.fields",
        "rest_framework.validators",
        "django.core.validators",
    ),
    "CSRF": (
        "django.middleware.csrf",
        "flask_admin.form.SecureForm",  # Flask-Admin's form with a CSRF token
        "flask_wtf.csrf",
        "wtforms.csrf",
        "starlette_csrf",
    ),
    "Rate limiting": (
        "rest_framework.throttling",
        "django_ratelimit",
        "flask_limiter",
        "limits",
        "slowapi",
    ),
}


@cache
def lock() -> dict[str, set[str]]:
    return parse_lock((REPO_ROOT / "requirements.lock").read_text(encoding="utf-8"))


def closure(distribution: str) -> set[str]:
    """The distribution and everything it requires, walked through requirements.lock."""
    found, queue = set(), [distribution]
    while queue:
        if (name := queue.pop()) not in found:
            found.add(name)
            queue.extend(lock().get(name, ()))
    return found


@dataclass
class Provider:
    """A distribution that provides a battery in one app, and what it costs there."""

    distribution: str
    modules: set[str]
    kind: str  # "built in", "ships with <framework>", "plugin"
    lines: int  # lines of the app that name it (anywhere, not only for this battery)
    packages: int  # its own closure in the lock, minus what the framework already brings
    where: str  # the file that names the battery's modules most often


def providers(app: App, battery: str, uses: list[Use]) -> list[Provider]:
    framework = FRAMEWORK[app.key]
    matched: dict[str, set[str]] = {}
    places: dict[str, Counter[str]] = {}  # where the battery's own modules are named
    for use in uses:
        for module in BATTERIES[battery]:
            if use.name == module or use.name.startswith(module + "."):
                matched.setdefault(use.distribution, set()).add(module)
                places.setdefault(use.distribution, Counter())[use.path] += 1
    found = []
    for dist, modules in matched.items():
        kind = (
            "built in"
            if dist == framework
            else f"ships with {NAMES[app.key]}"
            if dist in closure(framework)
            else "plugin"
        )
        named = [u for u in uses if u.distribution == dist]
        lines = len({(u.path, u.line) for u in named})
        where = places[dist].most_common(1)[0][0]
        packages = len(closure(dist) - closure(framework))
        found.append(Provider(dist, modules, kind, lines, packages, where))
    order = ("built in", f"ships with {NAMES[app.key]}", "plugin")
    return sorted(found, key=lambda p: (order.index(p.kind), p.distribution))


@cache
def all_uses(migrations: bool = False) -> dict[str, list[Use]]:
    return {app.key: api_uses(app, migrations=migrations) for app in APPS}


def battery_status(app: App, battery: str) -> tuple[str, list[Provider]]:
    """'built in' when the framework (or what it requires) provides it, 'plugin' when only a
    plugin does, 'not built' when the app has none."""
    found = providers(app, battery, all_uses(migrations=True)[app.key])
    if not found:
        return "not built", found
    return ("plugin" if all(p.kind == "plugin" for p in found) else "built in"), found


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def battery_cell(app: App, battery: str) -> list[Part]:
    found = battery_status(app, battery)[1]
    if not found:
        return [Part("not built", "site:decision.html#batteries")]
    parts = []
    for p in found:
        modules = ", ".join(f"`{m}`" for m in sorted(p.modules))
        cost = (
            f": named on {plural(p.lines, 'line')}, +{plural(p.packages, 'package')}"
            if p.kind == "plugin"
            else ""
        )
        parts.append(Part(f"{p.kind}: {p.distribution} ({modules}){cost}", p.where))
    return parts


# --- verdicts: where the measurement agrees with the seeds ---------------------------------


def verdict(
    claim: str,
    seeds: Mapping[str, int],
    measured: Mapping[str, float],
    unit: str,
    show: str = "{:g}",
    lower_is_more: bool = False,
) -> str:
    """One sentence comparing the seeds' ordering (`seeds`: app -> rank, 1 = most of what the
    row rates) with a measured figure (higher = more, unless `lower_is_more`): each pair of apps
    the seeds separate is checked."""
    sign = -1 if lower_is_more else 1
    agree: list[str] = []
    contradict: list[str] = []
    titles = {app.key: app.title for app in APPS}
    keys = [a.key for a in APPS if a.key in seeds and a.key in measured]
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if seeds[a] == seeds[b]:
                continue
            more, less = (a, b) if seeds[a] < seeds[b] else (b, a)
            pair = f"{titles[more]} above {titles[less]}"
            (agree if sign * measured[more] > sign * measured[less] else contradict).append(pair)
    if not agree and not contradict:
        return f"{claim}: not measurable from the latest runs."
    ranks = sorted(set(seeds.values()))
    order = " > ".join(" = ".join(titles[k] for k in keys if seeds[k] == r) for r in ranks)
    figures = ", ".join(f"{titles[k]} {show.format(measured[k])}" for k in keys)
    said = f"{claim}: the seeds rank {order}; measured, {unit}: {figures}"
    if not contradict:
        return f"{said}. The measurement agrees."
    if not agree:
        return f"{said}. The measurement contradicts the seeds."
    return (
        f"{said}. The measurement agrees on {' and '.join(agree)}, and contradicts the seeds on"
        f" {' and '.join(contradict)}."
    )


# --- the figures -----------------------------------------------------------------------------


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


@dataclass
class Bench:
    """The figures the page takes from results/bench.json, for one app each."""

    data: dict[str, Any]

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.data["meta"])

    @property
    def database(self) -> str:
        return str(unique(r["database"] for r in self.data["records"])[0])

    def records(self) -> list[dict[str, Any]]:
        """The main database's records under the production servers, at the main connections."""
        connections = self.meta["settings"]["connections"]
        return [
            r
            for r in where(self.data["records"], database=self.database, connections=connections)
            if family(r["server"]) == "production"
        ]

    def reads(self) -> list[str]:
        """The scenarios the raw-SQL reference also runs (it serves reads only)."""
        return unique(r["scenario"] for r in self.records() if r["app"] == "reference")

    def cpu(self, app: str, scenario: str) -> tuple[float, float] | None:
        """CPU ms per request and its multiple of the reference's."""
        found = find(self.records(), app=app, scenario=scenario)
        ref = find(self.records(), app="reference", scenario=scenario)
        if not found or not ref:
            return None
        cpu = float(found["cpu_ms_per_request"])
        return cpu, cpu / float(ref["cpu_ms_per_request"])

    def mean_cpu(self, app: str) -> tuple[float, float] | None:
        """Geometric means over the reads of CPU ms and of its ratio to the reference."""
        pairs = [p for s in self.reads() if (p := self.cpu(app, s))]
        if not pairs:
            return None
        cpu, ratio = (math.exp(sum(math.log(p[i]) for p in pairs) / len(pairs)) for i in (0, 1))
        return cpu, ratio

    def sweep(self) -> list[dict[str, Any]]:
        return [r for r in sweep_records(self.data) if family(r["server"]) == "production"]

    def server(self, app: str) -> dict[str, Any] | None:
        return next(
            (
                s
                for s in self.data.get("servers", [])
                if s["app"] == app
                and s["database"] == self.database
                and family(s["server"]) == "production"
            ),
            None,
        )


def stamp(bench: Bench) -> str:
    meta = bench.meta
    return (
        f"{meta['date'][:10]}, commit `{meta['commit']}`, {meta['machine']['cores']} cores"
        f" ({meta['machine']['model']})"
    )


def table_value(table: Table, label: str, app: App) -> str:
    row = next(r for r in table.rows if r[0] == label)
    return row[1 + [a.key for a in APPS].index(app.key)]


def integer(text: str) -> int:
    return int(re.sub(r"\D", "", text.split("(")[0]) or 0)


@dataclass
class Figures:
    """Everything the page shows, computed once."""

    loc: Table
    files: Table
    deps: Table
    results: Table
    apis: dict[str, dict[str, set[str]]]
    bench: Bench | None
    fuzz: dict[str, Any] | None
    faithful: dict[str, int]

    def total_lines(self, app: App) -> int:
        return integer(table_value(self.loc, "**Total** (each line once)", app))

    def api_total(self, app: App) -> int:
        return sum(len(names) for names in self.apis[app.key].values())

    def chosen(self, app: App) -> list[str]:
        """Direct dependencies that are neither the framework nor shipped with it."""
        direct = table_value(self.deps, "Direct: which", app).split(", ")
        return [d for d in direct if d not in closure(FRAMEWORK[app.key])]


def figures() -> Figures:
    from tools.faithful import all_differences  # builds the apps: only when the page is made

    bench = load("bench.json")
    return Figures(
        loc=loc_table(),
        files=files_table(),
        deps=dependency_table(),
        results=results_table(),
        apis={key: api_counts(found) for key, found in all_uses().items()},
        bench=Bench(bench) if bench else None,
        fuzz=load("fuzz.json"),
        faithful={key: len(found) for key, found in all_differences().items()},
    )


# --- the sections ----------------------------------------------------------------------------

# The seeds' words, quoted, and their ordering (1 = the most of what the row rates).
SEEDS: dict[str, dict[str, str]] = {
    "Category": {
        "flask": "Micro-framework",
        "django": "Full-stack framework",
        "fastapi": "Modern async micro-framework",
    },
    "Flexibility": {
        "flask": "Extremely high",
        "django": "Moderate, the Django way",
        "fastapi": "High",
    },
    "Learning curve": {"flask": "Low", "django": "High", "fastapi": "Moderate"},
    "Performance": {"flask": "Good", "django": "Moderate", "fastapi": "Excellent (async)"},
    "Admin panel": {"flask": "No, needs plugins", "django": "Yes, built in", "fastapi": "No"},
    # The prose claims are about one framework each: only its column quotes the seeds.
    "Django: built-in ORM, auth, admin, CSRF/XSS protection": {
        "django": "built-in ORM, authentication, admin, CSRF/XSS protection"
    },
    "FastAPI: automatic interactive docs (Swagger UI)": {
        "fastapi": "automatic interactive docs (Swagger UI)"
    },
    "FastAPI: async concurrency": {"fastapi": "async, high concurrency"},
    "FastAPI: Pydantic validation": {"fastapi": "data validation with Pydantic"},
    'Flask: "you choose your tools"': {"flask": "you choose your tools"},
}
RANKS = {
    "Flexibility": {"flask": 1, "fastapi": 2, "django": 3},
    "Learning curve": {"django": 1, "fastapi": 2, "flask": 3},  # 1 = steepest
    "Performance": {"fastapi": 1, "flask": 2, "django": 3},
}
BUILT_IN_CLAIM = ("ORM", "Auth (users, passwords, tokens)", "Admin", "CSRF")


def seeds_section(f: Figures) -> Section:
    titles = {app.key: app.title for app in APPS}
    built = {
        app.key: [b for b in BATTERIES if battery_status(app, b)[0] == "built in"] for app in APPS
    }
    plugins = {
        app.key: [b for b in BATTERIES if battery_status(app, b)[0] == "plugin"] for app in APPS
    }
    rows, verdicts = [], []
    asyncs = {app.key: async_share(app) for app in APPS}

    def category(app: App) -> list[Part]:
        share = asyncs[app.key]
        return [
            Part(
                f"{len(built[app.key])} of {len(BATTERIES)} batteries built in",
                "site:decision.html#batteries",
            ),
            # The operations' pages show every handler: `async def` or `def`.
            Part(f"{share[0]} of {share[1]} functions async", "site:index.html"),
        ]

    rows.append(Row("Category", each(category), SEEDS["Category"]))
    most = max(APPS, key=lambda a: len(built[a.key]))
    verdicts.append(
        f"Category: {most.title} has the most batteries built in ({len(built[most.key])} of"
        f' {len(BATTERIES)}), so "full-stack" goes to {most.title}'
        f" ({'agrees' if most.key == 'django' else 'contradicts the seeds'}); mostly async:"
        f" {', '.join(titles[k] for k, (a, n) in asyncs.items() if n and a / n > 0.5) or 'none'}."
    )

    def flexibility(app: App) -> list[Part]:
        chosen = f.chosen(app)
        return [
            Part(
                f"{len(plugins[app.key])} of {len(BATTERIES)} batteries are plugins we chose",
                "site:decision.html#batteries",
            ),
            Part(f"{len(chosen)} direct dependencies beside the framework", "site:tables.html"),
        ]

    rows.append(Row("Flexibility", each(flexibility), SEEDS["Flexibility"]))
    verdicts.append(
        verdict(
            "Flexibility (read as: how much is your choice)",
            RANKS["Flexibility"],
            {k: len(v) for k, v in plugins.items()},
            "batteries that are plugins",
        )
    )

    def learning(app: App) -> list[Part]:
        return [
            Part(f"{f.api_total(app)} third-party APIs", "site:decision.html#what-you-must-learn"),
            Part(f"{f.total_lines(app)} code lines", "site:tables.html"),
        ]

    rows.append(Row("Learning curve", each(learning), SEEDS["Learning curve"]))
    verdicts.append(
        verdict(
            "Learning curve (read as: how many APIs to learn)",
            RANKS["Learning curve"],
            {a.key: f.api_total(a) for a in APPS},
            "distinct third-party APIs used",
        )
    )

    def performance(app: App) -> list[Part]:
        mean = f.bench.mean_cpu(app.key) if f.bench else None
        if not mean:
            return [Part("not measured (`make bench`)", "tools/bench/__main__.py")]
        return [
            Part(
                f"{mean[0]:.2f} CPU ms per read ({mean[1]:.1f}x the raw-SQL reference)",
                "results/bench.json",
            )
        ]

    rows.append(Row("Performance", each(performance), SEEDS["Performance"]))
    if f.bench:
        cpu = {a.key: m[0] for a in APPS if (m := f.bench.mean_cpu(a.key))}
        verdicts.append(
            verdict(
                "Performance (read as: less server CPU per read request)",
                RANKS["Performance"],
                cpu,
                "CPU ms per read",
                "{:.2f}",
                lower_is_more=True,
            )
        )
    else:
        verdicts.append("Performance: not measured yet (`make bench`).")

    rows.append(Row("Admin panel", each(lambda a: battery_cell(a, "Admin")), SEEDS["Admin panel"]))
    said = {"flask": False, "django": True, "fastapi": False}  # "Yes, built in" or not
    admin = {app.key: battery_status(app, "Admin") for app in APPS}
    measured = "; ".join(
        f"{titles[k]} {status}"
        + (f" ({', '.join(p.distribution for p in found)})" if status == "plugin" else "")
        for k, (status, found) in admin.items()
    )
    wrong = [titles[k] for k, v in said.items() if (admin[k][0] == "built in") != v]
    verdicts.append(
        f"Admin panel (read as: built in or not): {measured}: "
        + (f"contradicts the seeds for {', '.join(wrong)}." if wrong else "agrees.")
    )

    claim = "Django: built-in ORM, auth, admin, CSRF/XSS protection"

    def built_in(app: App) -> list[Part]:
        have = [b.split(" (")[0] for b in BUILT_IN_CLAIM if b in built[app.key]]
        return [
            Part(
                f"{len(have)} of {len(BUILT_IN_CLAIM)} built in: {', '.join(have) or 'none'}",
                "site:decision.html#batteries",
            )
        ]

    rows.append(Row(claim, each(built_in), SEEDS[claim]))
    missing = [b for b in BUILT_IN_CLAIM if b not in built["django"]]
    verdicts.append(
        f"{claim}: "
        + (
            "agrees for ORM, auth, admin and CSRF"
            if not missing
            else f"contradicts for {', '.join(missing)}"
        )
        + "; XSS is not measured here (the"
        " API answers JSON only)."
    )

    claim = "FastAPI: automatic interactive docs (Swagger UI)"

    def docs(app: App) -> list[Part]:
        status = battery_status(app, "Interactive docs (OpenAPI)")[0]
        return [
            Part(status, "site:decision.html#batteries"),
            Part(f"{f.faithful[app.key]} differences from the spec", "site:faithful.html"),
        ]

    rows.append(Row(claim, each(docs), SEEDS[claim]))
    docs_built = [
        a.title for a in APPS if battery_status(a, "Interactive docs (OpenAPI)")[0] == "built in"
    ]
    automatic = docs_built == ["FastAPI"]
    verdicts.append(
        f"{claim} (read as: built in): built in for {', '.join(docs_built) or 'none'}."
        + (" The measurement agrees." if automatic else " The measurement contradicts the seeds.")
    )
    verdicts.append(
        verdict(
            f"{claim} (read as: fewest differences between the generated document and the spec)",
            {"fastapi": 1, "flask": 2, "django": 2},
            f.faithful,
            "differences",
            lower_is_more=True,
        )
    )

    claim = "FastAPI: async concurrency"
    top = max(f.bench.meta["settings"]["sweep_connections"]) if f.bench else 0

    def concurrency(app: App) -> list[Part]:
        best = sweep_best(f.bench, app.key, top) if f.bench else None
        if not best:
            return [Part("not measured (`make bench`)", "tools/bench/__main__.py")]
        return [
            Part(
                f"{best['scenario']} at {top} connections: {best['rps']:,.0f} req/s,"
                f" p99 {best['p99_ms']:,.0f} ms",
                "results/bench.json",
            )
        ]

    rows.append(Row(claim, each(concurrency), SEEDS[claim]))
    if f.bench:
        found = {a.key: b for a in APPS if (b := sweep_best(f.bench, a.key, top))}
        verdicts.append(
            verdict(
                f"{claim} (read as: req/s at {top} connections,"
                f" {unique(b['scenario'] for b in found.values())[0]})",
                {"fastapi": 1, "flask": 2, "django": 2},
                {k: round(b["rps"]) for k, b in found.items()},
                "req/s",
            )
        )

    claim = "FastAPI: Pydantic validation"
    shapes = {a.key: integer(table_value(f.loc, "Wire shapes", a)) for a in APPS}

    def validation(app: App) -> list[Part]:
        status, found = battery_status(app, "Validation")
        names = ", ".join(p.distribution for p in found)
        return [
            Part(f"{names} ({status})", "site:decision.html#batteries"),
            Part(f"wire shapes: {shapes[app.key]} code lines", "site:tables.html"),
            Part(
                fuzz_text(f.fuzz, app.key),
                "results/fuzz.json" if f.fuzz else "tests/fuzz/test_fuzz.py",
            ),
        ]

    rows.append(Row(claim, each(validation), SEEDS[claim]))
    verdicts.append(
        verdict(
            f"{claim} (read as: fewest lines to declare the wire shapes)",
            {"fastapi": 1, "flask": 2, "django": 2},
            shapes,
            "code lines",
            lower_is_more=True,
        )
    )

    claim = 'Flask: "you choose your tools"'

    def choose(app: App) -> list[Part]:
        chosen = f.chosen(app)
        return [Part(f"{len(chosen)} chosen: {', '.join(chosen) or 'none'}", "site:tables.html")]

    rows.append(Row(claim, each(choose), SEEDS[claim]))
    verdicts.append(
        verdict(
            f"{claim} (read as: direct dependencies beside the framework)",
            {"flask": 1, "fastapi": 2, "django": 3},
            {a.key: len(f.chosen(a)) for a in APPS},
            "chosen packages",
        )
    )
    intro = (
        "The seeds' rows and prose claims, the seeds' words in quotes, then what this repository"
        " measures. Each sentence below the table is generated from the figures: where a row"
        " rates something no instrument reads directly, the sentence says what it is read as."
    )
    return Section("The seeds' table, measured", intro, rows, verdicts, header="Seeds' row")


def async_share(app: App) -> tuple[int, int]:
    """(async functions, all functions) in the app's code, tests and migrations left out."""
    counts: Counter[bool] = Counter()
    for file in app_files(app):
        parts = file.relative_to(REPO_ROOT).parts
        if file.suffix == ".py" and "tests" not in parts and "migrations" not in parts:
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    counts[isinstance(node, ast.AsyncFunctionDef)] += 1
    return counts[True], counts[True] + counts[False]


def sweep_best(bench: Bench | None, app: str, connections: int) -> dict[str, Any] | None:
    """The first swept read scenario's record for the app at that many connections."""
    if bench is None:
        return None
    records = [r for r in bench.sweep() if r["connections"] == connections]
    reads = [s for s in unique(r["scenario"] for r in records) if s in bench.reads()]
    return find(records, app=app, scenario=reads[0]) if reads else None


def fuzz_text(fuzz: dict[str, Any] | None, app: str) -> str:
    entry = (fuzz or {}).get("apps", {}).get(app)
    if not entry:
        return "fuzzing: not run (`make fuzz`)"
    return (
        f"fuzzing: {entry['distinct_failure_count']} distinct failures in"
        f" {entry['requests']:,} requests"
    )


def write_section(f: Figures) -> Section:
    rows = from_table(f.loc, "site:tables.html")
    rows += from_table(f.files, "site:tables.html")
    rows += from_table(f.deps, "site:tables.html", skip=("Direct: which", "Transitive only: which"))
    return Section(
        "What you write",
        "Code lines per concern (the README's concern index), files"
        " and third-party dependencies, from tools/tables.py.",
        rows,
        notes=f.loc.notes,
        header="Concern",
    )


def learn_section(f: Figures) -> Section:
    dists = sorted(set().union(*(names.keys() for names in f.apis.values())))

    def count(app: App, dist: str) -> list[Part]:
        names = f.apis[app.key].get(dist)
        return [Part(str(len(names)), "tools/decision.py") if names else Part("-")]

    rows = [Row(dist, each(partial(count, dist=dist))) for dist in dists]
    rows.append(
        Row(
            "**All distinct APIs**",
            each(lambda a: [Part(f"**{f.api_total(a)}**", "tools/decision.py")]),
        )
    )
    rows.append(
        Row(
            "Code lines beside them",
            each(lambda a: [Part(str(f.total_lines(a)), "site:tables.html")]),
        )
    )
    note = (
        "Distinct classes, functions, decorators and constants of third-party packages the app's"
        " code names (tests and migrations left out): each name bound by an import, followed by"
        " its attributes down to the first object that is no module (`sa.orm.relationship`,"
        " `models.Model`), and the dotted paths in Django's upper-case settings. Methods"
        " called on objects the framework hands over (`request.args`, `session.execute`) are"
        " not counted: naming their class takes types, not syntax."
    )
    return Section(
        "What you must learn",
        "Third-party APIs per package, counted by tools/decision.py (`api_uses`).",
        rows,
        notes=[note],
        header="Package",
    )


def change_section() -> Section:
    found = costs()
    rows = []
    everywhere = [f for f in unique(f for f, _ in found) if all((f, a.key) in found for a in APPS)]
    for feature in everywhere:

        def cell(app: App, feature: str = feature) -> list[Part]:
            cost = found.get((feature, app.key))
            if not cost:
                return [Part("not built", "site:features.html")]
            added, removed = cost.lines["code"]
            return [
                Part(
                    f"+{added} / -{removed} code lines, {plural(len(cost.files), 'file')},"
                    f" +{plural(len(cost.total), 'package')}",
                    "site:features.html",
                )
            ]

        rows.append(Row(feature, each(cell)))
    return Section(
        "What a change costs",
        "Each feature added to all three apps, one commit per"
        " app (trailers `Feature:` and `App:`), from git by tools/features.py: the app's"
        " code lines added and removed, the files touched, the packages added to the"
        " lock.",
        rows,
        header="Feature",
    )


def batteries_section() -> Section:
    rows = [Row(b, each(partial(battery_cell, battery=b))) for b in BATTERIES]
    note = (
        "Derived from the modules each app's code (migrations included) uses: built in when the"
        ' framework\'s own distribution provides them, "ships with" when the framework'
        " requires the package, plugin otherwise, with the app's lines that name that"
        " package's APIs (migrations included) and the packages it adds to what the framework"
        ' brings (through requirements.lock). A battery the app does not use says "not built".'
    )
    return Section(
        "Batteries",
        "Built in or plugin, for each battery the seeds name.",
        rows,
        notes=[note],
        header="Battery",
    )


def performance_section(f: Figures) -> Section:
    if f.bench is None:
        return Section("Performance", "Not measured yet (`make bench`).", [])
    bench, rows = f.bench, []
    servers = {r["app"]: r["server"] for r in bench.records()}
    for scenario in bench.reads():

        def cpu(app: App, scenario: str = scenario) -> list[Part]:
            found = bench.cpu(app.key, scenario)
            return [
                Part(f"{found[0]:.2f} ms ({found[1]:.1f}x)" if found else "-", "results/bench.json")
            ]

        rows.append(Row(f"CPU per request, {scenario}", each(cpu)))
    for scenario in unique(r["scenario"] for r in bench.sweep()):
        for connections in sorted({r["connections"] for r in bench.sweep()}):

            def rps(app: App, s: str = scenario, c: int = connections) -> list[Part]:
                one = find(bench.sweep(), app=app.key, scenario=s, connections=c)
                text = f"{one['rps']:,.0f} req/s, p99 {one['p99_ms']:,.0f} ms" if one else "-"
                return [Part(text, "results/bench.json")]

            rows.append(Row(f"{scenario}, {plural(connections, 'connection')}", each(rps)))

    def server(app: App, figure: str) -> list[Part]:
        one = bench.server(app.key)
        value = (
            "-"
            if not one
            else (
                f"{one['cold_start_s']:.2f} s"
                if figure == "cold"
                else f"{one['rss_kb'] / 1024:,.0f} MB RSS, {one['pss_kb'] / 1024:,.0f} MB PSS"
            )
        )
        return [Part(value, "results/bench.json")]

    rows.append(Row("Memory after load", each(lambda a: server(a, "memory"))))
    rows.append(Row("Cold start", each(lambda a: server(a, "cold"))))
    database = {"postgres": "PostgreSQL", "sqlite": "SQLite"}[bench.database]
    intro = (
        f"From results/bench.json: measured {stamp(bench)}; {database}, production servers"
        f" ({', '.join(f'{NAMES[k]} {v}' for k, v in servers.items() if k != 'reference')}),"
        f" {bench.meta['settings']['connections']} connections unless the row says otherwise."
        " CPU is the server's CPU per request, with its multiple of the raw-SQL reference's."
    )
    return Section("Performance", intro, rows, header="Figure")


def correctness_section(f: Figures) -> Section:
    links = {
        "Contract suite, SQLite": "results/contract-results.json",
        "Contract suite, PostgreSQL": "results/contract-results-postgres.json",
        "Upstream RealWorld": "results/official.json",
    }
    rows = []
    for row in f.results.rows:
        link = next(v for k, v in links.items() if row[0].startswith(k))
        link = link if (REPO_ROOT / link).is_file() else "Makefile"  # the target the row names
        rows.append(
            Row(row[0], {a.key: [Part(c, link)] for a, c in zip(APPS, row[1:], strict=True)})
        )
    fuzz_link = "results/fuzz.json" if f.fuzz else "tests/fuzz/test_fuzz.py"
    rows.append(
        Row(
            "Fuzzing, Schemathesis (`make fuzz`)",
            each(lambda a: [Part(fuzz_text(f.fuzz, a.key).removeprefix("fuzzing: "), fuzz_link)]),
        )
    )
    return Section("Correctness", "The latest runs' results, from results/.", rows, header="Suite")


def sections(f: Figures | None = None) -> list[Section]:
    f = f or figures()
    return [
        seeds_section(f),
        write_section(f),
        learn_section(f),
        change_section(),
        batteries_section(),
        performance_section(f),
        correctness_section(f),
    ]


# --- rendering -------------------------------------------------------------------------------


def href(link: Link, where: str) -> str:
    """A link as the README (`where="readme"`, from the repository root) or the page (from
    build/compare/, whose copies of repository files are under source/) writes it."""
    if link.startswith("site:"):
        page = link.removeprefix("site:")
        if where == "site":
            return page
        if page.startswith("decision.html#"):
            return page.removeprefix("decision.html")
        return "#" + slug(IN_README[page]) if page in IN_README else SITE + page
    return link if where == "readme" else SOURCE + link


def evidence_files(found: list[Section]) -> set[str]:
    """The repository files the sections link to (the site copies them under source/)."""
    return {
        part.link
        for section in found
        for row in section.rows
        for parts in row.cells.values()
        for part in parts
        if part.link and not part.link.startswith("site:")
    }


def markdown(found: list[Section]) -> str:
    def cell(parts: list[Part], seeds: str) -> str:
        words = [f'*"{seeds}"*'] if seeds else []
        text = [f"[{p.text}]({href(p.link, 'readme')})" if p.link else p.text for p in parts]
        return "<br>".join([*words, "; ".join(text)]).replace("|", "\\|")

    lines = []
    for section in found:
        lines += [f"### {section.title}", "", section.intro, ""]
        if section.rows:
            lines.append("| " + " | ".join([section.header, *(a.title for a in APPS)]) + " |")
            lines.append("|---" * (1 + len(APPS)) + "|")
            for row in section.rows:
                cells = [cell(row.cells[a.key], row.seeds.get(a.key, "")) for a in APPS]
                lines.append("| " + " | ".join([row.label, *cells]) + " |")
            lines.append("")
        lines += [f"- {v}" for v in section.verdicts] + ([""] if section.verdicts else [])
        lines += [*section.notes, ""] if section.notes else []
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    sys.stdout.write(markdown(sections()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
