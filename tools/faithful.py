"""How faithful each app's generated OpenAPI document is to the spec: `make faithful`.

Each app is built in this process (as tools/apps.py builds it) and asked for the document its
framework generates (flask-smorest, drf-spectacular, FastAPI). Both sides are read the same way:
a path is the server URL's path plus the path (the apps write `/api/users`, the spec `/users`
under the server `.../api`), every `$ref` is followed, `allOf` parts are merged, a nullable
`anyOf` is read as the type it wraps. Operations, methods, operationIds and documented status
codes must match exactly (the exit code and tests/test_faithful.py say so); what differs below
that, field by field, is listed by kind, each place once.
"""

import argparse
import json
import os
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any
from unittest import mock
from urllib.parse import urlparse

import yaml

from tools.apps import APPS, DATABASE, ENVIRONMENT, HTTP_METHODS, SPEC_PATH
from tools.tables import Table

Doc = dict[str, Any]
STRUCTURAL = ("missing operation", "extra operation", "different operationId",
              "missing status code", "extra status code")  # fmt: skip
# Keywords compared one by one (`missing minLength`, `different maximum`, ...).
KEYWORDS = ("format", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "minItems", "maxItems", "uniqueItems", "minProperties",
            "maxProperties", "enum", "default", "title", "readOnly", "writeOnly")  # fmt: skip


@dataclass(frozen=True, order=True)
class Difference:
    kind: str  # what differs, named for the table: "missing pattern", "extra title", ...
    where: str  # the spec's name for the place: `NewUser.password`, `GetArticles query limit`
    detail: str = ""

    @property
    def structural(self) -> bool:
        return self.kind in STRUCTURAL


@cache
def spec_document() -> Doc:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: Doc = yaml.load(SPEC_PATH.read_text(encoding="utf-8"), Loader=loader)
    return document


@cache
def generated(key: str) -> Doc:
    """The document the app serves at /openapi.json (FastAPI's `app.openapi()` is that)."""
    with mock.patch.dict(os.environ, ENVIRONMENT):
        if key == "flask":
            app = import_module("flask_app").create_app({"SQLALCHEMY_DATABASE_URI": DATABASE})
            document: Doc = app.test_client().get("/openapi.json").get_json()
        elif key == "django":
            import_module("django").setup()
            document = import_module("django.test").Client().get("/openapi.json").json()
        else:
            settings = import_module("fastapi_app.config").Settings(database_url=DATABASE)
            document = import_module("fastapi_app.main").create_app(settings).openapi()
    return document


def operations(document: Doc) -> dict[str, Doc]:
    """`METHOD /full/path` -> the operation, with its path's parameters (flask-smorest puts path
    parameters there); a path's own `servers` override the document's."""

    def prefix(servers: list[Doc] | None) -> str:
        return urlparse(servers[0]["url"]).path.rstrip("/") if servers else ""

    return {
        f"{method.upper()} {prefix(item.get('servers') or document.get('servers')) + path}": {
            **op,
            "parameters": [*item.get("parameters", []), *op.get("parameters", [])],
        }
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    }


class Reader:
    """One document, read through its `$ref`s."""

    def __init__(self, document: Doc) -> None:
        self.document = document

    def resolve(self, node: Doc) -> tuple[Doc, str | None]:
        """The node a `$ref` chain ends at, and the last component name on the way."""
        name = None
        while "$ref" in node:
            path = node["$ref"].removeprefix("#/").split("/")
            name, node = path[-1], self.document
            for part in path:
                node = node[part]
        return node, name

    def schema(self, node: Doc) -> tuple[Doc, str | None]:
        """The schema with `allOf` parts merged (their patterns gathered in `patterns`), a
        nullable `anyOf` unwrapped, the types without null in `types` and how null was spelled
        in `nullable`; and its component name if it is an object's (where differences go)."""
        node, name = self.resolve(node)
        types = node.get("type", [])
        types = [types] if isinstance(types, str) else list(types)
        nullable = "a type list" if "null" in types else None
        nullable = "nullable: true" if node.get("nullable") is True else nullable
        skip = ("$ref", "allOf", "anyOf", "pattern", "type", "nullable")
        flat = {key: value for key, value in node.items() if key not in skip}
        patterns, parts = [node["pattern"]] if "pattern" in node else [], node.get("allOf", [])
        if len(options := node.get("anyOf", [])) == 2 and {"type": "null"} in options:
            parts, nullable = [*parts, *(o for o in options if o != {"type": "null"})], "anyOf"
        elif options:
            flat["anyOf"] = options
        for part in parts:
            inner, inner_name = self.schema(part)
            types, patterns = types or inner["types"], patterns + inner["patterns"]
            nullable, name = nullable or inner.get("nullable"), name or inner_name
            flat = {**inner, **flat}
        if "const" in flat:  # `const: x` says what `enum: [x]` says
            flat["enum"] = [flat.pop("const")]
        flat.update(types=sorted(set(types) - {"null"}), patterns=patterns, nullable=nullable)
        return flat, name if "properties" in flat else None


class Comparison:
    """The differences between the spec and one generated document."""

    def __init__(self, spec: Doc, document: Doc) -> None:
        self.spec, self.app, self.found = Reader(spec), Reader(document), set[Difference]()

    def add(self, kind: str, where: str, detail: str = "") -> None:
        self.found.add(Difference(kind, where, detail))

    def run(self) -> list[Difference]:
        ours, theirs = operations(self.spec.document), operations(self.app.document)
        for key in ours.keys() - theirs.keys():
            self.add("missing operation", key, ours[key].get("operationId", ""))
        for key in theirs.keys() - ours.keys():
            self.add("extra operation", key, theirs[key].get("operationId", ""))
        for key in ours.keys() & theirs.keys():
            self.operation(ours[key], theirs[key])
        return sorted(self.found)

    def operation(self, spec: Doc, app: Doc) -> None:
        where = spec["operationId"]
        for field, kind in (("operationId", "operationId"), ("tags", "tags"),
                            ("summary", "summary")):  # fmt: skip
            if spec.get(field) != app.get(field):
                self.add(
                    f"different {kind}", where, f"spec {spec.get(field)}, app {app.get(field)}"
                )
        security = [{frozenset(s) for s in op.get("security", [])} for op in (spec, app)]
        if security[0] != security[1]:
            self.add("different security", where, f"spec {spec.get('security')}")
        self.parameters(where, spec.get("parameters", []), app.get("parameters", []))
        self.body(where, spec.get("requestBody"), app.get("requestBody"))
        codes = [set(op["responses"]) for op in (spec, app)]
        for code in sorted(codes[0] - codes[1]):
            self.add("missing status code", where, code)
        for code in sorted(codes[1] - codes[0]):
            self.add("extra status code", where, code)
        for code in sorted(codes[0] & codes[1]):
            ours, name = self.spec.resolve(spec["responses"][code])
            self.content(
                name or f"{where} {code}", ours, self.app.resolve(app["responses"][code])[0]
            )

    def parameters(self, where: str, spec: list[Doc], app: list[Doc]) -> None:
        def by_key(reader: Reader, params: list[Doc]) -> dict[str, Doc]:
            resolved = [reader.resolve(p)[0] for p in params]
            return {f"{p['in']} {p['name']}": p for p in resolved}

        ours, theirs = by_key(self.spec, spec), by_key(self.app, app)
        for key in sorted(ours.keys() ^ theirs.keys()):
            self.add("missing parameter" if key in ours else "extra parameter", f"{where} {key}")
        for key in sorted(ours.keys() & theirs.keys()):
            if ours[key].get("required", False) != theirs[key].get("required", False):
                self.add("different required", f"{where} {key}")
            self.schemas(f"{where} {key}", ours[key]["schema"], theirs[key]["schema"])

    def body(self, where: str, spec: Doc | None, app: Doc | None) -> None:
        if spec is None or app is None:
            if spec is not app:
                self.add("missing request body" if app is None else "extra request body", where)
            return
        (ours, name), theirs = self.spec.resolve(spec), self.app.resolve(app)[0]
        if ours.get("required", False) != theirs.get("required", False):
            self.add("different required", f"{where} request body")
        self.content(name or f"{where} request body", ours, theirs)

    def content(self, where: str, spec: Doc, app: Doc) -> None:
        ours, theirs = spec.get("content", {}), app.get("content", {})
        for media in sorted(ours.keys() ^ theirs.keys()):
            self.add("missing media type" if media in ours else "extra media type", where, media)
        for media in sorted(ours.keys() & theirs.keys()):
            self.schemas(where, ours[media].get("schema", {}), theirs[media].get("schema", {}))

    def schemas(self, where: str, spec_node: Doc, app_node: Doc) -> None:
        """Compare two schemas keyword by keyword, then their properties and items."""
        (spec, name), (app, _) = self.spec.schema(spec_node), self.app.schema(app_node)
        on_field, where = where, name or where  # readOnly and writeOnly belong to the field
        if spec["types"] != app["types"] and (spec["types"] or "enum" not in spec):
            self.add("different type", where, f"spec {spec['types']}, app {app['types']}")
        nulls = spec.get("nullable"), app.get("nullable")
        if nulls[0] != nulls[1]:
            kind = f"nullable spelled {nulls[1]}" if all(nulls) else "missing nullable"
            self.add(kind if nulls[0] else "extra nullable", where)
        for key in KEYWORDS:
            self.keyword(
                key, on_field if key.endswith("Only") else where, spec.get(key), app.get(key)
            )
        unmatched = [p for p in app["patterns"] if p not in spec["patterns"]]
        for pattern in [p for p in spec["patterns"] if p not in app["patterns"]]:
            if unmatched:
                self.add(
                    "different pattern",
                    where,
                    f"spec {short(pattern)}, app {short(unmatched.pop(0))}",
                )
            else:
                self.add("missing pattern", where, short(pattern))
        for pattern in unmatched:
            self.add("extra pattern", where, short(pattern))
        extra = spec.get("additionalProperties"), app.get("additionalProperties")
        if isinstance(extra[0], dict) and isinstance(extra[1], dict):
            self.schemas(f"{where}.*", extra[0], extra[1])
        else:
            self.keyword("additionalProperties", where, *(short(e) if e else e for e in extra))
        required = [set(s.get("required", [])) for s in (spec, app)]
        for field in sorted(required[0] - required[1]):
            self.add("not required (spec: required)", f"{where}.{field}")
        for field in sorted(required[1] - required[0]):
            self.add("required (spec: optional)", f"{where}.{field}")
        ours, theirs = spec.get("properties", {}), app.get("properties", {})
        for field in sorted(ours.keys() ^ theirs.keys()):
            self.add("missing property" if field in ours else "extra property", f"{where}.{field}")
        for field in [f for f in ours if f in theirs]:
            self.schemas(f"{where}.{field}", ours[field], theirs[field])
        if "items" in spec and "items" in app:
            self.schemas(f"{where}[]", spec["items"], app["items"])

    def keyword(self, key: str, where: str, spec: Any, app: Any) -> None:
        if spec == app:
            return
        if spec is None:
            self.add(f"extra {key}", where, "" if key == "title" else short(app))
        elif app is None:
            self.add(f"missing {key}", where, short(spec))
        else:
            self.add(f"different {key}", where, f"spec {short(spec)}, app {short(app)}")


# Control, format (zero-width, bidi), separator and unassigned characters: in a report they are
# invisible or break the line, and the spec's patterns list many of them as literal characters.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp", "Zs"})


def visible(text: str) -> str:
    """`text` with every hidden character but the plain space written as a \\u escape."""
    return "".join(_escaped(char) for char in text)


def _escaped(char: str) -> str:
    if char == " " or unicodedata.category(char) not in HIDDEN_CATEGORIES:
        return char
    return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"


def short(value: Any, width: int = 48) -> str:
    """`value` for one table cell: hidden characters escaped, cut at `width` characters."""
    text = visible(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return text if len(text) <= width else text[: width - 1] + "…"


def compare(spec: Doc, document: Doc) -> list[Difference]:
    return Comparison(spec, document).run()


@cache
def all_differences() -> dict[str, list[Difference]]:
    return {app.key: compare(spec_document(), generated(app.key)) for app in APPS}


def by_kind(differences: list[Difference]) -> dict[str, list[Difference]]:
    grouped: dict[str, list[Difference]] = {}
    for difference in differences:
        grouped.setdefault(difference.kind, []).append(difference)
    return grouped


def faithful_table(found: dict[str, list[Difference]] | None = None) -> Table:
    """Differences per kind (rows, most frequent first) and app (columns)."""
    found = found or all_differences()
    counts = {key: Counter(d.kind for d in differences) for key, differences in found.items()}
    kinds = sorted(
        set().union(*counts.values()), key=lambda k: (-sum(c[k] for c in counts.values()), k)
    )
    rows = [[kind, *(str(counts[app.key][kind]) for app in APPS)] for kind in kinds]
    rows.append(["**Total**", *(f"**{len(found[app.key])}**" for app in APPS)])
    note = ("Each place once (a schema used by several operations counts once), named after the"
            " spec's component or operation. Operations, methods, operationIds and documented"
            " status codes match exactly (tests/test_faithful.py fails otherwise); descriptions"
            " and examples are not compared.")  # fmt: skip
    return Table(
        "Differences from the spec, by kind", ["Kind", *(a.title for a in APPS)], rows, [note]
    )


def listing(difference: Difference) -> str:
    return f"`{difference.where}`" + (f" (`{difference.detail}`)" if difference.detail else "")


def faithful_block() -> str:
    """The README block: the table, then each app's differences by kind, folded."""
    found = all_differences()
    lines = [faithful_table(found).markdown("")]
    for app in APPS:
        grouped = by_kind(found[app.key])
        lines += [f"<details><summary>{app.title}: {len(found[app.key])} differences</summary>\n"]
        lines += [
            f"- **{kind}** ({len(d)}): {', '.join(map(listing, d))}" for kind, d in grouped.items()
        ]
        lines += ["\n</details>\n"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.faithful", description=__doc__)
    parser.add_argument("--impl", default=",".join(app.key for app in APPS))
    args = parser.parse_args(argv)
    failed = False
    for app in [a for a in APPS if a.key in args.impl.split(",")]:
        print(f"[{app.key}] reading the generated document", flush=True)
        differences = compare(spec_document(), generated(app.key))
        structural = [d for d in differences if d.structural]
        print(f"[{app.key}] {len(differences)} differences, {len(structural)} structural")
        for kind, found in by_kind(differences).items():
            print(f"  {kind} ({len(found)})")
            print(
                "".join(f"    {'!! ' if d.structural else ''}{listing(d)}\n" for d in found), end=""
            )
        failed |= bool(structural)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
