"""Compare the three apps side by side: `make compare` (a site) or `make compare OP=<id>`.

    python -m tools.compare --op CreateArticle   the operation's route, handler, shapes and
                                                 service in Flask, Django and FastAPI
    python -m tools.compare                      the static site under build/compare/
    python -m tools.compare --markdown           the generated tables as markdown

Everything comes from the running apps' route tables and the spec (see tools/apps.py), so the
output follows the apps as they change. The site is rendered from tools/templates/: plain HTML
and one stylesheet, no JavaScript, nothing from the network, so it opens from the file system.
Its decision page (tools/decision.py) links copies of the files it cites, under source/.
"""

import argparse
import difflib
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatter import Formatter
from pygments.formatters import HtmlFormatter, NullFormatter, Terminal256Formatter
from pygments.lexers import PythonLexer

from tools.apps import APPS, REPO_ROOT, Code, Found, Operation, locate, spec_operations
from tools.decision import SOURCE, all_uses, api_counts, evidence_files, href
from tools.decision import sections as decision_sections
from tools.faithful import all_differences, by_kind, faithful_table
from tools.features import features_table
from tools.parity import FILE_PAIRS, parity
from tools.tables import BUILD, RESULTS, all_tables, markdown

TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDTH = 100
Section = tuple[str, str, list[Code], list[Code]]
PROGRESS = partial(print, flush=True)  # `make compare` shows its steps as they happen


def sections(found: Found) -> list[Section]:
    """What the terminal and the site show of one app, in order: title, a note, the code, and
    further code (what the shapes build on, what the service calls in turn)."""
    handler, spec = found.handler, f"{found.operation.method} {found.operation.path}"
    verdict = "matches the spec" if found.route_matches else f"spec: {spec}"
    served = f"{handler.method} {handler.path} ({verdict})" if handler else "not served"
    shapes = found.app.shape_kind + ("" if found.shapes else ": none used")
    return [
        ("Route declaration", served, found.route, []),
        ("Handler", handler.name if handler else "none", found.code, []),
        ("Input and output shapes", shapes, found.shapes, found.related_shapes),
        ("Service", "" if found.services else "none called", found.services, found.service_calls),
    ]


def highlighted(code: Code, formatter: Formatter[str]) -> list[tuple[int, str]]:
    """The code's lines, highlighted, each with its line number in the file."""
    text = highlight("\n".join(code.lines), PythonLexer(stripnl=False), formatter)
    return list(zip(range(code.start, code.end + 1), text.split("\n"), strict=False))


def print_operation(operation: Operation, out: TextIO, colour: bool) -> None:
    """The spec's header for the operation, then its code in Flask, Django and FastAPI; colours
    only on a terminal, so redirected output and tests see the plain source lines."""

    def bold(text: str) -> str:
        return f"\033[1m{text}\033[0m" if colour else text

    formatter = Terminal256Formatter() if colour else NullFormatter()
    header = f"{operation.operation_id}  {operation.method} {operation.path}"
    lines = [f"{bold(header)}  [{operation.tag}]", operation.summary]
    paragraphs = operation.description.split("\n\n")
    lines += [textwrap.fill(" ".join(p.split()), WIDTH) for p in paragraphs if p.strip()]
    for app in APPS:
        found = locate(app, operation)
        lines += ["", bold(f"== {app.title} ".ljust(WIDTH, "="))]
        lines += [f"  ! {problem}" for problem in found.problems]
        for title, note, codes, more in sections(found) if found.handler else []:
            lines.append(f"{bold(title)}  {note}".rstrip())
            for code in codes:
                lines.append("  " + "  ".join(filter(None, (code.label, code.location))))
                width = len(str(code.end))
                lines += [
                    f"    {n:>{width}} | {t}".rstrip() for n, t in highlighted(code, formatter)
                ]
            lines += [f"    {code.label}  {code.location}" for code in more]
    out.write("\n".join(lines) + "\n")


def find_operation(wanted: str, operations: list[Operation], stderr: TextIO) -> Operation | None:
    """The operation named `wanted`, case-insensitively; else the valid ids on stderr."""
    ids = {op.operation_id.lower(): op for op in operations}
    if wanted.lower() in ids:
        return ids[wanted.lower()]
    stderr.write(f"unknown operationId {wanted!r}.\n")
    if close := difflib.get_close_matches(wanted, [op.operation_id for op in operations], 3, 0.5):
        stderr.write(f"Did you mean: {', '.join(close)}?\n")
    stderr.write("Valid operationIds, by spec tag:\n")
    for tag, in_tag in by_tag(operations).items():
        stderr.write(f"  {tag}: {', '.join(op.operation_id for op in in_tag)}\n")
    return None


def by_tag(operations: list[Operation]) -> dict[str, list[Operation]]:
    """Operations grouped by their first tag, in the order the spec first uses each tag."""
    groups: dict[str, list[Operation]] = {}
    for operation in operations:
        groups.setdefault(operation.tag, []).append(operation)
    return groups


def inline(text: str) -> Markup:
    """Escaped text with `code` and **bold**: enough for spec descriptions and table cells."""
    html = re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text)))
    return Markup(re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", html))


def build_site(
    out: Path, build: Path = RESULTS, progress: Callable[[str], None] = PROGRESS
) -> None:
    """Write the site into `out`: every page, its stylesheet, and the tables as tables.md."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    html = HtmlFormatter(nowrap=True)
    env.filters.update(inline=inline, highlight=lambda code: highlighted(code, html))

    def write(name: str, template: str, **context: Any) -> None:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        # Links are relative to the page (`root`), so that the site opens from file://.
        context.update(page=name, root="../" * name.count("/"), apps=APPS, nav=nav)
        (out / name).write_text(env.get_template(template).render(context), encoding="utf-8")

    operations = spec_operations()
    progress(f"compare: reading the route tables of {', '.join(a.title for a in APPS)}")
    found = {op.operation_id: [locate(app, op) for app in APPS] for op in operations}
    tables = all_tables(build=build)
    progress("compare: comparing each app's generated OpenAPI document with the spec")
    differences = all_differences()
    grouped = {key: by_kind(listed) for key, listed in differences.items()}
    # The navigation. Each page is rendered from the template of its name, with its context.
    pages: dict[str, tuple[str, dict[str, Any]]] = {
        "index.html": ("Operations", {"by_tag": by_tag(operations), "found": found}),
        "tables.html": ("Tables", {"tables": tables}),
        "parity.html": ("Parity", {"pairs": [parity(name) for name in FILE_PAIRS]}),
        "faithful.html": (
            "Docs vs spec",
            {"table": faithful_table(differences), "found": differences, "grouped": grouped},
        ),
        "features.html": ("Feature costs", {"tables": [features_table()]}),
    }
    names = {
        key: sorted(set().union(*api_counts(uses).values())) for key, uses in all_uses().items()
    }
    decided = decision_sections()
    decision = {
        "sections": decided,
        "href": partial(href, where="site"),
        "names": names,
    }
    pages = {
        "index.html": pages.pop("index.html"),
        "decision.html": ("Decision", decision),
        **pages,
    }
    nav = [(name, title) for name, (title, _) in pages.items()]
    for name, (title, context) in pages.items():
        write(name, name, title=title, **context)
    for path in evidence_files(decided):  # what the decision page links, as it is now
        (out / SOURCE / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / path, out / SOURCE / path)
    neighbours = zip([None, *operations[:-1]], operations, [*operations[1:], None], strict=True)
    for previous, operation, following in neighbours:
        in_apps = found[operation.operation_id]
        rows = list(zip(*map(sections, in_apps), strict=True))  # a row: one section in each app
        write(f"op/{operation.operation_id}.html", "operation.html", title=operation.operation_id,
              operation=operation, found=in_apps, rows=rows, previous=previous,
              following=following)  # fmt: skip
    progress(f"compare: {len(operations)} operation pages -> {out / 'op'}/")
    # types-Pygments leaves get_style_defs unannotated.
    write("style.css", "style.css", pygments=html.get_style_defs(".code"))  # type: ignore[no-untyped-call]
    (out / "tables.md").write_text(markdown(tables), encoding="utf-8")
    progress(f"compare: index, tables and stylesheet -> {out / 'index.html'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.compare", description=__doc__)
    parser.add_argument("--op", metavar="OPERATION_ID", help="print one operation in the terminal")
    parser.add_argument("--markdown", action="store_true", help="print the generated tables")
    parser.add_argument("--out", type=Path, default=BUILD / "compare", help="where the site goes")
    parser.add_argument("--build", type=Path, default=RESULTS, help="the latest runs' results")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown(all_tables(build=args.build)))
    elif args.op is None:
        build_site(args.out, args.build)
    elif operation := find_operation(args.op, spec_operations(), sys.stderr):
        print_operation(
            operation, sys.stdout, sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        )
    else:
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `| head` closed the pipe: Python's signal docs' recipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
