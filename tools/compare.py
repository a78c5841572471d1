"""Compare the three apps side by side: `make compare` (a site) or `make compare OP=<id>`.

    python -m tools.compare --op CreateArticle   the operation's route, handler, shapes and
                                                 service in Flask, Django and FastAPI
    python -m tools.compare                      the static site under build/compare/
    python -m tools.compare --markdown           the generated tables as markdown

Everything is found from the code (the `# operationId:` markers and `ast`), never from a list
kept by hand, so the output follows the apps as they change. See tools/codeindex.py.
"""

import argparse
import difflib
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from pygments import highlight
from pygments.formatters import Terminal256Formatter
from pygments.lexers import PythonLexer

from tools.codeindex import (
    APPS,
    REPO_ROOT,
    CodeIndex,
    Definition,
    Located,
    Snippet,
    SpecOperation,
    normalise_path,
    spec_operations,
    spec_tags,
)
from tools.concerns import load_concerns
from tools.site import build_site
from tools.tables import all_tables, markdown

DEFAULT_OUT = REPO_ROOT / "build" / "compare"
RULE_WIDTH = 100


class Printer:
    """Writes the terminal report; colours only when writing to a terminal (and NO_COLOR is
    unset), so redirected output and tests see the plain source lines."""

    def __init__(self, stream: TextIO, colour: bool) -> None:
        self.stream = stream
        self.colour = colour

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")

    def bold(self, text: str) -> str:
        return f"\033[1m{text}\033[0m" if self.colour else text

    def dim(self, text: str) -> str:
        return f"\033[2m{text}\033[0m" if self.colour else text

    def code(self, snippet: Snippet, indent: str = "    ") -> None:
        """The snippet's lines, each prefixed with its line number in the file."""
        lines = list(snippet.lines)
        if self.colour and snippet.path.endswith(".py"):
            formatter = Terminal256Formatter(style="default")
            lines = highlight(snippet.text, PythonLexer(), formatter).rstrip("\n").split("\n")
        width = len(str(snippet.end))
        for number, text in enumerate(lines, start=snippet.start):
            self.line(f"{indent}{number:>{width}} | {text}".rstrip())


def _definition(out: Printer, definition: Definition, extra: str = "") -> None:
    where = out.dim(definition.snippet.location)
    out.line(f"  {out.bold(definition.name)}{extra}  {where}")
    out.code(definition.snippet)


def _listing(out: Printer, title: str, definitions: list[Definition], full: bool) -> None:
    """Further definitions (what the shapes build on, what the service calls): their source
    with --full, otherwise one line each so the report stays readable."""
    if not definitions:
        return
    out.line(f"  {title}:")
    for definition in definitions:
        out.line(
            f"    {definition.name} ({definition.role})  {out.dim(definition.snippet.location)}"
        )
        if full:
            out.code(definition.snippet, indent="      ")


def print_located(out: Printer, operation: SpecOperation, located: Located, full: bool) -> None:
    app = located.app
    out.line(out.bold(f"== {app.title} " + "=" * (RULE_WIDTH - len(app.title) - 4)))
    for problem in located.problems:
        out.line(f"  ! {problem}")
    if located.handler is None:
        out.line()
        return
    route = located.route
    if route is not None:
        declared = f"{route.method or '?'} {route.path or '?'}"
        matches = (
            route.method == operation.method
            and route.path is not None
            and normalise_path(route.path) == normalise_path(operation.full_path)
        )
        verdict = (
            "matches the spec" if matches else f"spec: {operation.method} {operation.full_path}"
        )
        out.line(f"{out.bold('route')}    {declared}  ({verdict})")
        for snippet in route.snippets:
            out.line(f"  {out.dim(snippet.location)}  ({snippet.label})")
            out.code(snippet)
    out.line(f"{out.bold('handler')}  {located.handler.name}")
    for snippet in located.handler_context:
        out.line(f"  {out.dim(snippet.location)}  (view class)")
        out.code(snippet)
    out.line(f"  {out.dim(located.handler.snippet.location)}")
    out.code(located.handler.snippet)
    for helper in located.helpers:
        _definition(out, helper, " (helper)")
    kind = app.shape_kind + "s"
    if located.shapes:
        out.line(f"{out.bold('shapes')}   {kind}")
        for shape in located.shapes:
            _definition(out, shape, f" ({shape.role})")
        _listing(out, "they build on", located.related_shapes, full)
    else:
        out.line(f"{out.bold('shapes')}   none ({kind})")
    if located.services:
        out.line(out.bold("service"))
        for service in located.services:
            role = "" if service.role == "service" else f" ({service.role})"
            _definition(out, service, role)
        _listing(out, "which calls", located.service_calls, full)
    else:
        out.line(f"{out.bold('service')}  none called")
    out.line()


def print_operation(
    operation: SpecOperation, index: CodeIndex, out: Printer, full: bool = False
) -> None:
    """The report for one operation: spec header, then Flask, Django, FastAPI."""
    out.line(
        out.bold(f"{operation.operation_id}  {operation.method} {operation.full_path}")
        + f"  [{operation.tag}]"
    )
    out.line(operation.summary)
    for paragraph in operation.description.split("\n\n"):
        if paragraph.strip():
            out.line(textwrap.fill(" ".join(paragraph.split()), RULE_WIDTH))
    out.line()
    for app in APPS:
        print_located(out, operation, index.locate(app, operation.operation_id), full)


def resolve_operation(wanted: str, operations: list[SpecOperation]) -> SpecOperation | None:
    """The operation named `wanted` (case-insensitively, `createarticle` is fine)."""
    by_id = {op.operation_id: op for op in operations}
    if wanted in by_id:
        return by_id[wanted]
    folded = [op for op in operations if op.operation_id.lower() == wanted.lower()]
    return folded[0] if len(folded) == 1 else None


def unknown_operation(wanted: str, operations: list[SpecOperation], stream: TextIO) -> None:
    ids = [op.operation_id for op in operations]
    stream.write(f"unknown operationId {wanted!r}.\n")
    close = difflib.get_close_matches(wanted, ids, n=3, cutoff=0.5)
    if close:
        stream.write(f"Did you mean: {', '.join(close)}?\n")
    stream.write("Valid operationIds, by spec tag:\n")
    tags = spec_tags()
    for tag in tags + sorted({op.tag for op in operations} - set(tags)):
        in_tag = [op.operation_id for op in operations if op.tag == tag]
        if in_tag:
            stream.write(f"  {tag}: {', '.join(in_tag)}\n")


def main(
    argv: list[str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    progress: Callable[[str], None] | None = None,
) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog="python -m tools.compare",
        description="Flask, Django and FastAPI side by side, found from the code.",
    )
    parser.add_argument("--op", metavar="OPERATION_ID", help="print one operation in the terminal")
    parser.add_argument(
        "--full", action="store_true", help="with --op: also print the source of related code"
    )
    parser.add_argument("--markdown", action="store_true", help="print the generated tables")
    parser.add_argument("--list", action="store_true", help="list the spec's operationIds")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the site goes")
    parser.add_argument(
        "--results",
        type=Path,
        default=REPO_ROOT / "build" / "contract-results.json",
        help="the contract suite's results file, if any",
    )
    args = parser.parse_args(argv)
    operations = spec_operations()

    if args.list:
        for operation in operations:
            stdout.write(f"{operation.operation_id}\n")
        return 0
    if args.op is not None:
        chosen = resolve_operation(args.op, operations)
        if chosen is None:
            unknown_operation(args.op, operations, stderr)
            return 2
        colour = stdout.isatty() and not os.environ.get("NO_COLOR")
        print_operation(chosen, CodeIndex(), Printer(stdout, colour), full=args.full)
        return 0
    if args.markdown:
        stdout.write(markdown(all_tables(load_concerns(), REPO_ROOT, args.results)))
        return 0

    def say(message: str) -> None:
        stdout.write(message + "\n")
        stdout.flush()

    build_site(args.out, results=args.results, progress=progress or say)
    return 0


def cli() -> int:
    """`main()` for the command line, where `| head` closing the pipe early is not an error."""
    try:
        return main()
    except BrokenPipeError:
        # The recipe from Python's signal docs: point stdout at devnull so the interpreter's
        # final flush does not fail a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(cli())
