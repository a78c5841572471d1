"""How alike the Flask and FastAPI twins are: the share of identical code lines per file pair.

Both apps use SQLAlchemy 2, so `flask_app/services.py` and `fastapi_app/services.py` (and the
two `models.py`) should differ only where the frameworks differ. This module measures that.

What is compared. Each file is reduced to its code lines: blank lines, comments and docstrings
are dropped. Then only the plumbing that sync Flask-SQLAlchemy and async SQLAlchemy force on
the same code is normalised away, and nothing else:
- the `async` and `await` keywords;
- the session argument of the async code (`session: AsyncSession` parameters, `session=session`
  keywords, a leading positional `session`, the `AsyncSession` import) and the spelling of the
  session itself (`db.session` in Flask, `session` in FastAPI);
- the declarative base (`db.Model` / `db.metadata` in Flask, `Base` / `Base.metadata`);
- each package's own name (`flask_app.` and `fastapi_app.` in imports become `app.`).
Indentation, line breaks, names, literals and every other token are compared as written.

What "identical" means. The two lists of normalised lines are aligned by
`difflib.SequenceMatcher` (no junk heuristics); `identical` is the number of lines in its
matching blocks, the same lines in the same order in both files. The figure printed is
`ratio = 2 * identical / (flask_lines + fastapi_lines)`: 100% when the files are the same,
0% when no line matches. `python -m tools.parity` prints it for each pair in FILE_PAIRS.
"""

import ast
import difflib
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FLASK_DIR = REPO_ROOT / "flask_app"
FASTAPI_DIR = REPO_ROOT / "fastapi_app"

FILE_PAIRS: tuple[str, ...] = ("services.py", "models.py")

# Ordered (pattern, replacement) rewrites applied to each code line; see the module docstring.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\basync (def|with|for)\b", r"\1"),
        (r"\bawait ", ""),
        # The session parameter, with the comma that joins it to its neighbours.
        (r"\((\*, )?session: AsyncSession\)", "()"),
        (r"\bsession: AsyncSession(, |,$)", ""),
        (r", session: AsyncSession(?=\))", ""),
        # The session passed on: as a keyword, or as a helper's first positional argument.
        (r"\bsession=session(, |,$)", ""),
        (r", session=session(?=\))", ""),
        (r"\(session\)", "()"),
        (r"\(session, ", "("),
        (r"^(\s*)session,( |$)", r"\1"),
        # One spelling for the session, the declarative base and the package.
        (r"\bdb\.session\b", "session"),
        (r"\bdb\.Model\b", "Base"),
        (r"\bdb\.metadata\b", "Base.metadata"),
        (r"\b(flask_app|fastapi_app)\.", "app."),
        # The AsyncSession import itself.
        (r"^from sqlalchemy\.ext\.asyncio import AsyncSession$", ""),
        (r"^(\s*)AsyncSession,$", ""),
    )
)


@dataclass(frozen=True)
class Parity:
    """One file pair: line counts after normalisation, the matched lines and their diff."""

    name: str
    flask_lines: int
    fastapi_lines: int
    identical: int
    ratio: float
    diff: list[str]


def _docstring_lines(tree: ast.Module) -> set[int]:
    """Line numbers (1-based) of the module, class and function docstrings."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = node.body[0] if node.body else None
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def _code_lines(source: str) -> list[str]:
    """The source's lines without comments and docstrings, trailing spaces removed."""
    lines = source.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            row, column = token.start
            lines[row - 1] = lines[row - 1][:column]
    skipped = _docstring_lines(ast.parse(source))
    return [line.rstrip() for number, line in enumerate(lines, 1) if number not in skipped]


def normalise(line: str) -> str:
    """One code line with the framework plumbing (module docstring) rewritten away."""
    for pattern, replacement in _REWRITES:
        line = pattern.sub(replacement, line)
    return line.rstrip()


def normalised_lines(path: Path) -> list[str]:
    """The file's code lines (no blank lines, comments or docstrings), normalised."""
    code = (normalise(line) for line in _code_lines(path.read_text(encoding="utf-8")))
    return [line for line in code if line.strip()]


def parity(name: str) -> Parity:
    """Compare `flask_app/<name>` with `fastapi_app/<name>`."""
    flask = normalised_lines(FLASK_DIR / name)
    fastapi = normalised_lines(FASTAPI_DIR / name)
    matcher = difflib.SequenceMatcher(None, flask, fastapi, autojunk=False)
    identical = sum(block.size for block in matcher.get_matching_blocks())
    total = len(flask) + len(fastapi)
    diff = difflib.unified_diff(
        flask, fastapi, f"flask_app/{name}", f"fastapi_app/{name}", lineterm=""
    )
    return Parity(
        name=name,
        flask_lines=len(flask),
        fastapi_lines=len(fastapi),
        identical=identical,
        ratio=2 * identical / total if total else 1.0,
        diff=list(diff),
    )


def summary(result: Parity) -> str:
    """`services.py: 94.2% identical (371 of 394 lines; Flask 390, FastAPI 398)`."""
    mean = round((result.flask_lines + result.fastapi_lines) / 2)
    return (
        f"{result.name}: {result.ratio:.1%} identical ({result.identical} of {mean} lines; "
        f"Flask {result.flask_lines}, FastAPI {result.fastapi_lines})"
    )


def main() -> int:
    for name in FILE_PAIRS:
        print(summary(parity(name)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
