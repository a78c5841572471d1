"""Generated comparison tables: lines of code per concern, files, dependencies, contract results.

Every number is computed from the repository as it is (source files, requirements.lock, the
contract suite's results file); nothing is typed in by hand, so the tables cannot drift from
the code. Where a number is not available it says so instead of guessing.
"""

import ast
import importlib.metadata
import io
import json
import re
import sys
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tools.codeindex import APPS, REPO_ROOT, AppLayout
from tools.concerns import NOT_CODE_PARTS, Concern, Span

LOCK_PATH = REPO_ROOT / "requirements.lock"
CONTRACT_RESULTS = REPO_ROOT / "build" / "contract-results.json"
SKIPPED_TOKENS = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}
# A dotted path in a settings list (INSTALLED_APPS, MIDDLEWARE): Django imports these by name.
DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


@dataclass
class Table:
    """A titled table rendered the same way as markdown and as HTML."""

    title: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        def cell(text: str) -> str:
            return text.replace("|", "\\|")

        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(cell(h) for h in self.header) + " |")
        lines.append("|" + "---|" * len(self.header))
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"{note}  " for note in self.notes]
        return "\n".join(lines) + "\n"


# --- lines of code ----------------------------------------------------------------------------


@cache
def code_lines(path: Path) -> frozenset[int]:
    """Line numbers that hold code: not blank, not only a comment, not part of a docstring.

    Tokens decide (so a `#` inside a string is not a comment, and every line of a multi-line
    expression counts); the AST finds docstrings (the first string statement of a module,
    class or function)."""
    source = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return frozenset(
            n
            for n, line in enumerate(source.splitlines(), 1)
            if line.strip() and not line.strip().startswith("#")
        )
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in SKIPPED_TOKENS:
            lines.update(range(token.start[0], token.end[0] + 1))
    return frozenset(lines - docstrings)


def span_lines(span: Span, root: Path) -> set[tuple[str, int]]:
    """(file, line) pairs of code inside a span; only Python files count as code."""
    if not span.path.endswith(".py"):
        return set()
    lines = code_lines(root / span.path)
    if span.start is not None and span.end is not None:
        lines = frozenset(n for n in lines if span.start <= n <= span.end)
    return {(span.path, n) for n in lines}


def is_code_file(relative: str) -> bool:
    return relative.endswith(".py") and not NOT_CODE_PARTS & set(Path(relative).parts)


def app_files(app: AppLayout, root: Path) -> list[str]:
    """Every file of the app's package (repository-relative), caches excluded."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in (root / app.package).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def loc_table(concerns: list[Concern], root: Path = REPO_ROOT) -> Table:
    """Code lines per concern and app. Where the index lists one file under several concerns,
    each of those rows counts it (marked †, with the files named below the table); the total
    counts every line of the app once, including files the index does not list."""
    header = ["Concern", *(app.title for app in APPS)]
    code_rows = [concern for concern in concerns if concern.is_code]
    counted: dict[tuple[str, str], set[tuple[str, int]]] = {}
    for concern in code_rows:
        for app in APPS:
            lines: set[tuple[str, int]] = set()
            for span in concern.cells[app.key].spans:
                if is_code_file(span.path):
                    lines |= span_lines(span, root)
            counted[(concern.name, app.key)] = lines
    rows: list[list[str]] = []
    for concern in code_rows:
        row = [concern.name]
        for app in APPS:
            cell = concern.cells[app.key]
            if not cell.targets:
                row.append("none" if cell.text.strip().lower().startswith("none") else "-")
                continue
            lines = counted[(concern.name, app.key)]
            shared = any(
                lines & other
                for (name, key), other in counted.items()
                if key == app.key and name != concern.name
            )
            row.append(f"{len(lines)}{' †' if shared else ''}")
        rows.append(row)
    other_row = ["Other code (not in the index)"]
    total_row = ["**Total** (each line once)"]
    notes = [
        "Code lines only: no blank lines, comment-only lines or docstrings; tests and migrations"
        " are left out. Rows and their files come from the README's concern index.",
    ]
    shared_notes = []
    for app in APPS:
        indexed: set[tuple[str, int]] = set()
        rows_of_file: dict[str, list[str]] = {}
        for concern in code_rows:
            lines = counted[(concern.name, app.key)]
            indexed |= lines
            for path in sorted({path for path, _ in lines}):
                rows_of_file.setdefault(path, []).append(concern.name)
        everything: set[tuple[str, int]] = set()
        for relative in app_files(app, root):
            if is_code_file(relative):
                everything |= span_lines(Span(relative), root)
        rest = everything - indexed
        other_files = sorted({path for path, _ in rest})
        names = ", ".join(Path(p).relative_to(app.package).as_posix() for p in other_files)
        other_row.append(f"{len(rest)} ({names})" if rest else "0")
        total_row.append(f"**{len(everything)}**")
        shared_files = [
            f"{Path(path).relative_to(app.package).as_posix()} ({', '.join(names)})"
            for path, names in rows_of_file.items()
            if len(names) > 1
        ]
        if shared_files:
            shared_notes.append(f"{app.title}: {'; '.join(shared_files)}")
    rows += [other_row, total_row]
    if shared_notes:
        notes.append(
            "† lines counted in more than one row, because the index lists the file under"
            " several concerns, so a column does not add up to its total. "
            + ". ".join(shared_notes)
            + "."
        )
    return Table("Lines of code per concern", header, rows, notes)


def files_table(root: Path = REPO_ROOT) -> Table:
    """How many files each app has, by kind: code, tests, migrations."""
    header = ["Files", *(app.title for app in APPS)]
    kinds: dict[str, list[int]] = {"code": [], "tests": [], "migrations": [], "all": []}
    for app in APPS:
        files = app_files(app, root)
        tests = [f for f in files if "tests" in Path(f).parts]
        migrations = [f for f in files if "migrations" in Path(f).parts and f not in tests]
        code = [f for f in files if f not in tests and f not in migrations]
        for kind, chosen in (("code", code), ("tests", tests), ("migrations", migrations)):
            kinds[kind].append(len(chosen))
        kinds["all"].append(len(files))
    labels = {
        "code": "App code",
        "tests": "Unit tests",
        "migrations": "Migrations",
        "all": "**All files**",
    }
    rows = [
        [labels[k], *(f"**{n}**" if k == "all" else str(n) for n in v)] for k, v in kinds.items()
    ]
    return Table(
        "Files per app", header, rows, ["Every file in the app's folder, caches excluded."]
    )


# --- dependencies -----------------------------------------------------------------------------


def normalise(name: str) -> str:
    """PEP 503 normalised distribution name, as requirements.lock spells it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(text: str) -> dict[str, set[str]]:
    """Distribution -> the distributions it requires, from uv's `# via` comments (which list,
    for each pinned package, who asked for it: the reverse edges of the dependency graph)."""
    requires: dict[str, set[str]] = {}
    current: str | None = None
    in_via = False
    for line in text.splitlines():
        package = re.match(r"^([A-Za-z0-9][\w.\-]*)(\[[^\]]*\])?==", line)
        if package:
            current = normalise(package.group(1))
            requires.setdefault(current, set())
            in_via = False
            continue
        comment = re.match(r"^\s+#\s*(via\b)?\s*(.*)$", line)
        if current is None or not comment:
            continue
        if comment.group(1):
            in_via = True
            parents = [comment.group(2)] if comment.group(2) else []
        elif in_via:
            parents = [comment.group(2)]
        else:
            continue
        for parent in parents:
            parent = parent.strip()
            if not parent or "(" in parent or parent.startswith("-r"):
                continue  # the project itself (`conduit-three-ways (pyproject.toml)`)
            requires.setdefault(normalise(parent.split("[")[0]), set()).add(current)
    return requires


def imported_top_modules(app: AppLayout, root: Path) -> set[str]:
    """Top-level modules the app's run-time code imports (tests excluded, migrations
    included), plus dotted paths in settings lists, which Django imports by name."""
    found: set[str] = set()
    for relative in app_files(app, root):
        if not relative.endswith(".py") or "tests" in Path(relative).parts:
            continue
        try:
            tree = ast.parse((root / relative).read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
        for node in tree.body:
            if not isinstance(node, ast.Assign) or not all(
                isinstance(t, ast.Name) and t.id.isupper() for t in node.targets
            ):
                continue
            for item in ast.walk(node.value):
                if (
                    isinstance(item, ast.Constant)
                    and isinstance(item.value, str)
                    and DOTTED.match(item.value)
                ):
                    found.add(item.value.split(".")[0])
    return found


def distributions_of(
    modules: Iterable[str], app: AppLayout, lock: dict[str, set[str]]
) -> dict[str, list[str]]:
    """Third-party distribution -> the top-level modules of it the app uses."""
    mapping = importlib.metadata.packages_distributions()
    first_party = {a.package for a in APPS} | {"tests", "tools"}
    found: dict[str, list[str]] = {}
    for module in sorted(modules):
        if module in sys.stdlib_module_names or module in first_party or module == app.package:
            continue
        names = mapping.get(module) or ([module] if normalise(module) in lock else [])
        if not names:
            # A settings string that is not an importable package (a URL scheme, a label).
            continue
        for name in names:
            found.setdefault(normalise(name), []).append(module)
    return found


def closure(direct: Iterable[str], lock: dict[str, set[str]]) -> set[str]:
    """The direct distributions plus everything they require, transitively."""
    seen: set[str] = set()
    queue = list(direct)
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        queue.extend(lock.get(name, ()))
    return seen


def dependency_table(root: Path = REPO_ROOT, lock_path: Path = LOCK_PATH) -> Table:
    """Direct (imported) and total (with transitive requirements) third-party distributions."""
    lock = parse_lock(lock_path.read_text(encoding="utf-8"))
    header = ["Third-party dependencies", *(app.title for app in APPS)]
    direct_row, total_row, names_row, extra_row = (
        ["Direct (imported)"],
        ["Total (with transitive)"],
        ["Direct: which"],
        ["Transitive only: which"],
    )
    for app in APPS:
        direct = distributions_of(imported_top_modules(app, root), app, lock)
        total = closure(direct, lock)
        direct_row.append(str(len(direct)))
        total_row.append(str(len(total)))
        names_row.append(", ".join(sorted(direct)))
        extra_row.append(", ".join(sorted(total - set(direct))) or "none")
    notes = [
        "Direct: distributions whose modules the app's code imports (tests excluded), or names in"
        " its settings lists (INSTALLED_APPS, MIDDLEWARE). Database drivers and servers picked by"
        " URL or command line (psycopg, asyncpg, aiosqlite, gunicorn, uvicorn) count only where"
        " imported. Total: those plus their requirements, walked through requirements.lock.",
    ]
    return Table(
        "Third-party dependencies", header, [direct_row, total_row, names_row, extra_row], notes
    )


# --- contract results -------------------------------------------------------------------------


def _counts(value: Any) -> dict[str, int] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return {"passed": value}
    if isinstance(value, dict):
        return {
            k: int(v) for k, v in value.items() if isinstance(v, int) and not isinstance(v, bool)
        }
    return None


def contract_table(results_path: Path = CONTRACT_RESULTS) -> Table:
    """Contract tests passed per app, from the lead's results file; "not run" without one.

    Accepted shape: `{"flask": {"passed": 150, "failed": 0, ...}, ...}` (an app may also map to a
    bare number of passed tests, and the per-app object may sit under a "results" key)."""
    header = ["Contract suite", *(app.title for app in APPS)]
    data: dict[str, Any] = {}
    note = f"From {results_path.name}, written by the test run."
    if results_path.is_file():
        try:
            loaded = json.loads(results_path.read_text(encoding="utf-8"))
            data = loaded.get("results", loaded) if isinstance(loaded, dict) else {}
        except (OSError, json.JSONDecodeError) as error:
            note = f"{results_path.name} could not be read ({error})."
    else:
        note = f"No {results_path.name} yet: run the contract suite to fill this row."
    passed_row, other_row = ["Passed"], ["Failed / errors / skipped"]
    for app in APPS:
        counts = _counts(data.get(app.key))
        if counts is None or "passed" not in counts:
            passed_row.append("not run")
            other_row.append("not run")
            continue
        total = sum(counts.get(k, 0) for k in ("passed", "failed", "error", "errors", "skipped"))
        passed_row.append(f"{counts['passed']} of {total}" if total else str(counts["passed"]))
        other_row.append(" / ".join(str(counts.get(k, 0)) for k in ("failed", "error", "skipped")))
    return Table("Contract tests", header, [passed_row, other_row], [note])


def all_tables(
    concerns: list[Concern], root: Path = REPO_ROOT, results: Path | None = None
) -> list[Table]:
    return [
        loc_table(concerns, root),
        files_table(root),
        dependency_table(root),
        contract_table(
            results if results is not None else root / "build" / "contract-results.json"
        ),
    ]


def markdown(tables: list[Table]) -> str:
    body = "\n".join(table.markdown() for table in tables)
    return "## Conduit three ways: generated comparison tables\n\n" + body
