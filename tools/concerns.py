"""The README's concern index ("Where things live"), parsed so that it stays the single source.

The comparison site and the line-count table take each concern's files from the README table
rather than from a copy here, so moving a file means editing one table, which a repository test
already checks for dead links.
"""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from tools.codeindex import APPS, REPO_ROOT

LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
CODE_NAME = re.compile(r"`([A-Za-z_]\w*)`")
# Parts of a path that hold no run-time code: such targets are left out of the line counts.
NOT_CODE_PARTS = {"tests", "migrations"}


@dataclass(frozen=True)
class Span:
    """A whole file (start/end None) or the lines of the top-level statements a cell names."""

    path: str
    start: int | None = None
    end: int | None = None
    names: tuple[str, ...] = ()


@dataclass
class ConcernCell:
    """One app's cell: its text as written, and the files (or parts of files) it points at."""

    text: str
    targets: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def is_code(self) -> bool:
        """False for test and migration folders, which the line counts leave out."""
        return bool(self.targets) and not all(
            NOT_CODE_PARTS & set(Path(t).parts) for t in self.targets
        )


@dataclass
class Concern:
    name: str
    slug: str
    cells: dict[str, ConcernCell]

    @property
    def is_code(self) -> bool:
        return any(cell.is_code for cell in self.cells.values())


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "concern"


def _split_row(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def find_table(markdown: str) -> tuple[list[str], list[list[str]]]:
    """The first markdown table whose header starts with "Concern": header and body rows."""
    lines = markdown.splitlines()
    for number, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            continue
        header = _split_row(line)
        if not header or header[0].lower() != "concern":
            continue
        rows = []
        for body in lines[number + 2 :]:
            if not body.lstrip().startswith("|"):
                break
            rows.append(_split_row(body))
        return header, rows
    raise ValueError("README.md has no table whose first column is 'Concern'")


def _files_under(root: Path, target: str) -> list[str]:
    path = root / target
    if path.is_file():
        return [target.rstrip("/")]
    return sorted(
        p.relative_to(root).as_posix()
        for p in path.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def _named_spans(root: Path, relative: str, names: list[str]) -> list[Span]:
    """Spans for the top-level statements of a Python file that define `names`."""
    if not relative.endswith(".py") or not names:
        return []
    try:
        tree = ast.parse((root / relative).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return []
    spans = []
    for node in tree.body:
        defined: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined = [node.name]
        elif isinstance(node, ast.Assign):
            defined = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined = [node.target.id]
        hits = tuple(n for n in defined if n in names)
        if hits:
            start = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
            spans.append(Span(relative, start, node.end_lineno or node.lineno, hits))
    return spans


def parse_cell(text: str, root: Path) -> ConcernCell:
    """Links become targets; a backticked name outside the links (`DATABASES` in settings.py)
    narrows the cell to that statement of the linked file."""
    cell = ConcernCell(text)
    for _label, target in LINK.findall(text):
        target = target.split("#")[0]
        if (root / target).exists():
            cell.targets.append(target.rstrip("/"))
        else:
            cell.missing.append(target)
    outside_links = LINK.sub("", text)
    names = CODE_NAME.findall(outside_links)
    for target in cell.targets:
        for relative in _files_under(root, target):
            narrowed = _named_spans(root, relative, names) if len(cell.targets) == 1 else []
            cell.spans.extend(narrowed or [Span(relative)])
    return cell


def load_concerns(root: Path = REPO_ROOT) -> list[Concern]:
    """The README's concern rows, with cells keyed by app ("flask", "django", "fastapi")."""
    header, rows = find_table((root / "README.md").read_text(encoding="utf-8"))
    columns: dict[str, int] = {}
    for app in APPS:
        for index, title in enumerate(header):
            if title.lower().startswith(app.title.lower()):
                columns[app.key] = index
                break
        else:
            raise ValueError(f"the README concern table has no {app.title} column")
    concerns = []
    used: set[str] = set()
    for row in rows:
        name = row[0]
        slug = slugify(name)
        while slug in used:
            slug += "-2"
        used.add(slug)
        cells = {
            key: parse_cell(row[index] if index < len(row) else "", root)
            for key, index in columns.items()
        }
        concerns.append(Concern(name, slug, cells))
    return concerns


def plain_text(cell_text: str) -> str:
    """A cell's text without markdown link syntax or backticks, for terminals and titles."""
    return LINK.sub(lambda m: m.group(1), cell_text).replace("`", "")
