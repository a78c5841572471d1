"""Generated tables: code lines per concern, files, third-party dependencies, test results.

Every number comes from the repository as it is. The concerns, and the files each one counts,
are the rows of the README's concern index ("Where things live"), the one list of them;
dependencies come from the apps' imports and requirements.lock; results from the latest runs
(results/*.json).
A number that is not available says so instead of guessing.
"""

import ast
import importlib.metadata
import io
import json
import re
import sys
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tools.apps import APPS, REPO_ROOT, App

BUILD = REPO_ROOT / "build"
# The latest runs' files, copied from build/ by `make report` and committed, so that a clean
# clone renders the same README and site (tools/report.py: snapshot).
RESULTS = REPO_ROOT / "results"
LINK = re.compile(r"\[([^\]]*)\]\(([^)#\s]+)[^)]*\)")
CODE_NAME = re.compile(r"`([A-Za-z_]\w*)`")
NOT_CODE = {"tests", "migrations"}  # folders left out of the line counts
NOT_CODE_TOKENS = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                   tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}  # fmt: skip
# A dotted path in a settings list (INSTALLED_APPS, MIDDLEWARE): Django imports these by name.
DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
Lines = set[tuple[str, int]]


@dataclass
class Table:
    """A titled table, written as markdown (README, tables.md) or HTML (the site)."""

    title: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)

    def markdown(self, heading: str = "###") -> str:
        def row(cells: list[str]) -> str:
            return "|" + "|".join(f" {c} ".replace("|", "\\|") if c else " " for c in cells) + "|"

        lines = [f"{heading} {self.title}", ""] if heading else []
        lines += [row(self.header), "|" + "---|" * len(self.header), *map(row, self.rows)]
        lines += ["", "  \n".join(self.notes)] if self.notes else []
        return "\n".join(lines) + "\n"


def markdown(tables: list[Table]) -> str:
    body = "\n".join(table.markdown() for table in tables)
    return "## Conduit three ways: generated comparison tables\n\n" + body


# --- lines of code per concern ----------------------------------------------------------------


@cache
def code_lines(path: Path) -> frozenset[int]:
    """Line numbers that hold code: not blank, not only a comment, not part of a docstring.

    Tokens decide (a `#` inside a string is no comment, every line of a multi-line expression
    counts); the AST finds docstrings (a module's, class's or function's first string)."""
    source = path.read_text(encoding="utf-8")
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.update(range(value.lineno, (value.end_lineno or 0) + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in NOT_CODE_TOKENS:
            lines.update(range(token.start[0], token.end[0] + 1))
    return frozenset(lines - docstrings)


def concern_index(root: Path = REPO_ROOT) -> list[tuple[str, dict[str, str]]]:
    """The README's concern rows: the concern, and each app's cell as written (by app key)."""
    lines = (root / "README.md").read_text(encoding="utf-8").splitlines()
    tables = [i for i, line in enumerate(lines) if re.match(r"\|\s*Concern\s*\|", line)]
    rows = []
    for line in lines[tables[0] :] if tables else []:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows.append((cells[0], dict(zip((app.key for app in APPS), cells[1:], strict=False))))
    titles = [a.title for a in APPS]
    if not rows or [cell.split()[0] for cell in rows[0][1].values()] != titles:
        raise ValueError(f"README.md has no table with the columns Concern, {', '.join(titles)}")
    return rows[2:]  # below the header and its |---| line


def code_of(paths: Iterable[Path], root: Path = REPO_ROOT) -> Lines:
    """(file, line) for each code line of the Python files among `paths`, tests and migrations
    left out."""
    relative = [(p, p.relative_to(root)) for p in paths if p.suffix == ".py"]
    return {
        (r.as_posix(), n) for p, r in relative if not NOT_CODE & set(r.parts) for n in code_lines(p)
    }


def cell_lines(text: str, root: Path = REPO_ROOT) -> Lines | None:
    """The code lines a cell links to (None when it links nothing). A `name` written outside
    the links of a one-link cell (`DATABASES` in settings.py) narrows it to that statement."""
    targets = [root / target for _, target in LINK.findall(text)]
    files = [p for t in targets for p in (sorted(t.rglob("*")) if t.is_dir() else [t])]
    lines = code_of(files, root)
    names = set(CODE_NAME.findall(LINK.sub("", text)))
    if names and len(files) == 1:
        narrowed = _defining(files[0], names)
        lines = {(path, n) for path, n in lines if n in narrowed} or lines
    return lines if targets else None


def _defining(path: Path, names: set[str]) -> set[int]:
    """Lines of the top-level statements of a file that define one of `names`."""
    found: set[int] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = getattr(node, "targets", [getattr(node, "target", None)])
        defined = {getattr(node, "name", "")} | {t.id for t in targets if isinstance(t, ast.Name)}
        if defined & names:
            start = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
            found.update(range(start, (node.end_lineno or start) + 1))
    return found


def app_files(app: App, root: Path = REPO_ROOT) -> list[Path]:
    """Every file of the app's folder, caches excluded."""
    return sorted(
        p for p in (root / app.package).rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )


def loc_table(root: Path = REPO_ROOT) -> Table:
    """Code lines per concern and app. A file the index lists under several concerns counts in
    each of those rows (marked †, the files named below the table); the total counts every line
    of the app once, files the index does not list included."""
    concerns = [
        (name, {key: (text, cell_lines(text, root)) for key, text in cells.items()})
        for name, cells in concern_index(root)
    ]
    concerns = [(n, c) for n, c in concerns if any(lines for _, lines in c.values())]
    rows = [[name] for name, _ in concerns]
    other, total, shared_notes = (
        ["Other code (not in the index)"],
        ["**Total** (each line once)"],
        [],
    )
    for app in APPS:
        rows_of_file: dict[str, list[str]] = {}
        for row, (name, cells) in zip(rows, concerns, strict=True):
            text, lines = cells[app.key]
            others = set().union(*(c[app.key][1] or set() for n, c in concerns if n != name))
            if lines is None:
                row.append("none" if text.lower().startswith("none") else "-")
            else:
                row.append(f"{len(lines)}{' †' if lines & others else ''}")
            for path in sorted({path.removeprefix(app.package + "/") for path, _ in lines or ()}):
                rows_of_file.setdefault(path, []).append(name)
        everything = code_of(app_files(app, root), root)
        rest = everything - set().union(*(c[app.key][1] or set() for _, c in concerns))
        names = ", ".join(sorted({path.removeprefix(app.package + "/") for path, _ in rest}))
        other.append(f"{len(rest)} ({names})" if rest else "0")
        total.append(f"**{len(everything)}**")
        if shared := [f"{p} ({', '.join(n)})" for p, n in rows_of_file.items() if len(n) > 1]:
            shared_notes.append(f"{app.title}: {'; '.join(shared)}")
    notes = [
        "Code lines only: no blank lines, comment-only lines or docstrings; tests and migrations"
        " are left out. Rows and their files come from the README's concern index."
    ]
    notes += [
        "† lines counted in more than one row, because the index lists the file under several"
        " concerns, so a column does not add up to its total. " + ". ".join(shared_notes) + "."
    ] if shared_notes else []  # fmt: skip
    header = ["Concern", *(app.title for app in APPS)]
    return Table("Lines of code per concern", header, [*rows, other, total], notes)


def files_table(root: Path = REPO_ROOT) -> Table:
    """How many files each app has, by kind: code, tests, migrations."""
    rows = [["App code"], ["Unit tests"], ["Migrations"], ["**All files**"]]
    for app in APPS:
        files = [set(p.relative_to(root).parts) for p in app_files(app, root)]
        tests = sum(1 for parts in files if "tests" in parts)
        migrations = sum(1 for parts in files if "migrations" in parts and "tests" not in parts)
        counts = [len(files) - tests - migrations, tests, migrations, f"**{len(files)}**"]
        for row, count in zip(rows, counts, strict=True):
            row.append(str(count))
    header, note = (
        ["Files", *(app.title for app in APPS)],
        "Every file in the app's folder, caches excluded.",
    )
    return Table("Files per app", header, rows, [note])


# --- dependencies -----------------------------------------------------------------------------


def normalise(name: str) -> str:
    """PEP 503 normalised distribution name, as requirements.lock spells it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(text: str) -> dict[str, set[str]]:
    """Distribution -> the distributions it requires, from uv's `# via` comments (which list,
    for each pinned package, who asked for it: the reverse edges of the dependency graph)."""
    requires: dict[str, set[str]] = {}
    current, in_via = "", False
    for line in text.splitlines():
        if package := re.match(r"^([A-Za-z0-9][\w.\-]*)(\[[^\]]*\])?==", line):
            current, in_via = normalise(package.group(1)), False
            requires.setdefault(current, set())
        elif comment := re.match(r"^\s+#\s*(via\b)?\s*(.*)$", line):
            in_via = in_via or bool(comment.group(1))
            parent = comment.group(2).strip()
            # Not the project itself (`conduit-three-ways (pyproject.toml)`) nor `-r` files.
            if current and in_via and parent and "(" not in parent and not parent.startswith("-r"):
                requires.setdefault(normalise(parent.split("[")[0]), set()).add(current)
    return requires


def imported_modules(app: App, root: Path = REPO_ROOT) -> set[str]:
    """Top-level modules the app's code imports (tests excluded, migrations included), plus the
    dotted paths in upper-case settings lists, which Django imports by name."""
    found: set[str] = set()
    for path in app_files(app, root):
        if path.suffix != ".py" or "tests" in path.relative_to(root).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
        for node in tree.body:
            if isinstance(node, ast.Assign) and all(
                isinstance(t, ast.Name) and t.id.isupper() for t in node.targets
            ):
                strings = [i.value for i in ast.walk(node.value) if isinstance(i, ast.Constant)]
                found.update(
                    s.split(".")[0] for s in strings if isinstance(s, str) and DOTTED.match(s)
                )
    return found


def dependency_table(root: Path = REPO_ROOT, lock_path: Path | None = None) -> Table:
    """Direct (imported) and total (with transitive requirements) third-party distributions."""
    lock = parse_lock((lock_path or root / "requirements.lock").read_text(encoding="utf-8"))
    distributions = importlib.metadata.packages_distributions()
    first_party = {app.package for app in APPS} | {"tests", "tools"}
    rows: list[list[str]] = [["Direct (imported)"], ["Total (with transitive)"],
                             ["Direct: which"], ["Transitive only: which"]]  # fmt: skip
    for app in APPS:
        direct = {
            normalise(name)
            for module in imported_modules(app, root) - first_party - sys.stdlib_module_names
            # A settings string that is no importable package (a URL scheme, a label) is skipped.
            for name in distributions.get(module) or ([module] if normalise(module) in lock else [])
        }
        total, queue = set(), list(direct)
        while queue:
            if (name := queue.pop()) not in total:
                total.add(name)
                queue.extend(lock.get(name, ()))
        cells = [len(direct), len(total), *(", ".join(sorted(n)) for n in (direct, total - direct))]
        for row, cell in zip(rows, cells, strict=True):
            row.append(str(cell) or "none")
    notes = [
        "Direct: distributions whose modules the app's code imports (tests excluded), or names in"
        " its settings lists (INSTALLED_APPS, MIDDLEWARE). Database drivers and servers picked by"
        " URL or command line (psycopg, asyncpg, aiosqlite, gunicorn, uvicorn) count only where"
        " imported. Total: those plus their requirements, walked through requirements.lock.",
    ]
    header = ["Third-party dependencies", *(app.title for app in APPS)]
    return Table("Third-party dependencies", header, rows, notes)


# --- test results -----------------------------------------------------------------------------


def results_table(build: Path = RESULTS) -> Table:
    """The latest full runs, as `make test`, `make test-postgres` and `make test-official` saved
    them (copied into results/ by `make report`); "not run" for a run that left no file."""

    def contract(counts: dict[str, int]) -> str:
        total = sum(counts.get(k, 0) for k in ("passed", "failed", "error", "skipped"))
        return f"{counts.get('passed', 0)} / {total} passed"

    def official(runs: list[dict[str, int]]) -> str:
        return ", ".join(f"{run['passed']} / {run['passed'] + run['failed']}" for run in runs)

    runs: list[tuple[str, str, Callable[[Any], str]]] = [
        ("Contract suite, SQLite (`make test`)", "contract-results.json", contract),
        ("Contract suite, PostgreSQL (`make test-postgres`)", "contract-results-postgres.json",
         contract),
        ("Upstream RealWorld suite, two runs on one database (`make test-official`)",
         "official.json", official),
    ]  # fmt: skip
    rows, notes = [], []
    for label, name, cell in runs:
        path = build / name
        results = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        rows.append(
            [label, *(cell(results[a.key]) if results.get(a.key) else "not run" for a in APPS)]
        )
        if name == "contract-results.json" and (shared := results.get("shared")):
            notes.append(f"Plus {shared['passed']} app-independent tests (spec, repository, compare"
                         " tool, equivalence of the three apps) in the SQLite run.")  # fmt: skip
    return Table("Test results", ["", *(app.title for app in APPS)], rows, notes)


def all_tables(root: Path = REPO_ROOT, build: Path = RESULTS) -> list[Table]:
    return [results_table(build), loc_table(root), files_table(root), dependency_table(root)]
