"""The static comparison site: build/compare/index.html and one page per operation and concern.

Pages are self-contained (Pygments CSS inlined, no JavaScript, no CDN) so they open from the
file system, from a CI artifact or from any static host. Each page puts Flask, Django and
FastAPI in three columns, and every piece of code keeps its real line numbers so a reader can
jump from the page to the file.
"""

import html
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import PythonLexer, TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

from tools.codeindex import (
    APPS,
    REPO_ROOT,
    CodeIndex,
    Definition,
    Located,
    Snippet,
    SpecOperation,
    load_spec,
    normalise_path,
    spec_operations,
    spec_tags,
)
from tools.concerns import Concern, ConcernCell, Span, load_concerns, plain_text
from tools.tables import Table, all_tables, code_lines, markdown

PYGMENTS_STYLE = "default"
SITE_TITLE = "Conduit three ways, side by side"

CSS = """
:root { --flask: #1f6f8b; --django: #0c4b33; --fastapi: #05998b; --muted: #57606a;
  --line: #d0d7de; --soft: #f6f8fa; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas,
  "DejaVu Sans Mono", monospace; }
* { box-sizing: border-box; }
body { margin: 0; color: #1f2328; background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
a { color: #0969da; text-decoration: none; }
a:hover { text-decoration: underline; }
code { font-family: var(--mono); font-size: 0.9em; background: var(--soft); padding: 0 3px;
  border-radius: 3px; }
header.page { padding: 10px 14px 8px; border-bottom: 1px solid var(--line); }
header.page nav { font-size: 13px; color: var(--muted); display: flex; gap: 14px;
  flex-wrap: wrap; }
h1 { font-size: 22px; margin: 6px 0 2px; }
h2 { font-size: 18px; margin: 28px 0 8px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.verb { font: 700 13px var(--mono); padding: 2px 6px; border-radius: 4px; color: #fff;
  background: #6e7781; vertical-align: middle; }
.verb.GET { background: #1a7f37; } .verb.POST { background: #0969da; }
.verb.PUT { background: #9a6700; } .verb.DELETE { background: #cf222e; }
.summary { font-weight: 600; margin: 6px 0 0; }
.description { color: var(--muted); margin: 2px 0 0; max-width: 110ch; }
.tag { font-size: 13px; color: var(--muted); }
main { padding: 0 14px 48px; }
.grid { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); column-gap: 12px; }
.colhead { position: sticky; top: 0; z-index: 2; background: #fff; padding: 10px 2px 6px;
  border-bottom: 3px solid var(--line); font-weight: 700; font-size: 16px; }
.colhead.flask { border-color: var(--flask); color: var(--flask); }
.colhead.django { border-color: var(--django); color: var(--django); }
.colhead.fastapi { border-color: var(--fastapi); color: var(--fastapi); }
.colhead small { font-weight: 400; color: var(--muted); font-size: 12px; margin-left: 6px; }
.rowhead { grid-column: 1 / -1; margin: 20px 0 8px; padding-bottom: 2px; font-size: 12px;
  font-weight: 700; letter-spacing: 0.06em; text-transform: uppercase; color: var(--muted);
  border-bottom: 1px solid var(--line); }
.cell { min-width: 0; }
.snippet { margin: 0 0 10px; border: 1px solid var(--line); border-radius: 6px;
  overflow: hidden; background: #fff; }
.cap { display: flex; justify-content: space-between; gap: 8px; padding: 3px 8px;
  font: 12px/1.6 var(--mono); background: var(--soft); border-bottom: 1px solid var(--line); }
.cap .where { overflow-wrap: anywhere; }
.cap .what { color: var(--muted); white-space: nowrap; }
.hl { margin: 0; background: #fff; }
.hl pre { margin: 0; padding: 5px 8px 5px 0; overflow-x: auto; background: #fff;
  font: 12px/1.45 var(--mono); tab-size: 4; }
.hl span.linenos { display: inline-block; padding: 0 6px 0 4px;
  margin-right: 6px; text-align: right; color: #8c959f; background: var(--soft);
  border-right: 1px solid var(--line); user-select: none; }
.role { font: 600 11px var(--mono); padding: 1px 5px; border-radius: 8px; margin-left: 6px;
  background: #ddf4ff; color: #0550ae; }
.role.output { background: #dafbe1; color: #116329; }
.role.used, .role.helper { background: #eaeef2; color: #424a53; }
.route { font: 13px var(--mono); margin: 0 0 6px; }
.ok { color: #1a7f37; } .bad { color: #cf222e; font-weight: 600; }
.problem { color: #cf222e; font-size: 13px; margin: 4px 0; }
.empty { color: var(--muted); font-style: italic; font-size: 13px; margin: 2px 0 10px; }
details { margin: 4px 0 12px; }
details > summary { cursor: pointer; font-size: 13px; color: var(--muted); margin-bottom: 6px; }
.celltext { font-size: 13px; color: var(--muted); margin: 0 0 8px; }
table.grid-table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 6px 0; }
table.grid-table th, table.grid-table td { border: 1px solid var(--line); padding: 5px 8px;
  text-align: left; vertical-align: top; }
table.grid-table thead th { background: var(--soft); }
table.grid-table tr.group th { background: #fff; font-size: 13px; letter-spacing: 0.05em;
  text-transform: uppercase; color: var(--muted); padding-top: 12px; }
table.grid-table td small { display: block; color: var(--muted); font-family: var(--mono);
  font-size: 11.5px; }
table.numbers { table-layout: fixed; }
table.numbers th:first-child { width: 25%; }
table.numbers td:not(:first-child) { font-variant-numeric: tabular-nums; }
.notes { font-size: 13px; color: var(--muted); max-width: 120ch; }
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def inline_markup(text: str) -> str:
    """Escaped text with `code` and **bold**: enough for spec descriptions and README cells."""
    escaped = esc(text)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", escaped)


def _lexer_for(path: str) -> Lexer:
    lexer: Lexer
    if path.endswith(".py"):
        lexer = PythonLexer()
    else:
        try:
            lexer = get_lexer_for_filename(path)
        except ClassNotFound:
            lexer = TextLexer()
    return lexer


@cache
def _highlighted_file(path: str, source: str) -> tuple[str, ...]:
    """The file's lines as highlighted HTML, one string per line.

    Each file is lexed once, whole (so a snippet that starts inside a long string is still
    coloured right), and snippets are cut from it: the same services appear on many pages."""
    formatter = HtmlFormatter(style=PYGMENTS_STYLE, nowrap=True)
    return tuple(highlight(source, _lexer_for(path), formatter).split("\n"))


def _snippet_html(snippet: Snippet, root: Path) -> str:
    """The snippet's lines, highlighted, each led by its line number in the file."""
    lines: list[str] | None = None
    try:
        source = (root / snippet.path).read_text(encoding="utf-8")
    except OSError:
        source = ""
    if tuple(source.splitlines()[snippet.start - 1 : snippet.end]) == snippet.lines:
        lines = list(_highlighted_file(snippet.path, source)[snippet.start - 1 : snippet.end])
    else:  # the file changed since it was read: highlight the snippet on its own
        formatter = HtmlFormatter(style=PYGMENTS_STYLE, nowrap=True)
        lines = highlight(snippet.text, _lexer_for(snippet.path), formatter).split("\n")
    width = len(str(snippet.end))
    numbered = "".join(
        f'<span class="linenos">{number:>{width}}</span>{line}\n'
        for number, line in zip(range(snippet.start, snippet.end + 1), lines, strict=False)
    )
    return f'<div class="hl"><pre><code>{numbered}</code></pre></div>'


def code_block(snippet: Snippet, what: str = "", root: Path = REPO_ROOT) -> str:
    """One captioned, highlighted block numbered with the file's own line numbers."""
    caption = f'<span class="where">{esc(snippet.location)}</span>'
    if what:
        caption += f'<span class="what">{what}</span>'
    return (
        f'<div class="snippet"><div class="cap">{caption}</div>{_snippet_html(snippet, root)}</div>'
    )


def page(title: str, header: str, body: str, depth: int) -> str:
    """A complete HTML document; `depth` is how many folders below the site root it sits."""
    # Pygments first, so that our CSS (line-number gutter, backgrounds) overrides it.
    css = HtmlFormatter(style=PYGMENTS_STYLE).get_style_defs(".hl") + CSS
    home = "../" * depth + "index.html"
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)} · {esc(SITE_TITLE)}</title>\n"
        f"<style>{css}</style>\n</head>\n<body>\n"
        f'<header class="page"><nav><a href="{home}">{esc(SITE_TITLE)}</a></nav>{header}</header>\n'
        f"<main>{body}</main>\n</body>\n</html>\n"
    )


def column_heads(subtitles: dict[str, str] | None = None) -> str:
    heads = []
    for app in APPS:
        small = f"<small>{esc(subtitles[app.key])}</small>" if subtitles else ""
        heads.append(f'<div class="colhead {app.key}" id="{app.key}">{app.title}{small}</div>')
    return "".join(heads)


# --- operation pages --------------------------------------------------------------------------


def _role_badge(role: str) -> str:
    return "".join(
        f'<span class="role {esc(part.strip())}">{esc(part.strip())}</span>'
        for part in role.split(",")
        if part.strip()
    )


def _definitions(definitions: Iterable[Definition], badge: bool = True) -> str:
    blocks = []
    for definition in definitions:
        what = esc(definition.name) + (_role_badge(definition.role) if badge else "")
        blocks.append(code_block(definition.snippet, what))
    return "".join(blocks)


def _more(definitions: list[Definition], one: str, many: str) -> str:
    if not definitions:
        return ""
    blocks = []
    for definition in definitions:
        what = f"{esc(definition.name)} <em>{esc(definition.role)}</em>"
        blocks.append(code_block(definition.snippet, what))
    count = len(definitions)
    summary = f"{count} {one if count == 1 else many}"
    return f"<details><summary>{summary}</summary>{''.join(blocks)}</details>"


def _route_cell(located: Located, operation: SpecOperation) -> str:
    route = located.route
    if route is None:
        return '<p class="empty">no route found</p>'
    parts = []
    declared = f"{route.method or '?'} {route.path or '?'}"
    matches = (
        route.method == operation.method
        and route.path is not None
        and normalise_path(route.path) == normalise_path(operation.full_path)
    )
    expected = f"{operation.method} {operation.full_path}"
    verdict = (
        '<span class="ok">= spec</span>'
        if matches
        else f'<span class="bad">spec says {esc(expected)}</span>'
    )
    parts.append(f'<p class="route">{esc(declared)} {verdict}</p>')
    labels = {
        "decorators": "route decorators",
        "router": "router object",
        "mount": "mounted on the app",
        "path": "URLconf entry",
        "include": "included by",
    }
    for snippet in route.snippets:
        parts.append(code_block(snippet, esc(labels.get(snippet.label, snippet.label))))
    return "".join(parts)


def _handler_cell(located: Located, _operation: SpecOperation) -> str:
    if located.handler is None:
        return '<p class="empty">no handler</p>'
    blocks = [code_block(s, "view class") for s in located.handler_context]
    blocks.append(code_block(located.handler.snippet, esc(located.handler.name)))
    for helper in located.helpers:
        blocks.append(code_block(helper.snippet, f"{esc(helper.name)}{_role_badge('helper')}"))
    return "".join(blocks)


def _shapes_cell(located: Located, _operation: SpecOperation) -> str:
    if located.handler is None:
        return ""
    if not located.shapes:
        return f'<p class="empty">no {esc(located.app.shape_kind)} used</p>'
    return _definitions(located.shapes) + _more(
        located.related_shapes, "more shape they build on", "more shapes they build on"
    )


def _services_cell(located: Located, _operation: SpecOperation) -> str:
    if located.handler is None:
        return ""
    if not located.services:
        return '<p class="empty">calls no service function</p>'
    blocks = []
    for service in located.services:
        role = "" if service.role == "service" else f" <em>{esc(service.role)}</em>"
        blocks.append(code_block(service.snippet, esc(service.name) + role))
    return "".join(blocks) + _more(
        located.service_calls, "function it calls in turn", "functions it calls in turn"
    )


def operation_page(
    operation: SpecOperation,
    found: dict[str, Located],
    previous: SpecOperation | None,
    following: SpecOperation | None,
) -> str:
    nav = []
    if previous is not None:
        nav.append(f'<a href="{previous.operation_id}.html">← {esc(previous.operation_id)}</a>')
    if following is not None:
        nav.append(f'<a href="{following.operation_id}.html">{esc(following.operation_id)} →</a>')
    description = "".join(
        f'<p class="description">{inline_markup(part)}</p>'
        for part in operation.description.split("\n\n")
        if part.strip()
    )
    header = (
        f"<nav>{' '.join(nav)}</nav>"
        f"<h1>{esc(operation.operation_id)} "
        f'<span class="verb {esc(operation.method)}">{esc(operation.method)}</span> '
        f"<code>{esc(operation.full_path)}</code></h1>"
        f'<div class="tag">tag: {esc(operation.tag)}</div>'
        f'<p class="summary">{inline_markup(operation.summary)}</p>{description}'
    )
    cells: list[str] = []
    problems = "".join(
        '<div class="cell">'
        + "".join(f'<p class="problem">{esc(p)}</p>' for p in found[app.key].problems)
        + "</div>"
        for app in APPS
    )
    if any(found[app.key].problems for app in APPS):
        cells.append(problems)
    rows = (
        ("Route declaration", _route_cell),
        ("Handler", _handler_cell),
        ("Input and output shapes", _shapes_cell),
        ("Service", _services_cell),
    )
    for title, render in rows:
        cells.append(f'<div class="rowhead">{esc(title)}</div>')
        for app in APPS:
            located = found[app.key]
            content = render(located, operation)
            cells.append(f'<div class="cell">{content}</div>')
    subtitles = {app.key: app.shape_kind + "s" for app in APPS}
    body = f'<div class="grid">{column_heads(subtitles)}{"".join(cells)}</div>'
    return page(operation.operation_id, header, body, depth=1)


# --- concern pages ----------------------------------------------------------------------------


def _span_snippet(span: Span, root: Path) -> Snippet:
    lines = (root / span.path).read_text(encoding="utf-8").splitlines()
    start = span.start or 1
    end = span.end or len(lines)
    return Snippet(span.path, start, end, tuple(lines[start - 1 : end]))


def _concern_cell(cell: ConcernCell, root: Path) -> str:
    parts = [f'<p class="celltext">{inline_markup(plain_text(cell.text)) or "none"}</p>']
    parts += [f'<p class="problem">missing: {esc(m)}</p>' for m in cell.missing]
    for span in cell.spans:
        snippet = _span_snippet(span, root)
        if not snippet.lines:
            parts.append(
                f'<div class="snippet"><div class="cap"><span class="where">{esc(span.path)}'
                '</span><span class="what">empty file</span></div></div>'
            )
            continue
        what = ""
        if span.path.endswith(".py"):
            lines = code_lines(root / span.path)
            count = sum(1 for n in lines if snippet.start <= n <= snippet.end)
            what = f"{count} code lines"
        if span.names:
            what = f"{esc(', '.join(span.names))} · {what}"
        parts.append(code_block(snippet, what))
    return "".join(parts)


def concern_page(
    concern: Concern, root: Path, previous: Concern | None, following: Concern | None
) -> str:
    nav = []
    if previous is not None:
        nav.append(f'<a href="{previous.slug}.html">← {esc(previous.name)}</a>')
    if following is not None:
        nav.append(f'<a href="{following.slug}.html">{esc(following.name)} →</a>')
    header = (
        f"<nav>{' '.join(nav)}</nav><h1>{esc(concern.name)}</h1>"
        '<p class="description">Files as listed in the concern index of README.md '
        "(whole files, or the statements a cell names).</p>"
    )
    cells = [
        f'<div class="cell">{_concern_cell(concern.cells[app.key], root)}</div>' for app in APPS
    ]
    body = f'<div class="grid">{column_heads()}{"".join(cells)}</div>'
    return page(concern.name, header, body, depth=1)


# --- index ------------------------------------------------------------------------------------


def table_html(table: Table, anchor: str = "") -> str:
    head = "".join(f"<th>{inline_markup(h)}</th>" for h in table.header)
    rows = "".join(
        "<tr>" + "".join(f"<td>{inline_markup(c)}</td>" for c in row) + "</tr>"
        for row in table.rows
    )
    notes = "".join(f'<p class="notes">{inline_markup(n)}</p>' for n in table.notes)
    id_attr = f' id="{esc(anchor)}"' if anchor else ""
    return (
        f"<h3{id_attr}>{esc(table.title)}</h3>"
        f'<table class="grid-table numbers"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>{notes}"
    )


def index_page(
    operations: list[SpecOperation],
    tags: list[str],
    found: dict[str, dict[str, Located]],
    concerns: list[Concern],
    tables: list[Table],
) -> str:
    header = (
        f"<h1>{esc(SITE_TITLE)}</h1>"
        '<p class="description">Every operation of <code>shared_spec/openapi.yaml</code> and every '
        "concern of the README's index, with the Flask, Django and FastAPI code that implements "
        "it, found from the <code># operationId:</code> markers and the source. "
        '<a href="#operations">Operations</a> · <a href="#concerns">Concerns</a> · '
        '<a href="#tables">Tables</a> (also as <a href="tables.md">tables.md</a>)</p>'
    )
    app_heads = "".join(f"<th>{app.title}</th>" for app in APPS)
    rows = []
    ordered_tags = tags + sorted({op.tag for op in operations} - set(tags))
    for tag in ordered_tags:
        in_tag = [op for op in operations if op.tag == tag]
        if not in_tag:
            continue
        rows.append(f'<tr class="group"><th colspan="{len(APPS) + 1}">{esc(tag)}</th></tr>')
        for operation in in_tag:
            target = f"op/{operation.operation_id}.html"
            cells = [
                f'<td><a href="{target}">{esc(operation.operation_id)}</a>'
                f"<small>{esc(operation.method)} {esc(operation.full_path)}</small>"
                f"<small>{esc(operation.summary)}</small></td>"
            ]
            for app in APPS:
                located = found[operation.operation_id][app.key]
                if located.handler is None:
                    cells.append(f'<td><a href="{target}#{app.key}">not found</a></td>')
                    continue
                snippet = located.handler.snippet
                cells.append(
                    f'<td><a href="{target}#{app.key}">{esc(located.handler.name)}</a>'
                    f"<small>{esc(snippet.path)}:{snippet.start}</small></td>"
                )
            rows.append("<tr>" + "".join(cells) + "</tr>")
    operations_table = (
        f'<h2 id="operations">Operations, by spec tag</h2><table class="grid-table">'
        f"<thead><tr><th>Operation</th>{app_heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    concern_rows = []
    for concern in concerns:
        target = f"concern/{concern.slug}.html"
        cells = [f'<td><a href="{target}">{esc(concern.name)}</a></td>']
        for app in APPS:
            text = inline_markup(plain_text(concern.cells[app.key].text)) or "none"
            cells.append(f'<td><a href="{target}#{app.key}">{text}</a></td>')
        concern_rows.append("<tr>" + "".join(cells) + "</tr>")
    concerns_table = (
        '<h2 id="concerns">Cross-cutting concerns (from the README\'s index)</h2>'
        f'<table class="grid-table"><thead><tr><th>Concern</th>{app_heads}</tr></thead>'
        f"<tbody>{''.join(concern_rows)}</tbody></table>"
    )
    tables_html = '<h2 id="tables">Tables</h2>' + "".join(table_html(t) for t in tables)
    return page("Index", header, operations_table + concerns_table + tables_html, depth=0)


# --- the build --------------------------------------------------------------------------------


def build_site(
    out_dir: Path,
    *,
    index: CodeIndex | None = None,
    root: Path = REPO_ROOT,
    results: Path | None = None,
    progress: Callable[[str], None] = print,
) -> list[Path]:
    """Write the whole site into `out_dir` and return the files written."""
    index = index or CodeIndex(root)
    spec = load_spec(root / "shared_spec" / "openapi.yaml")
    operations = spec_operations(spec)
    tags = spec_tags(spec)
    concerns = load_concerns(root)
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    found = {
        op.operation_id: {app.key: index.locate(app, op.operation_id) for app in APPS}
        for op in operations
    }
    for position, operation in enumerate(operations):
        previous = operations[position - 1] if position > 0 else None
        following = operations[position + 1] if position + 1 < len(operations) else None
        write(
            f"op/{operation.operation_id}.html",
            operation_page(operation, found[operation.operation_id], previous, following),
        )
    progress(f"compare: {len(operations)} operation pages -> {out_dir / 'op'}/")
    for position, concern in enumerate(concerns):
        previous_concern = concerns[position - 1] if position > 0 else None
        next_concern = concerns[position + 1] if position + 1 < len(concerns) else None
        write(
            f"concern/{concern.slug}.html",
            concern_page(concern, root, previous_concern, next_concern),
        )
    progress(f"compare: {len(concerns)} concern pages -> {out_dir / 'concern'}/")
    tables = all_tables(concerns, root, results)
    write("tables.md", markdown(tables))
    write("index.html", index_page(operations, tags, found, concerns, tables))
    progress(f"compare: index and tables -> {out_dir / 'index.html'}, {out_dir / 'tables.md'}")
    return written
